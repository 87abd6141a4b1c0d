"""Brokering pages: workbench, introductions, safeguarding, reports, my matches."""

from django.urls import path

from brokering import views

urlpatterns = [
    path("coordinator/workbench/", views.workbench_home, name="brokering_workbench"),
    path("coordinator/workbench/requests/<uuid:public_id>/", views.request_suggestions, name="brokering_request"),
    path("coordinator/workbench/requests/<uuid:public_id>/introduce/", views.introduce, name="brokering_introduce"),
    path("coordinator/workbench/introductions/<uuid:public_id>/", views.introduction, name="brokering_introduction"),
    path("coordinator/safeguarding/", views.safeguarding_home, name="brokering_safeguarding"),
    path(
        "coordinator/safeguarding/members/<uuid:public_id>/",
        views.safeguarding_member,
        name="brokering_safeguarding_member",
    ),
    path("coordinator/safeguarding/incidents/", views.incident_log, name="brokering_incidents"),
    path(
        "coordinator/safeguarding/categories/",
        views.safeguarding_categories,
        name="brokering_safeguarding_categories",
    ),
    path("coordinator/reports/", views.report_index, name="brokering_reports"),
    path("coordinator/reports/funder-summary/", views.funder_summary, name="brokering_funder_summary"),
    path("coordinator/reports/<slug:slug>/", views.report_detail, name="brokering_report"),
    path("coordinator/reports/<slug:slug>/csv/", views.report_csv, name="brokering_report_csv"),
    path("my/matches/", views.my_matches, name="my_matches"),
]
