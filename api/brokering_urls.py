"""Brokering API routes, included under /api/v1/."""

from django.urls import path

from api.brokering import ListingSuggestionsView

urlpatterns = [
    path(
        "listings/<uuid:listing_id>/suggestions/",
        ListingSuggestionsView.as_view(),
        name="listing-suggestions",
    ),
]
