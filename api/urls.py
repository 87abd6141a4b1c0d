"""REST API routes. /api/v1/ and the schema are owned by api/v1_urls.py;
other areas add their own included modules here."""

from django.urls import include, path

urlpatterns = [
    path("", include("api.v1_urls")),  # /api/v1/..., /api/schema/, /api/docs/, /api/redoc/
    path("v1/", include("api.brokering_urls")),  # /api/v1/listings/{id}/suggestions/
]
