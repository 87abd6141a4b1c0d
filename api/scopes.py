"""OAuth2 scopes: a client may only ask for, and by default gets, the scopes
it was created with (`manage.py create_api_client --scopes ...`)."""

from oauth2_provider.scopes import SettingsScopes


class ApiClientScopes(SettingsScopes):
    def _client_scopes(self, application) -> list[str]:
        client = getattr(application, "api_client", None) if application is not None else None
        return client.scope_list if client is not None else []

    def get_available_scopes(self, application=None, request=None, *args, **kwargs):
        if application is None:
            return super().get_available_scopes(application, request, *args, **kwargs)
        return self._client_scopes(application)

    def get_default_scopes(self, application=None, request=None, *args, **kwargs):
        if application is None:
            return []
        return self._client_scopes(application)
