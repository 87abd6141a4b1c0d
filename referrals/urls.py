"""Referral pages for link workers and group organisers, under /referrals/.
Making a referral: /referrals/new/ (choose where), then one question a page
under /referrals/new/<journey>/ (a random id; the answers stay in the session)."""

from django.urls import path

from referrals import views

app_name = "referrals"

urlpatterns = [
    path("referrals/", views.my_referrals, name="mine"),
    path("referrals/new/", views.new_referral, name="new"),
    path("referrals/new/<str:journey_id>/check/", views.referral_check, name="check"),
    path("referrals/new/<str:journey_id>/<slug:step>/", views.referral_step, name="step"),
    path("referrals/in/", views.referrals_in, name="incoming"),
    path("referrals/<uuid:referral_id>/", views.referral_detail, name="detail"),
]
