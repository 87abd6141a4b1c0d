from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    """Subject access export and erasure. It has no models of its own."""

    name = "privacy"
    verbose_name = "Privacy"

    def ready(self) -> None:
        # Enters the lower apps' models in the registry before higher apps add theirs.
        from privacy import selectors  # noqa: F401
