"""The subject access export (docs/quality.md D7): everything the app holds
about one member, as JSON.

The export (`member_personal_data`) is built from EXPORT_REGISTRY: one entry
per model that can hold a member's data, saying how to select that member's
rows. Every other model of the project's apps is listed in
HOLDS_NO_PERSONAL_DATA with the reason. tests/privacy/test_privacy.py fails
when a model is in neither, so a new model cannot be forgotten. The lower
apps' models are entered here; the apps above privacy enter theirs from their
AppConfig.ready() (privacy.registry).
"""

import datetime
import decimal
import json
import uuid
from collections.abc import Callable
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Model, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _, gettext_lazy

from assets.models import OrganisationClaim, OrganisationMembership, ProblemReport
from core.errors import InvalidInputError
from privacy.registry import EXPORT_REGISTRY, HOLDS_NO_PERSONAL_DATA, Selection
from referrals.models import Consent, GpRecordEvent, Outcome, Referral, ReferralAccessLog, ReferralHistory
from timebank.models import (
    Account,
    AccountDay,
    CategoryRestriction,
    Entry,
    Exchange,
    ExchangeHistory,
    ExchangeReceiver,
    Incident,
    LimitOverride,
    Listing,
    Member,
    PartnerDay,
    SafeguardingCheck,
    SafeguardingOverride,
    Timebank,
    Transfer,
    TransferNote,
    User,
)

EXPORT_FORMAT_VERSION = 1


def exchange_party_q(member: Member) -> Q:
    return Q(provider=member) | Q(receiver_links__member=member)


# --- Subject access export (docs/quality.md D7) ---------------------------------------------------


def _user_rows(model: type[Model], lookup: str) -> Callable[[Member], QuerySet[Any]]:
    def select(member: Member) -> QuerySet[Any]:
        if member.user_id is None:
            return model._default_manager.none()
        return model._default_manager.filter(**{lookup: member.user_id})

    return select


def _exchanges_of(member: Member) -> QuerySet[Exchange]:
    return Exchange.objects.filter(pk__in=Exchange.objects.filter(exchange_party_q(member)).values("pk"))


def _exchange_history_of(member: Member) -> QuerySet[ExchangeHistory]:
    mine = Q(exchange__in=_exchanges_of(member))
    if member.user_id is not None:
        mine |= Q(actor_id=member.user_id)
    return ExchangeHistory.objects.filter(mine)


def _transfers_of(member: Member) -> QuerySet[Transfer]:
    mine = Q(pk__in=Entry.objects.filter(account__member=member).values("transfer_id"))
    if member.user_id is not None:
        mine |= Q(recorded_by_id=member.user_id)
    return Transfer.objects.filter(mine)


def _referral_rows(model: type[Model], lookup: str) -> Callable[[Member], QuerySet[Any]]:
    def select(member: Member) -> QuerySet[Any]:
        return model._default_manager.filter(**{lookup: member})

    return select


def _referral_access_log_of(member: Member) -> QuerySet[ReferralAccessLog]:
    mine = Q(referral_id__in=Referral.objects.filter(member=member).values("pk"))
    if member.user_id is not None:
        mine |= Q(user_id=member.user_id)
    return ReferralAccessLog.objects.filter(mine)


