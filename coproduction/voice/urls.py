"""Feedback, ideas and votes, and "You said, we did"."""

from django.urls import path

from coproduction.voice import views

app_name = "voice"

urlpatterns = [
    path("ideas/", views.idea_list, name="ideas"),
    path("ideas/new/", views.idea_new, name="idea-new"),
    path("ideas/<uuid:public_id>/", views.idea_detail, name="idea"),
    path("ideas/<uuid:public_id>/vote/", views.idea_vote, name="idea-vote"),
    path("ideas/<uuid:public_id>/respond/", views.idea_respond, name="idea-respond"),
    path("you-said-we-did/", views.you_said_we_did, name="you-said-we-did"),
    path("feedback/exchange/<uuid:public_id>/", views.rate_exchange, name="rate-exchange"),
    path("feedback/activity/<uuid:public_id>/", views.rate_opportunity, name="rate-opportunity"),
    path("feedback/service/<uuid:service_id>/", views.rate_service, name="rate-service"),
    path("feedback/referral/<uuid:referral_id>/", views.rate_referral, name="rate-referral"),
    path("feedback/my-services/", views.service_feedback, name="service-feedback"),
    path("coordinate/feedback/", views.ratings_report, name="report"),
]
