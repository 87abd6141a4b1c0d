"""Pages of the timebank: each timebank's home and join pages, the network
administrator's timebanks, joining, logging in, my hours, my profile, giving
hours, listings (offers and requests), exchanges, and the coordinator's
members, applications, pot, reversals, recorded exchanges, disputes and
categories."""

from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy
from django.views.generic import TemplateView

from timebank.forms.members import NewPasswordForm
from timebank.views import accounts, exchanges, home, listings, members, preferences, timebanks, twofactor

app_name = "timebank"

urlpatterns = [
    path("", home.home, name="home"),
    path("language/", preferences.choose_language, name="choose-language"),
    path("easy-read/", preferences.choose_easy_read, name="choose-easy-read"),
    path("join/", members.join, name="join"),
    path("join/sent/", members.join_sent, name="join-sent"),
    path("join/confirm/<str:uidb64>/<str:token>/", members.join_confirm, name="join-confirm"),
    path("invitation/<str:uidb64>/<str:token>/", members.invitation, name="invitation"),
    # Each timebank's own public pages, by its short name.
    path("t/<slug:slug>/", home.timebank_home, name="timebank-home"),
    path("t/<slug:slug>/join/", members.timebank_join, name="timebank-join"),
    # The network administrator's pages.
    path("network/timebanks/", timebanks.network_timebanks, name="network-timebanks"),
    path("network/timebanks/new/", timebanks.network_timebank_create, name="network-timebank-create"),
    path("login/", members.LoginView.as_view(), name="login"),
    path("login/code/", twofactor.login_code, name="login-code"),
    path("logout/", auth_views.LogoutView.as_view(next_page="timebank:logged-out"), name="logout"),
    path("logged-out/", TemplateView.as_view(template_name="registration/logged_out.html"), name="logged-out"),
    path("password-reset/", members.PasswordResetView.as_view(), name="password-reset"),
    path("password-reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password-reset-done"),
    path(
        "password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            form_class=NewPasswordForm, success_url=reverse_lazy("timebank:password-reset-complete")
        ),
        name="password-reset-confirm",
    ),
    path("password-reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password-reset-complete"),
    path("hours/", accounts.my_hours, name="my-hours"),
    path("hours/donate/", accounts.donate_hours, name="donate-hours"),
    path("give/", accounts.give_hours, name="give-hours"),
    path("profile/", members.my_profile, name="my-profile"),
    path("account/two-step/", twofactor.two_step, name="two-step"),
    path("account/two-step/set-up/", twofactor.two_step_setup, name="two-step-setup"),
    path("account/two-step/backup-codes/", twofactor.two_step_backup_codes, name="two-step-backup-codes"),
    path("account/two-step/off/", twofactor.two_step_off, name="two-step-off"),
    path("coordinator/", members.coordinator_dashboard, name="coordinator-dashboard"),
    path("coordinator/applications/", members.coordinator_applications, name="coordinator-applications"),
    path("coordinator/members/", members.coordinator_members, name="coordinator-members"),
    path("coordinator/members/add/", members.coordinator_member_add, name="coordinator-member-add"),
    path("coordinator/members/<uuid:public_id>/", members.coordinator_member, name="coordinator-member"),
    path("coordinator/members/<uuid:public_id>/edit/", members.coordinator_member_edit, name="coordinator-member-edit"),
    path(
        "coordinator/members/<uuid:public_id>/status/",
        members.coordinator_member_status,
        name="coordinator-member-status",
    ),
    path(
        "coordinator/members/<uuid:public_id>/invite/",
        members.coordinator_member_invite,
        name="coordinator-member-invite",
    ),
    path(
        "coordinator/members/<uuid:public_id>/give/", accounts.coordinator_member_give, name="coordinator-member-give"
    ),
    path("coordinator/pot/", accounts.coordinator_pot, name="coordinator-pot"),
    path(
        "coordinator/transfers/<uuid:public_id>/reverse/",
        accounts.coordinator_transfer_reverse,
        name="coordinator-transfer-reverse",
    ),
    path("offers-and-requests/", listings.listing_browse, name="listing-browse"),
    path("listings/<uuid:public_id>/", listings.listing_detail, name="listing-detail"),
    path("my/listings/", listings.my_listings, name="my-listings"),
    path("my/listings/new/", listings.listing_create, name="listing-create"),
    path("my/listings/<uuid:public_id>/edit/", listings.listing_edit, name="listing-edit"),
    path("my/listings/<uuid:public_id>/close/", listings.listing_close, name="listing-close"),
    path("my/listings/<uuid:public_id>/reopen/", listings.listing_reopen, name="listing-reopen"),
    path("coordinator/categories/", listings.category_list, name="category-list"),
    path("coordinator/categories/new/", listings.category_create, name="category-create"),
    path("coordinator/categories/<int:pk>/edit/", listings.category_edit, name="category-edit"),
    path("coordinator/categories/<int:pk>/active/", listings.category_set_active, name="category-set-active"),
    path("exchanges/", exchanges.exchange_list, name="exchange-list"),
    path("exchanges/<uuid:public_id>/", exchanges.exchange_detail, name="exchange-detail"),
    path("exchanges/<uuid:public_id>/<slug:action>/", exchanges.exchange_action, name="exchange-action"),
    path("coordinator/record-exchange/", exchanges.record_exchange, name="record-exchange"),
    path("coordinator/disputes/", exchanges.dispute_list, name="dispute-list"),
    path("coordinator/disputes/<uuid:public_id>/", exchanges.dispute_resolve, name="dispute-resolve"),
]
