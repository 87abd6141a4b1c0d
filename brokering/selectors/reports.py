"""Reports funders trust: every figure for one timebank and one period, with
the definition written next to it.

A report is a table (columns and rows of plain cells) plus an optional chart
spec; the page, the CSV download and the chart all read the same rows, so the
CSV always matches the table. Hours are shown as decimal hours from integer
minutes (timebank.hours), never floats added up.

The ledger figures read only the ledger's summaries (timebank/summaries.py:
LedgerDay, AccountDay, PartnerDay, kept by database triggers), a few rows per
day however many entries there are (docs/quality.md P10); pages and CSVs read
them inside core.replica `reading_reports()`.

Shared definitions:
- The period runs from its first day to its last day, both included, local time.
- "Exchange transfers" are ledger transfers of kind exchange given in the
  period that have not been reversed (a reversal later removes one from every
  report). An exchange counts on the day the help happened (the exchange's
  "helped on" day), or the day it was recorded when no day of help was given.
  Only member accounts take part in them: system accounts (the
  community pot, opening balances) are never counted as members.
- The provider of an exchange *gives* (their account is credited); the
  receivers *receive* (their accounts are debited).
"""

import datetime
import statistics
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import connections, router
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from assets.models import Organisation
from referrals.actors import Actor
from referrals.consent import ReportView, report_view
from referrals.instruments import ONS4
from referrals.models import BusinessStatus, Outcome, OutcomeStage, Referral, ReferralStatus
from timebank.hours import format_hours_decimal
from timebank.models import (
    Account,
    AccountDay,
    LedgerDay,
    Listing,
    ListingKind,
    Member,
    PartnerDay,
    Timebank,
    TransferKind,
)


@dataclass(frozen=True)
class Period:
    start: datetime.date
    end: datetime.date  # inclusive

    @property
    def start_at(self) -> datetime.datetime:
        return timezone.make_aware(datetime.datetime.combine(self.start, datetime.time.min))

    @property
    def end_before(self) -> datetime.datetime:
        return timezone.make_aware(datetime.datetime.combine(self.end + datetime.timedelta(days=1), datetime.time.min))

    def __str__(self) -> str:
        return f"{self.start:%-d %B %Y} to {self.end:%-d %B %Y}"

    def months(self) -> list[datetime.date]:
        months, month = [], self.start.replace(day=1)
        while month <= self.end:
            months.append(month)
            month = (month + datetime.timedelta(days=32)).replace(day=1)
        return months


@dataclass
class Chart:
    kind: str  # "bar" (vertical) or "barh" (horizontal)
    title: str
    labels: list[str]
    values: list[float]
    value_label: str


@dataclass
class Report:
    slug: str
    title: str
    summary: str
    columns: list[str]
    rows: list[list[str]]
    definitions: list[tuple[str, str]] = field(default_factory=list)
    chart: Chart | None = None
    numeric_columns: set[int] = field(default_factory=set)


def hours_cell(minutes: int | None) -> str:
    """Decimal hours for tables and CSV: 90 -> "1.5"."""
    return format_hours_decimal(minutes or 0).removesuffix(" h")


def days_cell(value: float | None) -> str:
    return "no data" if value is None else f"{value:.1f}"


def _median_days(durations: list[datetime.timedelta]) -> float | None:
    if not durations:
        return None
    return statistics.median(d.total_seconds() for d in durations) / 86400


# --- the building blocks ------------------------------------------------------------------------


def ledger_days(*, timebank: Timebank, period: Period) -> QuerySet[LedgerDay]:
    """The timebank's summary rows for the period's days. On PostgreSQL a day's
    counts are spread over several rows (`slot`): always add them up."""
    return LedgerDay.objects.filter(timebank=timebank, day__gte=period.start, day__lte=period.end)


def exchange_days(*, timebank: Timebank, period: Period) -> QuerySet[LedgerDay]:
    return ledger_days(timebank=timebank, period=period).filter(kind=TransferKind.EXCHANGE)


