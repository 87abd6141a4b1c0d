"""Directory pages: /directory/... for everyone, /coordinator/directory/... for coordinators."""

from django.urls import path

from assets import views

app_name = "assets"

urlpatterns = [
    path("directory/", views.directory, name="directory"),
    path("directory/services/<uuid:service_id>/", views.service_page, name="service"),
    path("directory/services/<uuid:service_id>/report/", views.service_report, name="service-report"),
    path("directory/services/<uuid:service_id>/claim/", views.service_claim, name="service-claim"),
    path("directory/services/<uuid:service_id>/edit/", views.service_edit, name="service-edit"),
    path("coordinator/directory/reports/", views.coordinator_reports, name="coordinator-reports"),
    path(
        "coordinator/directory/reports/<uuid:report_id>/resolve/",
        views.coordinator_report_resolve,
        name="coordinator-report-resolve",
    ),
    path("coordinator/directory/claims/", views.coordinator_claims, name="coordinator-claims"),
    path(
        "coordinator/directory/claims/<uuid:claim_id>/decide/",
        views.coordinator_claim_decide,
        name="coordinator-claim-decide",
    ),
    path("coordinator/directory/feeds/", views.coordinator_feeds, name="coordinator-feeds"),
    path("coordinator/directory/feeds/<uuid:feed_id>/", views.coordinator_feed, name="coordinator-feed"),
    path("coordinator/directory/feeds/<uuid:feed_id>/run/", views.coordinator_feed_run, name="coordinator-feed-run"),
]
