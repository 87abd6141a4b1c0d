"""Pages of the timebank: joining, logging in, my hours, my profile, giving
hours, listings (offers and requests), exchanges, and the coordinator's
members, applications, pot, reversals, recorded exchanges, disputes and
categories."""

from django.contrib.auth import views as auth_views
from django.urls import path
from django.views.generic import TemplateView

from timebank.views import accounts, exchanges, home, listings, members

urlpatterns = [
    path("", home.home, name="home"),
    path("join/", members.join, name="join"),
    path("login/", members.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(next_page="logged_out"), name="logout"),
    path("logged-out/", TemplateView.as_view(template_name="registration/logged_out.html"), name="logged_out"),
    path("password-reset/", members.PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("password-reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("hours/", accounts.my_hours, name="my_hours"),
    path("hours/donate/", accounts.donate_hours, name="donate_hours"),
    path("give/", accounts.give_hours, name="give_hours"),
    path("profile/", members.my_profile, name="my_profile"),
    path("coordinator/", members.coordinator_dashboard, name="coordinator_dashboard"),
    path("coordinator/applications/", members.coordinator_applications, name="coordinator_applications"),
    path("coordinator/members/", members.coordinator_members, name="coordinator_members"),
    path("coordinator/members/add/", members.coordinator_member_add, name="coordinator_member_add"),
    path("coordinator/members/<uuid:public_id>/", members.coordinator_member, name="coordinator_member"),
    path("coordinator/members/<uuid:public_id>/edit/", members.coordinator_member_edit, name="coordinator_member_edit"),
    path(
        "coordinator/members/<uuid:public_id>/status/",
        members.coordinator_member_status,
        name="coordinator_member_status",
    ),
    path(
        "coordinator/members/<uuid:public_id>/give/", accounts.coordinator_member_give, name="coordinator_member_give"
    ),
    path("coordinator/pot/", accounts.coordinator_pot, name="coordinator_pot"),
    path(
        "coordinator/transfers/<uuid:public_id>/reverse/",
        accounts.coordinator_transfer_reverse,
        name="coordinator_transfer_reverse",
    ),
    path("offers-and-requests/", listings.listing_browse, name="listing_browse"),
    path("listings/<uuid:public_id>/", listings.listing_detail, name="listing_detail"),
    path("my/listings/", listings.my_listings, name="my_listings"),
    path("my/listings/new/", listings.listing_create, name="listing_create"),
    path("my/listings/<uuid:public_id>/edit/", listings.listing_edit, name="listing_edit"),
    path("my/listings/<uuid:public_id>/close/", listings.listing_close, name="listing_close"),
    path("my/listings/<uuid:public_id>/reopen/", listings.listing_reopen, name="listing_reopen"),
    path("coordinator/categories/", listings.category_list, name="category_list"),
    path("coordinator/categories/new/", listings.category_create, name="category_create"),
    path("coordinator/categories/<int:pk>/edit/", listings.category_edit, name="category_edit"),
    path("coordinator/categories/<int:pk>/active/", listings.category_set_active, name="category_set_active"),
    path("exchanges/", exchanges.exchange_list, name="exchange_list"),
    path("exchanges/<uuid:public_id>/", exchanges.exchange_detail, name="exchange_detail"),
    path("exchanges/<uuid:public_id>/<slug:action>/", exchanges.exchange_action, name="exchange_action"),
    path("coordinator/record-exchange/", exchanges.record_exchange, name="record_exchange"),
    path("coordinator/disputes/", exchanges.dispute_list, name="dispute_list"),
    path("coordinator/disputes/<uuid:public_id>/", exchanges.dispute_resolve, name="dispute_resolve"),
]