def member_totals(*, timebank: Timebank, period: Period) -> dict[str, int]:
    """How many member accounts gave or received in an exchange in the period
    ("active"), how many did both, and how many different pairs of members
    exchanged: three counts, two queries, whatever the ledger's size.

    Both queries go account by account (a timebank has thousands of accounts,
    its summaries a million rows), each a short range of a covering index, so
    neither groups or sorts the whole period's rows (docs/quality.md P10). The
    summary counts are never below 0 (a reversal takes back only what its
    transfer added), so "a positive total over the period" is "a row with a
    positive count in the period", which an index lookup answers.

    PostgreSQL keeps the grouped form (`_member_totals_grouped`): its hash
    aggregates over the covering indexes measured 555 ms at 1M entries, and the
    per-account form was not measured there on a quiet machine."""
    if connections[router.db_for_read(AccountDay)].vendor == "postgresql":
        return _member_totals_grouped(timebank=timebank, period=period)
    accounts = Account.objects.filter(timebank=timebank).order_by()
    days = AccountDay.objects.filter(
        timebank=timebank, account=OuterRef("pk"), day__gte=period.start, day__lte=period.end
    )
    gave, received = Exists(days.filter(gave__gt=0)), Exists(days.filter(received__gt=0))
    members = accounts.aggregate(
        active=Count("pk", filter=Q(gave) | Q(received)), both=Count("pk", filter=Q(gave) & Q(received))
    )
    # PartnerDay holds each pair both ways: counting one way (partner > account)
    # reads half the rows, as a range of the covering index after each account,
    # and each such pair is a partner of both its members.
    partners = (
        PartnerDay.objects.filter(
            timebank=timebank,
            account=OuterRef("pk"),
            partner_id__gt=OuterRef("pk"),
            day__gte=period.start,
            day__lte=period.end,
            exchanges__gt=0,
        )
        .order_by()
        .values("account_id")
        .annotate(n=Count("partner_id", distinct=True))
        .values("n")
    )
    pairs = accounts.aggregate(pairs=Sum(Subquery(partners)))["pairs"]
    return {"active": members["active"] or 0, "both": members["both"] or 0, "pairs": pairs or 0}


def _member_totals_grouped(*, timebank: Timebank, period: Period) -> dict[str, int]:
    """member_totals as grouped aggregates over the period's summary rows."""
    # A reversal leaves a member's day at 0: only a positive total counts.
    per_account = (
        AccountDay.objects.filter(timebank=timebank, day__gte=period.start, day__lte=period.end)
        .values("account_id")
        .annotate(gave_in=Sum("gave"), received_in=Sum("received"))
        .filter(Q(gave_in__gt=0) | Q(received_in__gt=0))
        .order_by()
    )
    members = per_account.aggregate(
        active=Count("account_id"), both=Count("account_id", filter=Q(gave_in__gt=0, received_in__gt=0))
    )
    # PartnerDay holds each pair both ways: counting one way (account < partner)
    # reads half the rows, and each such pair is a partner of both its members.
    pairs = (
        PartnerDay.objects.filter(
            timebank=timebank, day__gte=period.start, day__lte=period.end, account_id__lt=F("partner_id")
        )
        .values("account_id", "partner_id")
        .annotate(shared=Sum("exchanges"))
        .filter(shared__gt=0)
        .order_by()
        .count()
    )
    return {"active": members["active"] or 0, "both": members["both"] or 0, "pairs": pairs}


