"""What every process that serves people checks before it starts."""

from django.conf import settings

from core.errors import ConfigurationError

WHY_THE_SITE_WILL_NOT_START = (
    "SECRET_KEY is required to serve the site when DEBUG is off (these are production settings). "
    "In production, set SECRET_KEY to a random string of at least 50 characters; "
    "on a developer's machine, set DEBUG=true instead (make run and make dev do)."
)


def refuse_to_serve_without_a_secret() -> None:
    """Sessions, password-reset links and CSRF tokens are signed with SECRET_KEY:
    a key made up per process would break them at every restart and differ
    between workers, so a web process without a real one must not start."""
    if settings.SECRET_KEY_MADE_UP:
        raise ConfigurationError(WHY_THE_SITE_WILL_NOT_START)
