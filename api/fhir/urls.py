"""/fhir/R4/...: the FHIR R4 interface (api/fhir/views.py, docs/fhir.md)."""

from django.urls import path

from api.fhir import views

app_name = "fhir"

urlpatterns = [
    path("", views.TransactionView.as_view(), name="base"),
    path("metadata", views.MetadataView.as_view(), name="metadata"),
    path("Task", views.TaskSearchView.as_view(), name="task-search"),
    path("Task/<uuid:referral_id>", views.TaskReadView.as_view(), name="task-read"),
    path("ServiceRequest", views.ServiceRequestSearchView.as_view(), name="servicerequest-search"),
    path("ServiceRequest/<uuid:referral_id>", views.ServiceRequestReadView.as_view(), name="servicerequest-read"),
    path("Patient/<uuid:referral_id>", views.PatientReadView.as_view(), name="patient-read"),
    path("HealthcareService", views.HealthcareServiceSearchView.as_view(), name="healthcareservice-search"),
    path(
        "HealthcareService/<uuid:service_id>",
        views.HealthcareServiceReadView.as_view(),
        name="healthcareservice-read",
    ),
    path("Organization/<uuid:organisation_id>", views.OrganizationReadView.as_view(), name="organization-read"),
]
