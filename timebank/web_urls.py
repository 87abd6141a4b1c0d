"""Server-rendered pages. Each area owns one included urls module."""
from django.urls import include, path

from timebank.views.home import home

urlpatterns = [
    path("", home, name="home"),
    path("", include("timebank.urls_members")),  # accounts, join, my hours, profile, coordinator members/ledger
    path("", include("timebank.urls_exchanges")),  # listings, browse, exchanges, coordinator record/disputes
    path("", include("timebank.urls_brokering")),  # workbench, safeguarding, reports
    path("", include("assets.urls")),  # directory, map, service pages
    path("", include("assets.referrals.urls")),  # link worker and organiser referral pages
]
