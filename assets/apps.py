from django.apps import AppConfig


class AssetsConfig(AppConfig):
    name = "assets"
    verbose_name = "Community assets"

    def ready(self) -> None:
        # Models are loaded only now, so the demo is imported here.
        from assets import demo
        from timebank import hooks

        hooks.demo_seeders.connect(demo.seed)
