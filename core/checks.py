"""System checks of the kernel."""

from typing import Any

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def secret_key_given(app_configs: Any, **kwargs: Any) -> list[Warning]:
    """`check --deploy` says so when no SECRET_KEY was set (settings made one up)."""
    if getattr(settings, "SECRET_KEY_MADE_UP", False):
        return [
            Warning(
                "SECRET_KEY is not set: this command ran with a key made up for it, and the web "
                "processes will refuse to start.",
                hint="Set SECRET_KEY to a random string of at least 50 characters.",
                id="core.W001",
            )
        ]
    return []
