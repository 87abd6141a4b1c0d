"""Routes for listings (offers and requests), exchanges, and the coordinator
pages that record exchanges, resolve disputes and edit categories."""
from django.urls import path

from timebank.views import exchanges, listings

urlpatterns = [
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
