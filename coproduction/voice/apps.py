from django.apps import AppConfig


class VoiceConfig(AppConfig):
    """Feedback, ideas and votes, and "You said, we did"."""

    name = "coproduction.voice"
    label = "voice"
    verbose_name = "Voice"
