from django.apps import AppConfig


class AssessmentConfig(AppConfig):
    """The co-production self-assessment."""

    name = "coproduction.assessment"
    label = "assessment"
    verbose_name = "Assessment"

    def ready(self) -> None:
        # Models are loaded only now, so the demo is imported here.
        from coproduction.assessment import demo
        from timebank import hooks

        hooks.demo_seeders.connect(demo.seed)
