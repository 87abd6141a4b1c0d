from django.apps import AppConfig


class BrokeringConfig(AppConfig):
    """Matching, the coordinators' workbench, safeguarding and reports: above
    the timebank, the directory and referrals. It has no models of its own."""

    name = "brokering"
    verbose_name = "Brokering"
