"""Top-level URL configuration. Each area keeps its own urls module."""
from django.contrib import admin
from django.urls import include, path

from api.health import health, ready

urlpatterns = [
    path("admin/", admin.site.urls),
    path("health/", health, name="health"),
    path("health/ready/", ready, name="health-ready"),
    path("o/", include("api.oauth_urls")),  # OAuth2 token endpoint for API clients
    path("api/", include("api.urls")),
    path("openreferral/", include("api.openreferral.urls")),
    path("", include("timebank.web_urls")),
]

# Unknown /api/ addresses answer in the API's JSON error shape, pages in HTML.
handler404 = "api.errors.not_found"
