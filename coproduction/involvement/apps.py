from django.apps import AppConfig


class InvolvementConfig(AppConfig):
    """Opportunities to take part, attendance credited in hours, and expenses."""

    name = "coproduction.involvement"
    label = "involvement"
    verbose_name = "Involvement"

    def ready(self) -> None:
        # Models are loaded only now, so the demo is imported here.
        from coproduction.involvement import demo
        from timebank import hooks

        hooks.demo_seeders.connect(demo.seed)
