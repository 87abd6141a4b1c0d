"""OAuth2 endpoints for machine clients: only what client credentials need
(token, revoke, introspect); no authorisation pages, no application management
pages (clients are made with `manage.py create_api_client`)."""

from django.urls import path
from oauth2_provider import views as oauth2_views

app_name = "oauth2_provider"

urlpatterns = [
    path("token/", oauth2_views.TokenView.as_view(), name="token"),
    path("revoke_token/", oauth2_views.RevokeTokenView.as_view(), name="revoke-token"),
    path("introspect/", oauth2_views.IntrospectTokenView.as_view(), name="introspect"),
]
