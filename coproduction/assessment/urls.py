"""The co-production self-assessment's pages."""

from django.urls import path

from coproduction.assessment import views

app_name = "assessment"

urlpatterns = [
    path("assessment/", views.home, name="home"),
    path("assessment/rounds/new/", views.round_open, name="round-open"),
    path("assessment/rounds/<int:round_id>/", views.results, name="results"),
    path("assessment/rounds/<int:round_id>/answer/", views.answer, name="answer"),
    path("assessment/rounds/<int:round_id>/close/", views.round_close, name="round-close"),
    path("assessment/statements/", views.statements, name="statements"),
    path("assessment/next-steps/", views.next_steps, name="next-steps"),
    path("assessment/statements/new/", views.statement_add, name="statement-add"),
    path("assessment/statements/<int:pk>/", views.statement_edit, name="statement-edit"),
]