def overview_figures(*, timebank: Timebank, period: Period) -> list[tuple[str, str, str]]:
    """(figure, value, definition) rows; a fixed number of queries."""
    exchange = Q(kind=TransferKind.EXCHANGE)
    ledger = ledger_days(timebank=timebank, period=period).aggregate(
        exchanges=Sum("transfers", filter=exchange),
        minutes=Sum("minutes", filter=exchange),
        pot_in=Sum("pot_in"),
        pot_out=Sum("pot_out"),
    )
    exchanges, minutes = ledger["exchanges"] or 0, ledger["minutes"] or 0
    totals = member_totals(timebank=timebank, period=period)
    active, both = totals["active"], totals["both"]
    # Each pair of partners is a different partner for both of its members.
    mean_partners = 2 * totals["pairs"] / active if active else None

    new_members = Member.objects.filter(
        timebank=timebank, approved_at__gte=period.start_at, approved_at__lt=period.end_before
    ).count()
    first_exchanges = Member.objects.filter(
        timebank=timebank, first_exchange_at__gte=period.start_at, first_exchange_at__lt=period.end_before
    ).values_list("joined_at", "first_exchange_at")
    join_to_first = _median_days([first - joined for joined, first in first_exchanges if first is not None])
    matched = Listing.objects.filter(
        timebank=timebank,
        kind=ListingKind.REQUEST,
        matched_at__gte=period.start_at,
        matched_at__lt=period.end_before,
    ).values_list("created_at", "matched_at")
    wait = _median_days([done - made for made, done in matched if done is not None])
    still_waiting = (
        Listing.objects.filter(timebank=timebank, kind=ListingKind.REQUEST, created_at__lt=period.end_before)
        .filter(Q(matched_at__isnull=True) | Q(matched_at__gte=period.end_before))
        .filter(Q(closed_at__isnull=True) | Q(closed_at__gte=period.end_before))
        .count()
    )
    share = f" ({round(100 * both / active)}% of active members)" if active else ""
    return [
        (
            "Hours exchanged",
            hours_cell(minutes),
            "Hours given in exchange transfers given in the period, on the day the help happened (not the day it "
            "was recorded; each exchange counted once, from the provider's side; a group exchange counts its hours "
            "once). Gifts, grants and donations are not included.",
        ),
        (
            "Exchanges",
            str(exchanges),
            "Exchange transfers given in the period and not reversed. The day of the help is used, or the day it "
            "was recorded in the ledger when no day of help was given.",
        ),
        (
            "Active members",
            str(active),
            "Members who gave or received in at least one exchange in the period. System accounts are not members.",
        ),
        ("New members", str(new_members), "Members whose application was approved in the period."),
        (
            "Members who both gave and received",
            f"{both}{share}",
            "Active members who were a provider in one exchange and a receiver in another, in the period.",
        ),
        (
            "Median days from joining to first exchange",
            days_cell(join_to_first),
            "For members whose first exchange was in the period: the median time from joining (applying) to it.",
        ),
        (
            "Median days a request waited for a match",
            days_cell(wait),
            "For requests matched in the period (a first exchange proposed for them): the median time from "
            "posting the request to the match.",
        ),
        (
            "Requests still waiting at the end of the period",
            str(still_waiting),
            "Requests posted before the end of the period, not matched and not closed by then.",
        ),
        (
            "Average different exchange partners per active member",
            "no data" if mean_partners is None else f"{mean_partners:.1f}",
            "For each active member, how many different people they exchanged with in the period; the mean over "
            "active members.",
        ),
        (
            "Community pot: hours in",
            hours_cell(ledger["pot_in"]),
            "Hours paid into the community pot in the period (donations, reversals of grants).",
        ),
        (
            "Community pot: hours out",
            hours_cell(ledger["pot_out"]),
            "Hours paid out of the community pot in the period (grants, reversals of donations).",
        ),
    ]


# --- the reports -----------------------------------------------------------------------------


def overview_report(*, timebank: Timebank, period: Period) -> Report:
    figures = overview_figures(timebank=timebank, period=period)
    counts = [(name, value) for name, value, _ in figures if name in ("Active members", "New members")]
    both = next(value for name, value, _ in figures if name == "Members who both gave and received")
    counts.append(("Gave and received", both.split(" ")[0]))
    return Report(
        slug="overview",
        title="Overview",
        summary="The headline figures for the period.",
        columns=["Figure", "Value"],
        rows=[[name, value] for name, value, _ in figures],
        definitions=[(name, definition) for name, _, definition in figures],
        chart=Chart(
            kind="bar",
            title="Members in the period",
            labels=[name for name, _ in counts],
            values=[float(value) for _, value in counts],
            value_label="Members",
        ),
        numeric_columns={1},
    )


def categories_report(*, timebank: Timebank, period: Period) -> Report:
    rows = (
        exchange_days(timebank=timebank, period=period)
        .values("category__name")
        .annotate(minutes=Sum("minutes"), exchanges=Sum("transfers"))
        .filter(exchanges__gt=0)
        .order_by("-minutes", "category__name")
    )
    table = [
        [
            row["category__name"] or "No category",
            str(row["exchanges"]),
            hours_cell(row["minutes"]),
        ]
        for row in rows
    ]
    return Report(
        slug="categories",
        title="Hours by category",
        summary="Which kinds of help people gave each other.",
        columns=["Category", "Exchanges", "Hours"],
        rows=table,
        definitions=[
            (
                "Category",
                'The category of the listing the exchange was arranged from; "No category" when it '
                "was recorded without a listing.",
            ),
            (
                "Exchanges",
                "Exchange transfers given in the period and not reversed (the day the help happened is used, "
                "not the day it was recorded).",
            ),
            ("Hours", "Hours given in those exchanges, counted once per exchange."),
        ],
        chart=Chart(
            kind="barh",
            title="Hours by category",
            labels=[row[0] for row in table],
            values=[float(row[2]) for row in table],
            value_label="Hours",
        ),
        numeric_columns={1, 2},
    )


