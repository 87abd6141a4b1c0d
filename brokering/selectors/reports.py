"""Reports funders trust: every figure for one timebank and one period, with
the definition written next to it.

A report is a table (columns and rows of plain cells) plus an optional chart
spec; the page, the CSV download and the chart all read the same rows, so the
CSV always matches the table. Hours are shown as decimal hours from integer
minutes (timebank.hours), never floats added up.

Shared definitions:
- The period runs from the start date 00:00 to the end date 23:59:59, local time.
- "Exchange transfers" are ledger transfers of kind exchange recorded in the
  period that have not been reversed (a reversal later removes one from every
  report). Only member accounts take part in them: system accounts (the
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

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from referrals.instruments import ONS4
from referrals.models import BusinessStatus, Outcome, OutcomeStage, Referral, ReferralStatus
from timebank.hours import format_hours_decimal
from timebank.models import AccountKind, Entry, Listing, ListingKind, Member, Timebank, Transfer, TransferKind


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


def exchange_transfers(*, timebank: Timebank, period: Period) -> QuerySet[Transfer]:
    return Transfer.objects.filter(
        timebank=timebank,
        kind=TransferKind.EXCHANGE,
        created_at__gte=period.start_at,
        created_at__lt=period.end_before,
        reversed_by__isnull=True,
    )


def exchange_entries(*, timebank: Timebank, period: Period) -> QuerySet[Entry]:
    return Entry.objects.filter(
        transfer__in=exchange_transfers(timebank=timebank, period=period).values("pk"),
        account__kind=AccountKind.MEMBER,
    )


def overview_figures(*, timebank: Timebank, period: Period) -> list[tuple[str, str, str]]:
    """(figure, value, definition) rows; a fixed number of queries."""
    transfers = exchange_transfers(timebank=timebank, period=period)
    entries = exchange_entries(timebank=timebank, period=period)
    exchanges = transfers.count()
    minutes = entries.filter(minutes__gt=0).aggregate(total=Sum("minutes"))["total"] or 0
    per_member = list(
        entries.values("account_id")
        .annotate(
            gave=Count("pk", filter=Q(minutes__gt=0)),
            received=Count("pk", filter=Q(minutes__lt=0)),
            # Everyone in the member's exchange transfers, themselves included.
            people=Count("transfer__entries__account", distinct=True),
        )
        .order_by()
    )
    active = len(per_member)
    both = sum(1 for row in per_member if row["gave"] and row["received"])
    partners = [row["people"] - 1 for row in per_member]
    mean_partners = sum(partners) / active if active else None

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
    pot = Entry.objects.filter(
        account__timebank=timebank,
        account__kind=AccountKind.POT,
        transfer__created_at__gte=period.start_at,
        transfer__created_at__lt=period.end_before,
    ).aggregate(
        pot_in=Sum("minutes", filter=Q(minutes__gt=0)),
        pot_out=Sum("minutes", filter=Q(minutes__lt=0)),
    )
    share = f" ({round(100 * both / active)}% of active members)" if active else ""
    return [
        (
            "Hours exchanged",
            hours_cell(minutes),
            "Hours given in exchange transfers recorded in the period (each exchange counted once, from the "
            "provider's side; a group exchange counts its hours once). Gifts, grants and donations are not included.",
        ),
        ("Exchanges", str(exchanges), "Exchange transfers recorded in the ledger in the period and not reversed."),
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
            hours_cell(pot["pot_in"]),
            "Hours paid into the community pot in the period (donations, reversals of grants).",
        ),
        (
            "Community pot: hours out",
            hours_cell(-(pot["pot_out"] or 0)),
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
        exchange_entries(timebank=timebank, period=period)
        .filter(minutes__gt=0)
        .values("transfer__exchange__listing__category__name")
        .annotate(minutes=Sum("minutes"), exchanges=Count("transfer", distinct=True))
        .order_by("-minutes", "transfer__exchange__listing__category__name")
    )
    table = [
        [
            row["transfer__exchange__listing__category__name"] or "No category",
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
            ("Exchanges", "Exchange transfers recorded in the period and not reversed."),
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
        row["month"].date() if isinstance(row["month"], datetime.datetime) else row["month"]: row
        for row in exchange_entries(timebank=timebank, period=period)
        .filter(minutes__gt=0)
        .annotate(month=TruncMonth("transfer__created_at"))
        .values("month")
        .annotate(minutes=Sum("minutes"), exchanges=Count("transfer", distinct=True))
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
            ("Exchanges", "Exchange transfers recorded in the month and not reversed."),
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
    "they were sent (requested) in the period. Drafts never sent and referrals entered in error are not counted. "
    "Only counts are shown: no person can be identified from these tables."
)

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
    rows = _referrals(period, timebank).values("referring_organisation__name").annotate(n=Count("pk")).order_by()
    return _count_report(
        slug="referrals-source",
        title="Referrals by source",
        summary="Who referred people.",
        heading="Referred by",
        rows=_sorted_counts((r["referring_organisation__name"], r["n"]) for r in rows),
        definition="The organisation that made the referral (a GP practice, PCN or link-worker service).",
    )


def referrals_by_status_report(*, timebank: Timebank, period: Period) -> Report:
    labels = dict(ReferralStatus.choices)
    rows = _referrals(period, timebank).values("status").annotate(n=Count("pk")).order_by()
    return _count_report(
        slug="referrals-status",
        title="Referrals by status",
        summary="Where the referrals are now.",
        heading="Status",
        rows=_sorted_counts((labels.get(r["status"], r["status"]), r["n"]) for r in rows),
        definition="The referral's status today (FHIR Task statuses), not at the end of the period.",
    )


def referrals_by_target_report(*, timebank: Timebank, period: Period) -> Report:
    rows = (
        _referrals(period, timebank)
        .values("target_service__name", "target_timebank__name")
        .annotate(n=Count("pk"))
        .order_by()
    )
    pairs = [
        (
            r["target_service__name"]
            or (f"Timebank: {r['target_timebank__name']}" if r["target_timebank__name"] else "No target"),
            r["n"],
        )
        for r in rows
    ]
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
    rows = _referrals(period, timebank).values("business_status").annotate(n=Count("pk")).order_by()
    return _count_report(
        slug="referrals-outcome",
        title="Referrals by outcome",
        summary="What happened after the referral.",
        heading="Outcome",
        rows=_sorted_counts((labels.get(r["business_status"], "No outcome recorded yet"), r["n"]) for r in rows),
        definition="The latest detail recorded by the receiving organisation (contacted, first session "
        "attended, did not attend, …).",
    )


def ons4_change_report(*, timebank: Timebank, period: Period) -> Report:
    # Each referral's answers by stage: {referral id: {stage: {question key: score}}}.
    answers: defaultdict[uuid.UUID, dict[str, dict[str, int]]] = defaultdict(dict)
    for referral_id, stage, given in (
        Outcome.objects.filter(instrument=ONS4.slug, referral__in=_referrals(period, timebank).values("pk"))
        .order_by("recorded_at", "pk")
        .values_list("referral_id", "stage", "answers")
    ):
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
                "at referral, the latest follow-up).",
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
