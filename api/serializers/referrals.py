"""Referral input and output.

Input serializers check shapes and lengths only; the rules live in
referrals.services. Output serializers show each caller only what the
consent policy allows (referrals/consent.py, docs/quality.md D4): keys a caller may
not see are left out of the response, not sent empty. The status keys are always
there: for a referrer the person did not agree to share what happens with, they
hold what the referrer itself set (`shown_progress`), never the receiver's.
"""

import copy
import re

from django.utils.translation import gettext as _, gettext_lazy
from drf_spectacular.utils import OpenApiExample, extend_schema_field
from rest_framework import serializers

from api.serializers.common import OrganisationRefSerializer, StrictSerializer
from referrals.consent import gp_events_visible, referral_sharing, shown_progress, visible_outcomes
from referrals.instruments import registry
from referrals.models import (
    BusinessStatus,
    ConsentMethod,
    ConsentScope,
    OutcomeStage,
    PreferredContact,
    Priority,
    ReferralStatus,
)

# --- Input ---------------------------------------------------------------------------------


class PersonInSerializer(StrictSerializer):
    given_name = serializers.CharField(max_length=100)
    family_name = serializers.CharField(max_length=100)
    preferred_name = serializers.CharField(max_length=100, required=False, allow_blank=True, allow_null=True)
    date_of_birth = serializers.DateField(required=False, allow_null=True)
    postcode = serializers.CharField(max_length=10)
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True, allow_null=True)
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True, allow_null=True)
    preferred_contact = serializers.ChoiceField(choices=PreferredContact.choices)
    contact_times = serializers.CharField(max_length=200, required=False, allow_blank=True, allow_null=True)
    # Codes ("large-print") or the words for them ("large print", "British Sign Language
    # interpreter", "Polish interpreter"): referrals.communication turns words into codes.
    communication_needs = serializers.ListField(
        child=serializers.CharField(max_length=80),
        max_length=10,
        required=False,
        default=list,
        help_text="Accessible Information Standard needs, as codes (large-print, easy-read, braille, audio, bsl, "
        "deafblind-manual, lip-speaker, hearing-loop, advocate, phone-only, text-only, email-only, no-email, "
        'interpreter-<language>) or the same in words ("large print", "Polish interpreter"). '
        "Responses give the codes.",
    )
    do_not_contact = serializers.BooleanField(required=False, default=False)


class ConsentInSerializer(StrictSerializer):
    given = serializers.BooleanField()
    scopes = serializers.ListField(child=serializers.ChoiceField(choices=ConsentScope.choices), max_length=3)
    method = serializers.ChoiceField(choices=ConsentMethod.choices)
    recorded_by = serializers.CharField(max_length=200)
    recorded_at = serializers.DateTimeField()


TIMEBANK_SLUG_PATTERN = r"^[-a-zA-Z0-9_]+$"


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string", "pattern": TIMEBANK_SLUG_PATTERN, "maxLength": 60},
            {"type": "boolean"},
        ],
        "nullable": True,
    }
)
class TimebankTargetField(serializers.Field):
    """Which timebank a referral goes to: its short name (slug, e.g. "caversham"),
    or true for the install's only timebank (as before several existed). Which
    name is known, and whether true is enough, is the service's rule."""

    default_error_messages = {
        "invalid": gettext_lazy(
            "Give the timebank's short name, like caversham, or true when there is only one timebank."
        )
    }

    def to_internal_value(self, data):
        if isinstance(data, bool):
            return data
        if isinstance(data, str) and 0 < len(data) <= 60 and re.fullmatch(TIMEBANK_SLUG_PATTERN, data):
            return data
        self.fail("invalid")

    def to_representation(self, value):
        return value


class TargetInSerializer(StrictSerializer):
    service = serializers.UUIDField(required=False, allow_null=True, help_text="A directory service's id.")
    timebank = TimebankTargetField(
        required=False,
        allow_null=True,
        default=False,
        help_text="The short name (slug) of the timebank to refer to, e.g. caversham. "
        "true still means the timebank when there is only one; with several, name one.",
    )


