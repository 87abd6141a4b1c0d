from django.apps import AppConfig


class BrokeringConfig(AppConfig):
    """Matching, the coordinators' workbench, safeguarding and reports: above
    the timebank, the directory and referrals. It has no models of its own."""

    name = "brokering"
    verbose_name = "Brokering"

    def ready(self) -> None:
        # Models are loaded only now, so the section is imported here.
        from brokering.dashboard import suggested_for_member
        from timebank.dashboard import dashboard_sections

        # "Suggested for you" on a member's home page.
        dashboard_sections.connect(suggested_for_member)
