from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    """Social-prescribing referrals to community assets and to the timebank."""

    name = "referrals"
    verbose_name = "Referrals"

    def ready(self) -> None:
        # Models are loaded only now, so the receivers are imported here.
        from referrals import demo
        from referrals.services import referral_note_first_exchange
        from timebank import hooks

        # A person referred by a link worker has started: their referral says so.
        hooks.first_exchange_posted.connect(referral_note_first_exchange)
        hooks.demo_seeders.connect(demo.seed)
        # Sessions of people who can see referrals get the short idle time-out.
        from django.contrib.auth.signals import user_logged_in

        from referrals.sessions import session_note_login

        user_logged_in.connect(session_note_login, dispatch_uid="referrals-session-note-login")
