"""Admin for API clients: see which organisation and scopes each has.
Clients are made with `manage.py create_api_client` (the secret is shown once)."""

from django.contrib import admin

from api.models import ApiClient


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    list_display = ("organisation", "application", "scopes", "created_at")
    list_select_related = ("organisation", "application")
    readonly_fields = ("application", "organisation", "created_at")
    fields = ("application", "organisation", "scopes", "created_at")

    def has_add_permission(self, request):
        return False