# The lower apps' models; apps above privacy register theirs (privacy.registry).
EXPORT_REGISTRY.update(
    {
        "timebank.Timebank": Selection(
            lambda m: _user_rows(Timebank, "coordinators")(m),
            exclude=("coordinators",),
            note=gettext_lazy(
                "The timebanks you coordinate (their names and settings; other coordinators are left out)."
            ),
        ),
        "timebank.User": Selection(
            _user_rows(User, "pk"),
            exclude=("password",),
            note=gettext_lazy("Your login. The password is never exported."),
        ),
        "timebank.Member": Selection(
            lambda m: Member.objects.filter(pk=m.pk), note=gettext_lazy("Your member profile.")
        ),
        "timebank.Listing": Selection(
            lambda m: Listing.objects.filter(member=m), note=gettext_lazy("What you offered or asked for.")
        ),
        "timebank.Exchange": Selection(_exchanges_of, note=gettext_lazy("Exchanges you gave or received.")),
        "timebank.ExchangeReceiver": Selection(
            lambda m: ExchangeReceiver.objects.filter(exchange__in=_exchanges_of(m)),
            note=gettext_lazy("Who received the help in your exchanges (member ids)."),
        ),
        "timebank.ExchangeHistory": Selection(
            _exchange_history_of,
            note=gettext_lazy("Every change to your exchanges, and the notes you wrote on exchanges."),
        ),
        "timebank.Account": Selection(
            lambda m: Account.objects.filter(member=m), note=gettext_lazy("Your hours account; balance in minutes.")
        ),
        "timebank.Transfer": Selection(
            _transfers_of,
            note=gettext_lazy(
                "Ledger transfers that moved your hours or that you recorded. A transfer's memo is withheld "
                "when it involves a former member, because it may name them."
            ),
        ),
        "timebank.TransferNote": Selection(
            # Erasure blanks the notes on every transfer of an erased member: an empty note says nothing.
            lambda m: TransferNote.objects.filter(transfer__in=_transfers_of(m)).exclude(text=""),
            note=gettext_lazy("What was written with those transfers: a gift's message, a donation's note, a reason."),
        ),
        "timebank.Entry": Selection(
            lambda m: Entry.objects.filter(account__member=m),
            note=gettext_lazy("Each change to your balance, in minutes."),
        ),
        "timebank.LimitOverride": Selection(
            lambda m: LimitOverride.objects.filter(account__member=m),
            note=gettext_lazy("Corrections a coordinator let through past your account's limit, with their reason."),
        ),
        "timebank.AccountDay": Selection(
            lambda m: AccountDay.objects.filter(account__member=m),
            note=gettext_lazy("For the timebank's reports: how many exchanges you gave and received in, each day."),
        ),
        "timebank.PartnerDay": Selection(
            lambda m: PartnerDay.objects.filter(Q(account__member=m) | Q(partner__member=m)),
            note=gettext_lazy(
                "For the timebank's reports: how many exchanges you shared with each other member, each day."
            ),
        ),
        "timebank.SafeguardingCheck": Selection(
            lambda m: SafeguardingCheck.objects.filter(member=m),
            note=gettext_lazy("Safeguarding checks about you (coordinators only)."),
        ),
        "timebank.Incident": Selection(
            lambda m: Incident.objects.filter(member=m),
            note=gettext_lazy(
                "Incidents recorded about you. Coordinator-only records, included because they are about you."
            ),
        ),
        "timebank.CategoryRestriction": Selection(
            lambda m: CategoryRestriction.objects.filter(member=m),
            note=gettext_lazy("Kinds of help you will not be matched for (coordinators only)."),
        ),
        "timebank.SafeguardingOverride": Selection(
            lambda m: SafeguardingOverride.objects.filter(member=m),
            exclude=("overridden_by",),
            note=gettext_lazy(
                "Times a coordinator let you help although a safeguarding check or restriction stood in the way, "
                "and their reason (coordinators only; which coordinator is left out)."
            ),
        ),
        "assets.OrganisationMembership": Selection(
            lambda m: _user_rows(OrganisationMembership, "user_id")(m),
            note=gettext_lazy("The organisation you work for in the directory."),
        ),
        "assets.OrganisationClaim": Selection(
            lambda m: _user_rows(OrganisationClaim, "user_id")(m),
            note=gettext_lazy("Your requests to manage a group's listings."),
        ),
        "assets.ProblemReport": Selection(
            lambda m: _user_rows(ProblemReport, "reporter_id")(m),
            note=gettext_lazy("Problems you reported with directory listings."),
        ),
        "referrals.Referral": Selection(
            _referral_rows(Referral, "member"),
            note=gettext_lazy("Referrals (social prescribing) that brought you to the timebank."),
        ),
        "referrals.Consent": Selection(
            _referral_rows(Consent, "referral__member"), note=gettext_lazy("The consent you gave for each referral.")
        ),
        "referrals.ReferralHistory": Selection(
            _referral_rows(ReferralHistory, "referral__member"),
            note=gettext_lazy("Every change of status of your referrals."),
        ),
        "referrals.Outcome": Selection(
            _referral_rows(Outcome, "referral__member"),
            note=gettext_lazy("Wellbeing measures recorded for your referrals."),
        ),
        "referrals.GpRecordEvent": Selection(
            _referral_rows(GpRecordEvent, "referral__member"), note=gettext_lazy("Codes sent back to your GP record.")
        ),
        "referrals.ReferralAccessLog": Selection(
            _referral_access_log_of,
            exclude=("user",),
            note=gettext_lazy(
                "Who looked at or changed your referrals (by organisation), and what you did with referrals."
            ),
        ),
    }
)

