"""Admin for referrals: read-only. Referrals change only through the services
(state machine, history, access log); the access log is append-only.

Tenancy: a staff user who is not a network administrator sees only the
access log of referrals to the timebanks they coordinate; another timebank's
rows answer 404 (timebank.admin.NotFoundOutsideScopeMixin). Webhooks belong to
referring organisations, not to a timebank.
"""

from django.contrib import admin

from referrals.models import Referral, ReferralAccessLog, WebhookDelivery, WebhookSubscription
from timebank.admin import NotFoundOutsideScopeMixin
from timebank.permissions import coordinated_timebanks, is_network_admin


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ReferralAccessLog)
class ReferralAccessLogAdmin(NotFoundOutsideScopeMixin, ReadOnlyAdmin):
    list_display = ("at", "referral_id", "action", "outcome", "organisation", "user", "application")
    list_filter = ("action", "outcome")
    search_fields = ("referral_id",)
    list_select_related = ("organisation", "user", "application")

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if is_network_admin(request.user):
            return queryset
        # referral_id is a plain UUID (the log outlives the referral), hence the subquery.
        referrals = Referral.objects.filter(target_timebank__in=coordinated_timebanks(request.user).values("pk"))
        return queryset.filter(referral_id__in=referrals.values("pk"))


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
