from django.apps import AppConfig


class AssessmentConfig(AppConfig):
    """The co-production self-assessment."""

    name = "coproduction.assessment"
    label = "assessment"
    verbose_name = "Assessment"
