"""Brokering pages: workbench, introductions, safeguarding, reports, my matches."""

from django.urls import path

from brokering import views

app_name = "brokering"

urlpatterns = [
    path("coordinator/workbench/", views.workbench_home, name="workbench"),
    path("coordinator/workbench/requests/<uuid:public_id>/", views.request_suggestions, name="request"),
    path("coordinator/workbench/requests/<uuid:public_id>/introduce/", views.introduce, name="introduce"),
    path("coordinator/workbench/introductions/<uuid:public_id>/", views.introduction, name="introduction"),
    path("coordinator/safeguarding/", views.safeguarding_home, name="safeguarding"),
    path(
        "coordinator/safeguarding/members/<uuid:public_id>/",
        views.safeguarding_member,
        name="safeguarding-member",
    ),
    path("coordinator/safeguarding/incidents/", views.incident_log, name="incidents"),
    path(
        "coordinator/safeguarding/categories/",
        views.safeguarding_categories,
        name="safeguarding-categories",
    ),
    path("coordinator/reports/", views.report_index, name="reports"),
    path("coordinator/reports/funder-summary/", views.funder_summary, name="funder-summary"),
    path("coordinator/reports/<slug:slug>/", views.report_detail, name="report"),
    path("coordinator/reports/<slug:slug>/csv/", views.report_csv, name="report-csv"),
    path("my/matches/", views.my_matches, name="my-matches"),
]