def monthly_report(*, timebank: Timebank, period: Period) -> Report:
    by_month: dict[datetime.date, Mapping[str, Any]] = {
        row["month"]: row
        for row in exchange_days(timebank=timebank, period=period)
        .annotate(month=TruncMonth("day"))
        .values("month")
        .annotate(minutes=Sum("minutes"), exchanges=Sum("transfers"))
        .order_by("month")
    }
    joined = {
        row["month"].date() if isinstance(row["month"], datetime.datetime) else row["month"]: row["n"]
        for row in Member.objects.filter(
            timebank=timebank, approved_at__gte=period.start_at, approved_at__lt=period.end_before
        )
        .annotate(month=TruncMonth("approved_at"))
        .values("month")
        .annotate(n=Count("pk"))
        .order_by("month")
    }
    table = []
    for month in period.months():
        row: Mapping[str, Any] = by_month.get(month, {})
        table.append(
            [
                f"{month:%B %Y}",
                str(row.get("exchanges", 0)),
                hours_cell(row.get("minutes", 0)),
                str(joined.get(month, 0)),
            ]
        )
    return Report(
        slug="monthly",
        title="Month by month",
        summary="Exchanges, hours and new members in each month of the period.",
        columns=["Month", "Exchanges", "Hours", "New members"],
        rows=table,
        definitions=[
            (
                "Exchanges",
                "Exchange transfers given in the month and not reversed: the month of the day the help happened, "
                "or of the day it was recorded when no day of help was given.",
            ),
            ("Hours", "Hours given in those exchanges, counted once per exchange."),
            ("New members", "Members whose application was approved in the month."),
        ],
        chart=Chart(
            kind="bar",
            title="Hours exchanged each month",
            labels=[f"{month:%b %Y}" for month in period.months()],
            values=[float(row[2]) for row in table],
            value_label="Hours",
        ),
        numeric_columns={1, 2, 3},
    )


# --- referrals (social prescribing) -------------------------------------------------------------

REFERRAL_SCOPE = (
    "Referrals from every referring organisation on this install to any service in the directory or to this "
    "timebank (never those to another timebank), counted when "
    "they were sent (requested) in the period. Drafts never sent, referrals entered in error and referrals "
    "whose person did not give or withdrew consent are not counted. "
    "Only counts are shown: no person can be identified from these tables."
)
# What happened to a referral the timebank did not receive is counted only when the
# person agreed to share it (referrals/consent.py `report_view`); else it is this.
NOT_SHARED_LABEL = "Not shared (the person's choice)"

# Small-number suppression, as health statistics require (NHS Digital's
# disclosure control): a count of 1 to 4 could point to a person, so it is
# shown as "fewer than 5"; 0 discloses nothing and is shown. Every referral
# report counts the same referrals, so one report's total, minus the shown
# cells of another, would give back a lone hidden cell: when only one cell of
# a table is hidden, the next smallest is hidden too ("not shown").
SMALL_NUMBER_LIMIT = 5
FEWER_THAN_LIMIT = "fewer than 5"
NOT_SHOWN = "not shown"
SUPPRESSION_DEFINITION = (
    'Counts from 1 to 4 are shown as "fewer than 5" so that nobody can be picked out. When only one count in a '
    "table is that small, the next smallest is not shown either, so it cannot be worked out from the totals of "
    "the other reports."
)


def suppressed_counts(counts: list[int]) -> list[str]:
    """The cells for a column of counts, with small numbers suppressed (see above)."""
    small = [i for i, n in enumerate(counts) if 0 < n < SMALL_NUMBER_LIMIT]
    cells = [FEWER_THAN_LIMIT if i in small else str(n) for i, n in enumerate(counts)]
    if len(small) == 1:
        # A zero cannot shield it (it is known to be 0); the smallest shown count can.
        shown = [i for i, n in enumerate(counts) if n >= SMALL_NUMBER_LIMIT]
        if shown:
            cells[min(shown, key=lambda i: (counts[i], i))] = NOT_SHOWN
    return cells


def _referrals(period: Period, timebank: Timebank) -> QuerySet[Referral]:
    # Referrals to the shared directory's services count for every timebank; a
    # referral to a timebank only for that one (another timebank's are not ours to see).
    return (
        Referral.objects.filter(requested_at__gte=period.start_at, requested_at__lt=period.end_before)
        .filter(Q(target_timebank__isnull=True) | Q(target_timebank=timebank))
        .exclude(status=ReferralStatus.ENTERED_IN_ERROR)
    )


