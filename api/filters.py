"""django-filter FilterSets, one per list endpoint."""

import datetime

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy
from django_filters.fields import IsoDateTimeField

from api.actors import actor_from_request
from referrals.consent import with_shown_progress
from referrals.models import ReferralStatus

OUT_OF_RANGE = gettext_lazy("Choose a date-time between the years 1 and 9999, like 2024-01-31T09:00:00Z.")


def as_utc(value: datetime.datetime) -> datetime.datetime:
    """An aware date-time moved to UTC before it reaches the database: Python takes
    offsets up to ±23:59 that PostgreSQL refuses (a 500, found by schemathesis).
    Raises OverflowError when the move leaves years 1–9999."""
    return value.astimezone(datetime.UTC)


class UtcIsoDateTimeField(IsoDateTimeField):
    def clean(self, value):
        value = super().clean(value)
        if value is None:
            return None
        try:
            return as_utc(value)
        except OverflowError:
            raise forms.ValidationError(OUT_OF_RANGE) from None


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


class ReferralFilter(django_filters.FilterSet):
    """Status and modified_after filter on what the caller sees (referrals/consent.py):
    a referrer the person did not agree to share what happens with finds a referral
    by the status it set itself, never by the receiver's."""

    status = django_filters.MultipleChoiceFilter(choices=ReferralStatus.choices, method="filter_status")
    target = django_filters.CharFilter(method="filter_target", max_length=40, help_text="A service id, or `timebank`.")
    modified_after = UtcDateTimeFilter(method="filter_modified_after")
    name = django_filters.CharFilter(
        method="filter_name",
        max_length=100,
        help_text="Part of the person's name; only matches referrals your organisation made.",
    )

    def _shown(self, queryset):
        if "shown_status" in queryset.query.annotations:
            return queryset
        return with_shown_progress(queryset, actor_from_request(self.request))

    def filter_status(self, queryset, name, value):
        return self._shown(queryset).filter(shown_status__in=value) if value else queryset

    def filter_modified_after(self, queryset, name, value):
        return self._shown(queryset).filter(shown_modified_at__gt=value)

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
