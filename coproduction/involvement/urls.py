"""Involvement: opportunities to take part, attendance, expenses."""

from django.urls import path

from coproduction.involvement import views

app_name = "involvement"

urlpatterns = [
    # Members
    path("involvement/", views.opportunity_list, name="opportunities"),
    path("involvement/access-needs/", views.access_needs, name="access-needs"),
    path("involvement/expenses/", views.claim_list, name="my-claims"),
    path("involvement/expenses/<uuid:public_id>/", views.claim_detail, name="claim"),
    path("involvement/expenses/<uuid:public_id>/receipts/<int:line_id>/", views.receipt, name="receipt"),
    path("involvement/<uuid:public_id>/", views.opportunity_detail, name="opportunity"),
    path("involvement/<uuid:public_id>/withdraw/", views.participation_withdraw, name="withdraw"),
    path("involvement/<uuid:public_id>/expenses/", views.claim_new, name="claim-new"),
    # Organisers: the timebank's coordinators, staff of the host organisation
    path("involvement/manage/", views.manage_list, name="manage-list"),
    path("involvement/manage/new/", views.opportunity_new, name="opportunity-new"),
    path("involvement/manage/expenses/", views.claims_list, name="claims"),
    path("involvement/manage/expenses/report/", views.expenses_report, name="expenses-report"),
    path("involvement/manage/expenses/<uuid:public_id>/", views.claim_review, name="claim-review"),
    path("involvement/manage/<uuid:public_id>/", views.manage, name="manage"),
    path("involvement/manage/<uuid:public_id>/edit/", views.opportunity_edit, name="opportunity-edit"),
]
