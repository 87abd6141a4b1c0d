"""A member's own timebank data: profile and hours, statement, listings, exchanges."""

from rest_framework import serializers

from api.serializers.common import StrictSerializer
from timebank.models import ExchangeStatus, ListingKind, ListingStatus, MemberStatus, Where


class MeSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="member.public_id")
    display_name = serializers.CharField(source="member.display_name")
    status = serializers.ChoiceField(choices=MemberStatus.choices, source="member.status")
    postcode_district = serializers.CharField(source="member.postcode_district")
    balance_minutes = serializers.IntegerField(source="summary.balance")
    given_minutes = serializers.IntegerField(source="summary.given")
    received_minutes = serializers.IntegerField(source="summary.received")
    balance = serializers.CharField(source="summary.balance_text", help_text="In words, e.g. 1½ hours")
    hours_given = serializers.CharField(source="summary.given_text")
    hours_received = serializers.CharField(source="summary.received_text")
    people_exchanged_with = serializers.IntegerField(source="summary.people")


class StatementLineSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="entry.pk")
    at = serializers.DateTimeField(source="entry.created_at")
    minutes = serializers.IntegerField(source="entry.minutes", help_text="Positive in, negative out")
    balance_after_minutes = serializers.IntegerField(source="entry.balance_after")
    memo = serializers.CharField(
        source="description",
        help_text="What the transfer was and what was written with it (a gift's message); only its kind "
        "once a member it involves has been erased.",
    )
    kind = serializers.CharField(source="entry.transfer.kind")
    helped_on = serializers.DateField(
        allow_null=True, help_text="For an exchange, the day the help was given (`at` is when it was recorded)."
    )
    counterparts = serializers.ListField(child=serializers.CharField())
    is_reversed = serializers.BooleanField()


class StatementPageSerializer(serializers.Serializer):
    count = serializers.IntegerField(allow_null=True, help_text="Not counted: statements page by position.")
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = StatementLineSerializer(many=True)


class ListingOutSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    kind = serializers.ChoiceField(choices=ListingKind.choices)
    category = serializers.SlugField(source="category.slug")
    title = serializers.CharField()
    description = serializers.CharField()
    where = serializers.ChoiceField(choices=Where.choices)
    status = serializers.ChoiceField(choices=ListingStatus.choices)
    expires_on = serializers.DateField()
    created_at = serializers.DateTimeField()


# Each timebank has its own categories: a slug is looked up in the caller's timebank.
CATEGORY_HELP = "The slug of a category in use in your timebank (each timebank has its own list)."


class ListingInSerializer(StrictSerializer):
    kind = serializers.ChoiceField(choices=ListingKind.choices)
    category = serializers.SlugField(max_length=80, help_text=CATEGORY_HELP)
    title = serializers.CharField(max_length=120)
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    where = serializers.ChoiceField(choices=Where.choices)
    expires_on = serializers.DateField(required=False, allow_null=True)


class ListingUpdateSerializer(StrictSerializer):
    category = serializers.SlugField(max_length=80, required=False, help_text=CATEGORY_HELP)
    title = serializers.CharField(max_length=120, required=False)
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    where = serializers.ChoiceField(choices=Where.choices, required=False)
    expires_on = serializers.DateField(required=False)


class MemberRefSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    display_name = serializers.CharField()


class ExchangeOutSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    status = serializers.ChoiceField(choices=ExchangeStatus.choices)
    listing = serializers.UUIDField(source="listing.public_id", allow_null=True, default=None)
    provider = MemberRefSerializer()
    receivers = MemberRefSerializer(many=True)
    description = serializers.CharField()
    agreed_for = serializers.DateTimeField(allow_null=True)
    minutes = serializers.IntegerField(allow_null=True)
    helped_on = serializers.DateField(allow_null=True, help_text="The day the help was given, once recorded.")
    limit_refused_at = serializers.DateTimeField(
        allow_null=True,
        help_text="When confirming was refused because it would take someone past their account limit: "
        "a coordinator will sort it out.",
    )
    created_at = serializers.DateTimeField()


class ExchangeProposeSerializer(StrictSerializer):
    listing = serializers.UUIDField(help_text="The offer or request you are answering.")
    agreed_for = serializers.DateTimeField(required=False, allow_null=True)
    description = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class ExchangeNoteSerializer(StrictSerializer):
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ExchangeRecordSerializer(StrictSerializer):
    minutes = serializers.IntegerField(min_value=1, max_value=24 * 60)
    helped_on = serializers.DateField(
        allow_null=True,
        default=None,
        help_text="The day the help was given (ISO date, e.g. 2026-11-03): today when left out; not in the future, "
        "nor more than EXCHANGE_HELP_DATE_MAX_DAYS_BACK (90 by default) days back.",
    )
