from django.apps import AppConfig


class InvolvementConfig(AppConfig):
    """Opportunities to take part, attendance credited in hours, and expenses."""

    name = "coproduction.involvement"
    label = "involvement"
    verbose_name = "Involvement"
