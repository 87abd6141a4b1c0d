"""Pages for a member's personal data: a coordinator downloads it or erases it."""

from django.urls import path

from privacy import views

app_name = "privacy"

urlpatterns = [
    path(
        "coordinator/members/<uuid:public_id>/erase/",
        views.coordinator_member_erase,
        name="member-erase",
    ),
    path(
        "coordinator/members/<uuid:public_id>/data.json",
        views.coordinator_member_export,
        name="member-export",
    ),
]