REFERRAL_EXAMPLE = {
    "person": {
        "given_name": "Joan",
        "family_name": "Rivers",
        "preferred_name": "Jo",
        "date_of_birth": "1948-05-02",
        "postcode": "RG1 7QE",
        "phone": "0118 496 0000",
        "email": None,
        "preferred_contact": "phone",
        "contact_times": "weekday afternoons",
        "communication_needs": ["large-print"],
        "do_not_contact": False,
    },
    "consent": {
        "given": True,
        "scopes": ["share-with-service", "share-back-with-referrer"],
        "method": "verbal",
        "recorded_by": "Sam Patel, link worker",
        "recorded_at": "2026-11-20T10:15:00Z",
    },
    "what_matters": "Getting out of the house and meeting people who like gardening.",
    "needs": ["befriending-and-loneliness", "green-and-outdoor"],
    "target": {"service": "3fa85f64-5717-4562-b3fc-2c963f66afa6"},
    "priority": "routine",
    "notes": "Uses a walking frame; prefers afternoons.",
}


class EligibilityOverrideInSerializer(StrictSerializer):
    """The link worker confirms a referral the service's age limits or areas would
    refuse (referrals.eligibility), and says why; the receiver is shown the reason."""

    confirmed = serializers.BooleanField(
        help_text="true: you have checked with the group that they can take this person."
    )
    reason = serializers.CharField(
        max_length=500,
        required=False,
        allow_blank=True,
        default="",
        help_text="Why an exception is right, e.g. the group agreed on the phone. Needed when confirmed.",
    )

    def validate(self, attrs):
        if attrs["confirmed"] and not attrs.get("reason", "").strip():
            raise serializers.ValidationError(
                {"reason": [_("Give the reason the group can take this person, like: the organiser agreed by phone.")]}
            )
        return attrs


def override_reason(data: dict | None) -> str:
    """The reason from a validated `eligibility_override`, or "" when none was confirmed."""
    return data["reason"] if data and data.get("confirmed") else ""


class ReferralCreateSerializer(StrictSerializer):
    person = PersonInSerializer()
    consent = ConsentInSerializer(required=False, allow_null=True)
    what_matters = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    needs = serializers.ListField(
        child=serializers.SlugField(max_length=80), max_length=20, required=False, default=list
    )
    target = TargetInSerializer()
    priority = serializers.ChoiceField(choices=Priority.choices, required=False, default=Priority.ROUTINE)
    notes = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    status = serializers.ChoiceField(
        choices=[ReferralStatus.REQUESTED, ReferralStatus.DRAFT],
        required=False,
        default=ReferralStatus.REQUESTED,
        help_text="Leave out to request at once; send draft to keep it as a draft.",
    )
    eligibility_override = EligibilityOverrideInSerializer(
        required=False,
        allow_null=True,
        help_text="Only when the service's ages or areas exclude the person and the group agreed to take them.",
    )


class TransitionSerializer(StrictSerializer):
    to = serializers.ChoiceField(choices=ReferralStatus.choices)
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, allow_null=True)
    business_status = serializers.ChoiceField(
        choices=BusinessStatus.choices, required=False, allow_blank=True, allow_null=True
    )
    eligibility_override = EligibilityOverrideInSerializer(
        required=False,
        allow_null=True,
        help_text="When requesting a draft the service's ages or areas exclude the person from.",
    )


class OutcomeInSerializer(StrictSerializer):
    instrument = serializers.CharField(max_length=40, help_text="ons4, or an instrument your deployment added.")
    stage = serializers.ChoiceField(choices=OutcomeStage.choices)
    answers = serializers.DictField(child=serializers.IntegerField(min_value=0, max_value=1000), allow_empty=False)

    def validate_answers(self, value):
        if len(value) > 50 or any(len(str(key)) > 60 for key in value):
            raise serializers.ValidationError(_("Too many answers, or a question name is too long."))
        return value


# --- Output --------------------------------------------------------------------------------


