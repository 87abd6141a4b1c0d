from django.apps import AppConfig


class AssetsConfig(AppConfig):
    name = "assets"
    verbose_name = "Community assets"

    def ready(self) -> None:
        # Models are loaded only now, so the demo is imported here.
        from assets import dashboard, demo
        from timebank import hooks
        from timebank.dashboard import dashboard_sections

        hooks.demo_seeders.connect(demo.seed)
        # Groups near a member, on their home page.
        dashboard_sections.connect(dashboard.groups_near_member)
