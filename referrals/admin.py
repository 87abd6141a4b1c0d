"""Admin for referrals: read-only. Referrals change only through the services
(state machine, history, access log); the access log is append-only."""

from django.contrib import admin

from referrals.models import ReferralAccessLog, WebhookDelivery, WebhookSubscription


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ReferralAccessLog)
class ReferralAccessLogAdmin(ReadOnlyAdmin):
    list_display = ("at", "referral_id", "action", "outcome", "organisation", "user", "application")
    list_filter = ("action", "outcome")
    search_fields = ("referral_id",)
    list_select_related = ("organisation", "user", "application")


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    list_display = ("url", "organisation", "is_active", "created_at")
    fields = ("organisation", "url", "is_active")
    readonly_fields = ("organisation", "url")

    def has_add_permission(self, request):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "subscription", "state", "attempts", "last_status_code", "next_attempt_at")
    list_filter = ("state",)