class PersonOutSerializer(serializers.Serializer):
    given_name = serializers.CharField(required=False)
    family_name = serializers.CharField(required=False)
    preferred_name = serializers.CharField(required=False)
    date_of_birth = serializers.DateField(required=False, allow_null=True)
    postcode = serializers.CharField(required=False)
    postcode_district = serializers.SerializerMethodField(required=False)
    phone = serializers.CharField(required=False)
    email = serializers.CharField(required=False)
    preferred_contact = serializers.ChoiceField(choices=PreferredContact.choices, required=False)
    contact_times = serializers.CharField(required=False)
    communication_needs = serializers.ListField(child=serializers.CharField(), required=False)
    do_not_contact = serializers.BooleanField(required=False)

    def get_postcode_district(self, referral) -> str:
        return referral.postcode.split(" ", 1)[0]

    def to_representation(self, referral):
        data = super().to_representation(referral)
        allowed = self.context["sharing"][referral.pk].person_fields
        return {key: value for key, value in data.items() if key in allowed}


class ConsentOutSerializer(serializers.Serializer):
    given = serializers.BooleanField()
    scopes = serializers.ListField(child=serializers.ChoiceField(choices=ConsentScope.choices))
    method = serializers.ChoiceField(choices=ConsentMethod.choices, required=False)
    recorded_by = serializers.CharField(required=False)
    recorded_at = serializers.DateTimeField(required=False)
    withdrawn_at = serializers.DateTimeField(allow_null=True)

    def to_representation(self, consent):
        data = super().to_representation(consent)
        if not self.context["sharing"][consent.referral_id].consent_details:
            for key in ("method", "recorded_by", "recorded_at"):
                data.pop(key, None)
        return data


class TargetServiceOutSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    organisation = OrganisationRefSerializer()


class TargetOutSerializer(serializers.Serializer):
    service = TargetServiceOutSerializer(source="target_service", allow_null=True)
    timebank = serializers.SerializerMethodField(help_text="True for a referral to a timebank.")
    timebank_slug = serializers.SerializerMethodField(help_text="Which timebank: its short name; null for a service.")

    def get_timebank(self, referral) -> bool:
        return referral.target_timebank_id is not None

    def get_timebank_slug(self, referral) -> str | None:
        timebank = referral.target_timebank if referral.target_timebank_id is not None else None
        return timebank.slug if timebank is not None else None


class HistoryOutSerializer(serializers.Serializer):
    from_status = serializers.CharField()
    to_status = serializers.ChoiceField(choices=ReferralStatus.choices)
    business_status = serializers.CharField()
    reason = serializers.CharField()
    organisation = OrganisationRefSerializer(allow_null=True)
    at = serializers.DateTimeField()


class OutcomeOutSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    instrument = serializers.CharField()
    stage = serializers.ChoiceField(choices=OutcomeStage.choices)
    answers = serializers.DictField(child=serializers.IntegerField())
    recorded_at = serializers.DateTimeField()


class GpRecordEventOutSerializer(serializers.Serializer):
    snomed_code = serializers.CharField()
    display = serializers.CharField()
    occurred_on = serializers.DateField()


class ReferralSerializer(serializers.Serializer):
    """One referral as its caller may see it. Context: `actor`."""

    id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=ReferralStatus.choices)
    business_status = serializers.CharField()
    status_reason = serializers.CharField()
    priority = serializers.ChoiceField(choices=Priority.choices)
    referring_organisation = OrganisationRefSerializer()
    target = TargetOutSerializer(source="*")
    person = PersonOutSerializer(source="*")
    consent = serializers.SerializerMethodField()
    what_matters = serializers.CharField(required=False)
    needs = serializers.SerializerMethodField()
    notes = serializers.CharField(required=False)
    eligibility_override = serializers.SerializerMethodField(
        help_text="true when the link worker confirmed an exception to the service's ages or areas."
    )
    eligibility_override_reason = serializers.CharField(
        required=False,
        help_text="Why the exception was made. Left out for a receiver without consent to share details.",
    )
    first_exchange_at = serializers.DateTimeField(allow_null=True)
    requested_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    modified_at = serializers.DateTimeField()

    def _sharing(self, referral):
        cache = self.context.setdefault("sharing", {})
        if referral.pk not in cache:
            cache[referral.pk] = referral_sharing(self.context["actor"], referral)
        return cache[referral.pk]

    @extend_schema_field(ConsentOutSerializer(allow_null=True))
    def get_consent(self, referral):
        consent = getattr(referral, "consent", None)
        return ConsentOutSerializer(consent, context=self.context).data if consent is not None else None

    def get_needs(self, referral) -> list[str]:
        return sorted(term.slug for term in referral.needs.all())

    def _progress(self, referral):
        cache = self.context.setdefault("progress", {})
        if referral.pk not in cache:
            cache[referral.pk] = shown_progress(self._sharing(referral), referral)
        return cache[referral.pk]

    def to_representation(self, referral):
        sharing = self._sharing(referral)
        data = super().to_representation(referral)
        progress = self._progress(referral)
        data["status"] = progress.status
        data["business_status"] = progress.business_status
        data["status_reason"] = progress.status_reason
        data["first_exchange_at"] = (
            self.fields["first_exchange_at"].to_representation(progress.first_exchange_at)
            if progress.first_exchange_at
            else None
        )
        data["modified_at"] = self.fields["modified_at"].to_representation(progress.modified_at)
        if not sharing.what_matters:
            data.pop("what_matters")
        if not sharing.notes:
            data.pop("notes")
        if not sharing.eligibility_override_reason:
            data.pop("eligibility_override_reason")
        return data

    def get_eligibility_override(self, referral) -> bool:
        return bool(referral.eligibility_override_reason)


