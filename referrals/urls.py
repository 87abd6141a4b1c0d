"""Referral pages for link workers and group organisers, under /referrals/."""

from django.urls import path

from referrals import views

app_name = "referrals"

urlpatterns = [
    path("referrals/", views.my_referrals, name="mine"),
    path("referrals/new/", views.new_referral, name="new"),
    path("referrals/in/", views.referrals_in, name="incoming"),
    path("referrals/<uuid:referral_id>/", views.referral_detail, name="detail"),
]
