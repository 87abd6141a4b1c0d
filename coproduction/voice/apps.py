from django.apps import AppConfig


class VoiceConfig(AppConfig):
    """Feedback, ideas and votes, and "You said, we did"."""

    name = "coproduction.voice"
    label = "voice"
    verbose_name = "Voice"

    def ready(self) -> None:
        # Models are loaded only now, so the demo is imported here.
        from coproduction.voice import demo
        from timebank import hooks

        hooks.demo_seeders.connect(demo.seed)
