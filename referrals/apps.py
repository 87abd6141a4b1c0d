from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    """Social-prescribing referrals to community assets and to the timebank."""

    name = "referrals"
    verbose_name = "Referrals"

    def ready(self) -> None:
        # Models are loaded only now, so the receivers are imported here.
        from referrals import demo, timebank_path
        from timebank import hooks

        # The timebank path of a referral (referrals/timebank_path.py): the
        # application approved or declined, the first exchange, the first hour given.
        hooks.member_approved.connect(timebank_path.referral_accept_on_approval)
        hooks.member_declined.connect(timebank_path.referral_reject_on_decline)
        hooks.first_exchange_posted.connect(timebank_path.referral_note_first_exchange)
        hooks.exchange_posted.connect(timebank_path.referral_note_hours_given)
        hooks.demo_seeders.connect(demo.seed)
        # Sessions of people who can see referrals get the short idle time-out.
        from django.contrib.auth.signals import user_logged_in

        from referrals.sessions import session_note_login

        user_logged_in.connect(session_note_login, dispatch_uid="referrals-session-note-login")