class ReferralDetailSerializer(ReferralSerializer):
    history = serializers.SerializerMethodField()
    outcomes = serializers.SerializerMethodField()
    gp_record_events = GpRecordEventOutSerializer(many=True, required=False)

    @extend_schema_field(HistoryOutSerializer(many=True))
    def get_history(self, referral):
        return HistoryOutSerializer(self._progress(referral).history, many=True).data

    @extend_schema_field(OutcomeOutSerializer(many=True))
    def get_outcomes(self, referral):
        return OutcomeOutSerializer(visible_outcomes(self._sharing(referral), referral), many=True).data

    def to_representation(self, referral):
        data = super().to_representation(referral)
        sharing = self._sharing(referral)
        if not sharing.gp_record_events:
            data.pop("gp_record_events")
        else:
            events = gp_events_visible(sharing, referral.gp_record_events.all())
            data["gp_record_events"] = GpRecordEventOutSerializer(events, many=True).data
        return data


class WebhookInSerializer(StrictSerializer):
    url = serializers.URLField(max_length=500, help_text="An https address on the public internet.")


class WebhookOutSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    url = serializers.URLField()
    is_active = serializers.BooleanField()
    created_at = serializers.DateTimeField()


class WebhookCreatedSerializer(WebhookOutSerializer):
    secret = serializers.CharField(help_text="Shown only now: verify each delivery's TimeCommons-Signature with it.")


def instrument_names() -> list[str]:
    return sorted(registry())


# The same person referred to a timebank, named by its short name.
TIMEBANK_REFERRAL_EXAMPLE = {
    **copy.deepcopy(REFERRAL_EXAMPLE),
    "target": {"timebank": "caversham"},
    "needs": ["befriending-and-loneliness"],
}

CREATE_EXAMPLES = [
    OpenApiExample("A referral to a gardening group", value=REFERRAL_EXAMPLE, request_only=True),
    OpenApiExample("A referral to a timebank", value=TIMEBANK_REFERRAL_EXAMPLE, request_only=True),
    OpenApiExample(
        "An exception to the group's ages, agreed with the group",
        value={
            **copy.deepcopy(REFERRAL_EXAMPLE),
            "eligibility_override": {
                "confirmed": True,
                "reason": "The organiser agreed by phone: Jo used to play and wants to help coach.",
            },
        },
        request_only=True,
    ),
]
TRANSITION_EXAMPLES = [
    OpenApiExample(
        "Accept", value={"to": "accepted", "reason": None, "business_status": "contact-attempted"}, request_only=True
    )
]
OUTCOME_EXAMPLES = [
    OpenApiExample(
        "ONS4 at referral",
        value={
            "instrument": "ons4",
            "stage": "baseline",
            "answers": {"life_satisfaction": 4, "worthwhile": 5, "happiness": 3, "anxiety": 7},
        },
        request_only=True,
    )
]
