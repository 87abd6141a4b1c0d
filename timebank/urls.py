"""Top-level URL configuration. Each area keeps its own urls module."""
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("api.urls")),
    path("openreferral/", include("api.openreferral.urls")),
    path("", include("timebank.web_urls")),
]
