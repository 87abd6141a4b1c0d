from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The shared kernel. A Django app only so that it can own the unit-postcode
    table and the `import_postcodes` command."""

    name = "core"
    verbose_name = "Shared kernel"

    def ready(self) -> None:
        from core import checks  # noqa: F401  (registers the kernel's system checks)
