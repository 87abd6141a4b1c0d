"""The public Open Referral UK 3.0 feed, included at /openreferral/ by config/urls.py."""

from django.urls import path

from api.openreferral import views

app_name = "openreferral"

urlpatterns = [
    path("", views.root, name="root"),
    path("openapi.json", views.openapi, name="openapi"),
    path("services", views.services, name="services"),
    path("services/<str:pk>", views.service_detail, name="service"),
    path("service_at_locations", views.service_at_locations, name="service-at-locations"),
    path("service_at_locations/<str:pk>", views.service_at_location_detail, name="service-at-location"),
    path("organizations", views.organizations, name="organizations"),
    path("organizations/<str:pk>", views.organization_detail, name="organization"),
    path("taxonomies", views.taxonomies, name="taxonomies"),
    path("taxonomies/<str:pk>", views.taxonomy_detail, name="taxonomy"),
    path("taxonomy_terms", views.taxonomy_terms, name="taxonomy-terms"),
    path("taxonomy_terms/<str:pk>", views.taxonomy_term_detail, name="taxonomy-term"),
]