HOLDS_NO_PERSONAL_DATA.update(
    {
        "timebank.LedgerDay": "Totals for the timebank's reports per day, kind of transfer and category: no member.",
        "timebank.Category": "A timebank's list of kinds of help.",
        "assets.Taxonomy": "A directory classification scheme.",
        "assets.TaxonomyTerm": "Terms of a classification scheme.",
        "assets.Organisation": "An organisation's public directory entry.",
        "assets.Service": "A service's public directory entry.",
        "assets.FeedSource": "A published Open Referral feed the directory imports, and its last run's report.",
        "assets.ServiceAttribute": "Links a service to taxonomy terms.",
        "assets.Capacity": "Places available at a service.",
        "assets.Contact": "A service's published contact point, not linked to any member or login.",
        "assets.Location": "A service's public address and map point.",
        "assets.ServiceAtLocation": "Where a service runs.",
        "assets.ServiceArea": "The area a service covers.",
        "assets.Schedule": "When a service runs.",
        "assets.ReviewReminder": "Which reminders about stale listings were sent, by service.",
        "core.PostcodePoint": "Public postcode centroids (Ordnance Survey open data).",
        "core.Counter": "Rate-limit counts per caller and window: a user or client id, or a keyed hash of an "
        "address, and a number, deleted once the window has passed.",
        "assets.SearchEntry": "The directory's search index, built from services.",
        "referrals.WebhookSubscription": "An organisation's webhook address and secret.",
        "referrals.WebhookDelivery": "Webhook events, which carry ids only, never personal data.",
    }
)


# A value in the export: what json.dumps writes as text, number, bool, null, list or object.
JsonValue = str | int | float | bool | None | list["JsonValue"] | dict[str, "JsonValue"]


def _value(value: object) -> JsonValue:
    """A field value as JSON: text, number, bool, null, list or object."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (uuid.UUID, decimal.Decimal)):
        return str(value)
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    if isinstance(value, (list, tuple)):
        return [_value(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _value(item) for key, item in value.items()}
    return str(value)


def _row(obj: Model, *, exclude: tuple[str, ...]) -> dict[str, JsonValue]:
    row: dict[str, JsonValue] = {}
    for field in obj._meta.concrete_fields:
        if field.name in exclude:
            continue
        row[field.attname] = _value(getattr(obj, field.attname))
    for field in obj._meta.many_to_many:
        if field.name not in exclude:
            row[field.name] = [_value(pk) for pk in sorted(getattr(obj, field.name).values_list("pk", flat=True))]
    return row


def _erased_account_transfer_ids(transfer_ids: list[int]) -> set[int]:
    return set(
        Entry.objects.filter(transfer_id__in=transfer_ids, account__member__erased_at__isnull=False).values_list(
            "transfer_id", flat=True
        )
    )


def member_personal_data(*, member: Member) -> dict[str, object]:
    """Everything the app holds about `member`, as a JSON-serialisable dict:
    one list of rows per model in EXPORT_REGISTRY (label → rows)."""
    data: dict[str, list[dict[str, JsonValue]]] = {}
    for label, selection in EXPORT_REGISTRY.items():
        objects = list(selection.rows(member).order_by("pk"))
        rows = [_row(obj, exclude=selection.exclude) for obj in objects]
        if label == "timebank.Transfer":
            withheld = _erased_account_transfer_ids([obj.pk for obj in objects])
            for row in rows:
                if row["id"] in withheld:
                    row["memo"] = None
                    row["memo_withheld"] = "It may name a former member whose data was erased."
        data[label] = rows
    account = Account.objects.filter(member=member).first()
    return {
        "format": EXPORT_FORMAT_VERSION,
        "exported_at": timezone.now().isoformat(),
        "member": str(member.public_id),
        "erased_at": _value(member.erased_at),
        "balance_minutes": account.balance if account is not None else None,
        "notes": {label: str(selection.note) for label, selection in EXPORT_REGISTRY.items()},
        "data": data,
    }


def personal_data_json(*, member: Member) -> str:
    """member_personal_data as the JSON text that the download and the command give."""
    return json.dumps(member_personal_data(member=member), cls=DjangoJSONEncoder, indent=2, ensure_ascii=False)


def parse_member_reference(text: str) -> Member:
    """A member from an id typed by a person: the number or the public id."""
    text = (text or "").strip()
    try:
        if text.isdigit() and len(text) < 19:
            return Member.objects.get(pk=int(text))
        return Member.objects.get(public_id=uuid.UUID(text))
    except (ValueError, Member.DoesNotExist):
        raise InvalidInputError(_("There is no member with the id '%(id)s'.") % {"id": text[:60]}) from None


# The apps that keep their entries in their own modules of privacy/ (each fills
# the registry when imported).
from privacy import carers, coproduction_assessment, coproduction_involvement, coproduction_voice  # noqa: E402, F401
