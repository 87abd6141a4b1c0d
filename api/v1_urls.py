"""/api/v1/... and the schema and docs pages. Other areas include
their own modules from api/urls.py."""

from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_update
from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

import api.schema  # noqa: F401 - registers the OpenAPI extensions
from api.views import directory, gp_events, referrals, timebank

app_name = "api"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script from its own URL (?script=)
    # instead of inline, so the page runs under the strict Content-Security-Policy.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    # ReDoc draws with styled-components, which writes inline <style> elements, and
    # runs its search in a worker made from a blob: URL. Only this page allows
    # those; its scripts still come only from our static files.
    path(
        "redoc/",
        csp_update({"style-src": [UNSAFE_INLINE], "worker-src": [SELF, "blob:"]})(
            SpectacularRedocView.as_view(url_name="api:schema")
        ),
        name="redoc",
    ),
    path("v1/services/", directory.ServiceSearchView.as_view(), name="service-list"),
    path("v1/services/<uuid:service_id>/", directory.ServiceDetailView.as_view(), name="service-detail"),
    path("v1/categories/", directory.CategoryListView.as_view(), name="category-list"),
    path("v1/me/", timebank.MeView.as_view(), name="me"),
    path("v1/me/statement/", timebank.StatementView.as_view(), name="me-statement"),
    path("v1/listings/", timebank.ListingListCreateView.as_view(), name="listing-list"),
    path("v1/listings/<uuid:listing_id>/", timebank.ListingDetailView.as_view(), name="listing-detail"),
    path("v1/listings/<uuid:listing_id>/close/", timebank.ListingCloseView.as_view(), name="listing-close"),
    path("v1/exchanges/", timebank.ExchangeListCreateView.as_view(), name="exchange-list"),
    *[
        path(f"v1/exchanges/<uuid:exchange_id>/{name}/", view.as_view(), name=f"exchange-{name}")
        for name, view in timebank.EXCHANGE_ACTIONS.items()
    ],
    path("v1/referrals/", referrals.ReferralListCreateView.as_view(), name="referral-list"),
    path("v1/referrals/<uuid:referral_id>/", referrals.ReferralDetailView.as_view(), name="referral-detail"),
    path(
        "v1/referrals/<uuid:referral_id>/transition/",
        referrals.ReferralTransitionView.as_view(),
        name="referral-transition",
    ),
    path(
        "v1/referrals/<uuid:referral_id>/outcomes/", referrals.ReferralOutcomeView.as_view(), name="referral-outcomes"
    ),
    path("v1/referrals/<uuid:referral_id>/consent/", referrals.ReferralConsentView.as_view(), name="referral-consent"),
    path("v1/gp-record-events/", gp_events.GpRecordEventFeedView.as_view(), name="gp-record-event-list"),
    path("v1/webhooks/", referrals.WebhookListCreateView.as_view(), name="webhook-list"),
    path("v1/webhooks/<uuid:webhook_id>/", referrals.WebhookDetailView.as_view(), name="webhook-detail"),
]