def _report_reader(timebank: Timebank) -> Actor:
    """The timebank's coordinators, as the consent policy sees them: the receiver
    of referrals to this timebank, on neither side of any other."""
    return Actor(
        organisation=Organisation.objects.filter(timebank=timebank).first(),
        coordinated_timebank_ids=frozenset({timebank.pk}),
    )


def _counted(period: Period, timebank: Timebank) -> list[tuple[Referral, ReportView]]:
    """The period's referrals the consent lets this timebank's reports count, each
    with what may be counted of it (one query; referrals are few next to the ledger)."""
    reader = _report_reader(timebank)
    referrals = _referrals(period, timebank).select_related(
        "consent", "referring_organisation", "target_service", "target_timebank"
    )
    views = [(referral, report_view(reader, referral)) for referral in referrals]
    return [(referral, view) for referral, view in views if view.counted]


def _tally(labels: Iterable[str]) -> list[tuple[str, int]]:
    counts: dict[str, int] = defaultdict(int)
    for label in labels:
        counts[label] += 1
    return _sorted_counts(counts.items())


def _count_report(
    *, slug: str, title: str, summary: str, heading: str, rows: Iterable[tuple[str, int]], definition: str
) -> Report:
    pairs = list(rows)
    table = [[label, cell] for (label, _), cell in zip(pairs, suppressed_counts([n for _, n in pairs]))]
    # The chart (and its description in words) shows only the counts the table shows.
    charted = [(label, cell) for label, cell in table if cell.isdigit()]
    return Report(
        slug=slug,
        title=title,
        summary=summary,
        columns=[heading, "Referrals"],
        rows=table,
        definitions=[("Referrals", REFERRAL_SCOPE), (heading, definition), ("Small numbers", SUPPRESSION_DEFINITION)],
        chart=Chart(
            kind="barh",
            title=title,
            labels=[label for label, _ in charted],
            values=[float(cell) for _, cell in charted],
            value_label="Referrals",
        ),
        numeric_columns={1},
    )


def _sorted_counts(pairs: Iterable[tuple[str, int]]) -> list[tuple[str, int]]:
    return sorted(pairs, key=lambda pair: (-pair[1], pair[0]))


def referrals_by_source_report(*, timebank: Timebank, period: Period) -> Report:
    counted = _counted(period, timebank)
    return _count_report(
        slug="referrals-source",
        title="Referrals by source",
        summary="Who referred people.",
        heading="Referred by",
        rows=_tally(referral.referring_organisation.name for referral, _ in counted),
        definition="The organisation that made the referral (a GP practice, PCN or link-worker service).",
    )


def referrals_by_status_report(*, timebank: Timebank, period: Period) -> Report:
    labels = dict(ReferralStatus.choices)
    counted = _counted(period, timebank)
    return _count_report(
        slug="referrals-status",
        title="Referrals by status",
        summary="Where the referrals are now.",
        heading="Status",
        rows=_tally(
            str(labels.get(referral.status, referral.status)) if view.progress else NOT_SHARED_LABEL
            for referral, view in counted
        ),
        definition="The referral's status today (FHIR Task statuses), not at the end of the period. For a "
        "referral to another service, only when the person agreed to share what happens; otherwise it is "
        f'counted as "{NOT_SHARED_LABEL}".',
    )


def referrals_by_target_report(*, timebank: Timebank, period: Period) -> Report:
    pairs = _tally(
        referral.target_service.name
        if referral.target_service is not None
        else (f"Timebank: {referral.target_timebank.name}" if referral.target_timebank is not None else "No target")
        for referral, _ in _counted(period, timebank)
    )
    return _count_report(
        slug="referrals-target",
        title="Referrals by target",
        summary="Which services and timebanks people were referred to.",
        heading="Referred to",
        rows=_sorted_counts(pairs),
        definition="The service or timebank the referral was sent to.",
    )


def referrals_by_outcome_report(*, timebank: Timebank, period: Period) -> Report:
    labels = dict(BusinessStatus.choices)
    counted = _counted(period, timebank)
    return _count_report(
        slug="referrals-outcome",
        title="Referrals by outcome",
        summary="What happened after the referral.",
        heading="Outcome",
        rows=_tally(
            str(labels.get(referral.business_status, "No outcome recorded yet")) if view.progress else NOT_SHARED_LABEL
            for referral, view in counted
        ),
        definition="The latest detail recorded by the receiving organisation (contacted, first session "
        "attended, did not attend, …). For a referral to another service, only when the person agreed to share "
        f'what happens; otherwise it is counted as "{NOT_SHARED_LABEL}".',
    )


