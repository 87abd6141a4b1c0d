"""OAuth2 endpoints for machine clients: only what client credentials need
(token, revoke); no authorisation pages, no application management
pages (clients are made with `manage.py create_api_client`).

No introspection endpoint: the toolkit's answers any authenticated client about
any token, another client's included, and nothing here needs it (resource
servers are this project, which reads its own token table)."""

from django.urls import path
from oauth2_provider import views as oauth2_views

app_name = "oauth2_provider"

urlpatterns = [
    path("token/", oauth2_views.TokenView.as_view(), name="token"),
    path("revoke_token/", oauth2_views.RevokeTokenView.as_view(), name="revoke-token"),
]
