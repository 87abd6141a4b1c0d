from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    """Social-prescribing referrals to community assets and to the timebank.

    Lives under assets/ (referrals connect people to assets) but is its own
    Django app so that its migrations and access rules stay separate.
    """

    name = "assets.referrals"
    label = "referrals"
    verbose_name = "Referrals"