def ons4_change_report(*, timebank: Timebank, period: Period) -> Report:
    # Each referral's answers by stage: {referral id: {stage: {question key: score}}}.
    answers: defaultdict[uuid.UUID, dict[str, dict[str, int]]] = defaultdict(dict)
    # Only the outcomes the consent lets this timebank count (referrals/consent.py `report_view`).
    views = {referral.pk: view for referral, view in _counted(period, timebank)}
    for referral_id, stage, given, recorded_by in (
        Outcome.objects.filter(instrument=ONS4.slug, referral__in=_referrals(period, timebank).values("pk"))
        .order_by("recorded_at", "pk")
        .values_list("referral_id", "stage", "answers", "recorded_by_organisation_id")
    ):
        view = views.get(referral_id)
        if view is None or (view.outcome_organisations is not None and recorded_by not in view.outcome_organisations):
            continue
        # The first baseline and the latest follow-up of each referral.
        if stage == OutcomeStage.BASELINE:
            answers[referral_id].setdefault(OutcomeStage.BASELINE, given)
        else:
            answers[referral_id][OutcomeStage.FOLLOW_UP] = given
    pairs = [(a[OutcomeStage.BASELINE], a[OutcomeStage.FOLLOW_UP]) for a in answers.values() if len(a) == 2]
    table, changes = [], []
    # A mean of fewer than five people's answers is near enough their own scores.
    too_few = 0 < len(pairs) < SMALL_NUMBER_LIMIT
    for question in ONS4.questions:
        before = [b[question.key] for b, _ in pairs]
        after = [f[question.key] for _, f in pairs]
        if too_few:
            table.append([question.text, FEWER_THAN_LIMIT, NOT_SHOWN, NOT_SHOWN, NOT_SHOWN])
        elif pairs:
            mean_before, mean_after = sum(before) / len(pairs), sum(after) / len(pairs)
            change = mean_after - mean_before
            table.append([question.text, str(len(pairs)), f"{mean_before:.1f}", f"{mean_after:.1f}", f"{change:+.1f}"])
            changes.append(round(change, 1))
        else:
            table.append([question.text, "0", "no data", "no data", "no data"])
            changes.append(0.0)
    return Report(
        slug="ons4",
        title="Wellbeing change (ONS4)",
        summary="Change in the ONS personal wellbeing scores between referral and follow-up.",
        columns=["Question", "People", "At referral (mean)", "At follow-up (mean)", "Change"],
        rows=table,
        definitions=[
            ("Referrals", REFERRAL_SCOPE),
            (
                "People",
                "Referrals in the period with an ONS4 score both at referral and at follow-up (the first "
                "at referral, the latest follow-up). For a referral to another service, only when the person "
                "agreed to share their details with the service and what happens with their link worker.",
            ),
            (
                "Scores",
                "Each question is answered 0 to 10. For anxiety a fall is an improvement; for the other "
                "three a rise is.",
            ),
            ("Change", "Mean at follow-up minus mean at referral, for the same people."),
            (
                "Small numbers",
                "With fewer than 5 people, the means are not shown: they would be close to a person's own answers.",
            ),
        ],
        chart=None
        if too_few
        else Chart(
            kind="barh",
            title="Change in mean score, referral to follow-up",
            labels=["Life satisfaction", "Worthwhile", "Happiness", "Anxiety"],
            values=changes,
            value_label="Points",
        ),
        numeric_columns={1, 2, 3, 4},
    )


REPORTS: dict[str, tuple[str, Callable[..., Report]]] = {
    "overview": ("Overview", overview_report),
    "categories": ("Hours by category", categories_report),
    "monthly": ("Month by month", monthly_report),
    "referrals-source": ("Referrals by source", referrals_by_source_report),
    "referrals-status": ("Referrals by status", referrals_by_status_report),
    "referrals-target": ("Referrals by target", referrals_by_target_report),
    "referrals-outcome": ("Referrals by outcome", referrals_by_outcome_report),
    "ons4": ("Wellbeing change (ONS4)", ons4_change_report),
}


def report_build(*, slug: str, timebank: Timebank, period: Period) -> Report:
    return REPORTS[slug][1](timebank=timebank, period=period)
