"""django-filter FilterSets, one per list endpoint."""
import django_filters
from django.db.models import Q

from api.actors import actor_from_request
from assets.referrals.models import ReferralStatus


class ReferralFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=ReferralStatus.choices)
    target = django_filters.CharFilter(
        method="filter_target", max_length=40, help_text="A service id, or `timebank`."
    )
    modified_after = django_filters.IsoDateTimeFilter(field_name="modified_at", lookup_expr="gt")
    name = django_filters.CharFilter(
        method="filter_name",
        max_length=100,
        help_text="Part of the person's name; only matches referrals your organisation made.",
    )

    def filter_target(self, queryset, name, value):
        if value == "timebank":
            return queryset.filter(target_timebank__isnull=False)
        try:
            import uuid

            return queryset.filter(target_service_id=uuid.UUID(value))
        except ValueError:
            return queryset.none()

    def filter_name(self, queryset, name, value):
        actor = actor_from_request(self.request)
        # Receivers may not search by name: they may not even see the name (D4).
        words = value.split()[:3]
        q = Q(referring_organisation_id=actor.organisation_id) if actor.organisation_id else Q(pk__in=[])
        for word in words:
            q &= Q(given_name__icontains=word) | Q(family_name__icontains=word) | Q(preferred_name__icontains=word)
        return queryset.filter(q)
