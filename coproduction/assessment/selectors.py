"""Every read of the co-production self-assessment, scoped to one timebank:
who answers as what, a round of a timebank, and the results.

Results (docs/coproduction-assessment.md):
- a score is the average of the answers given, 0 ("Not at all") to 3
  ("Completely"); "Don't know" counts in no average;
- a rung is reached when its statements average at least "Mostly" (2);
  the organisation sits on the highest rung reached with every rung below it
  (that has statements in the round) reached too; when even the lowest is not
  reached it sits on the bottom rung;
- members' answers are shown only as totals, only once the round is closed and
  only when at least ASSESSMENT_MIN_MEMBER_ANSWERS members (default 3) answered,
  so that nobody's answers can be picked out;
- the gap for a statement, rung or value is the staff score minus the members'.

The figures for any number of rounds and statements come from five queries.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, QuerySet, Sum
from django.utils.translation import gettext as _

from coproduction.assessment.models import REACHED_AT, Answer, AnswerSet, Round, Rung, Score, Side, Statement, Value
from core.errors import NotFoundError
from timebank.models import Member, Timebank, User
from timebank.permissions import SEES_OWN_TIMEBANK, is_coordinator_of

DEFAULT_MIN_MEMBER_ANSWERS = 3
BIGGEST_GAPS = 5
NEXT_STEPS = 4
# A gap smaller than this is not worth pointing out (a third of a step on the scale).
GAP_WORTH_SHOWING = 0.5


def min_member_answers() -> int:
    """How many members must answer before their totals are shown."""
    return max(1, int(getattr(settings, "ASSESSMENT_MIN_MEMBER_ANSWERS", DEFAULT_MIN_MEMBER_ANSWERS)))


def respondent_side(*, user: User, timebank_id: int) -> str | None:
    """Staff for a coordinator of the timebank, member for one of its approved
    members, None for anyone else."""
    if is_coordinator_of(user, timebank_id):
        return Side.STAFF
    if Member.objects.filter(
        user_id=user.pk, timebank_id=timebank_id, status__in=SEES_OWN_TIMEBANK, erased_at__isnull=True
    ).exists():
        return Side.MEMBER
    return None


def rounds_of(*, timebank: Timebank) -> QuerySet[Round]:
    return Round.objects.filter(timebank=timebank).order_by("-opened_on", "-pk")


def open_round_of(*, timebank: Timebank) -> Round | None:
    return Round.objects.filter(timebank=timebank, closed_at__isnull=True).first()


def round_of(*, timebank: Timebank, pk: int) -> Round:
    """One of `timebank`'s rounds; another timebank's is not found."""
    found = Round.objects.select_related("timebank").filter(timebank=timebank, pk=pk).first()
    if found is None:
        raise NotFoundError(_("No such round."))
    return found


def round_statements(*, round: Round) -> list[Statement]:
    """The statements a round asks, in ladder order, with their rung and value."""
    return list(round.statements.select_related("rung", "value").order_by("rung__position", "position", "pk"))


def answers_of(*, round: Round, user: User) -> dict[int, int | None]:
    """The person's saved answers in a round (statement id -> score), or {}."""
    return dict(
        Answer.objects.filter(answer_set__round=round, answer_set__respondent=user).values_list("statement_id", "score")
    )


def statements_for_editing() -> QuerySet[Statement]:
    """Every statement, in use first, with how many answers each has."""
    return Statement.objects.select_related("rung", "value").annotate(answer_count=Count("answers"))


def rungs() -> QuerySet[Rung]:
    return Rung.objects.order_by("position")


def values() -> QuerySet[Value]:
    return Value.objects.order_by("position")


# --- Results ------------------------------------------------------------------------------


@dataclass
class Tally:
    """A sum of scores and how many scored (Don't know left out)."""

    total: int = 0
    count: int = 0

    def add(self, total: int, count: int) -> None:
        self.total += total
        self.count += count

    @property
    def score(self) -> float | None:
        return self.total / self.count if self.count else None


@dataclass
class Comparison:
    """Staff against members for one statement, rung or value."""

    subject: Statement | Rung | Value
    staff: float | None
    members: float | None

    @property
    def gap(self) -> float | None:
        if self.staff is None or self.members is None:
            return None
        return self.staff - self.members

    @property
    def gap_size(self) -> float:
        return abs(self.gap or 0.0)


@dataclass
class RoundResults:
    round: Round
    staff_count: int
    member_count: int
    members_shown: bool
    # Why the members' figures are hidden, when they are ("" when shown).
    members_hidden_because: str
    ladder: list[Rung]
    staff_place: Rung | None
    members_place: Rung | None
    by_rung: list[Comparison]
    by_value: list[Comparison]
    by_statement: list[Comparison]
    biggest_gaps: list[Comparison]
    next_rung: Rung | None
    next_steps: list[str] = field(default_factory=list)

    @property
    def staff_score(self) -> float | None:
        return _overall(self.by_statement, Side.STAFF)

    @property
    def members_score(self) -> float | None:
        return _overall(self.by_statement, Side.MEMBER) if self.members_shown else None


def _overall(rows: Sequence[Comparison], side: str) -> float | None:
    scores = [r.staff if side == Side.STAFF else r.members for r in rows]
    known = [s for s in scores if s is not None]
    return sum(known) / len(known) if known else None


def place_on_ladder(ladder: Sequence[Rung], scores: dict[int, float | None]) -> Rung | None:
    """The highest rung reached with every rung below it reached (rungs with no
    statements in the round are stepped over); the bottom rung when the first
    is not reached; None for an empty ladder. `scores` maps rung id to score
    (a rung with statements but no scores counts as not reached)."""
    if not ladder:
        return None
    place = ladder[0]
    for rung in ladder:
        if rung.pk not in scores:
            continue
        score = scores[rung.pk]
        if score is None or score < REACHED_AT:
            break
        place = rung
    return place


def _tallies(round_ids: Iterable[int]) -> dict[tuple[int, str, int], Tally]:
    """(round id, side, statement id) -> Tally, in one query."""
    rows = (
        Answer.objects.filter(answer_set__round_id__in=list(round_ids), score__isnull=False)
        .values("answer_set__round_id", "answer_set__side", "statement_id")
        .annotate(total=Sum("score"), count=Count("pk"))
    )
    tallies: dict[tuple[int, str, int], Tally] = {}
    for row in rows:
        key = (row["answer_set__round_id"], row["answer_set__side"], row["statement_id"])
        tallies[key] = Tally(total=int(row["total"]), count=int(row["count"]))
    return tallies


def _answer_counts(round_ids: Iterable[int]) -> dict[tuple[int, str], int]:
    rows = (
        AnswerSet.objects.filter(round_id__in=list(round_ids))
        .values("round_id", "side")
        .annotate(count=Count("pk"))
        .order_by()
    )
    return {(row["round_id"], row["side"]): int(row["count"]) for row in rows}


def _statements_of_rounds(round_ids: Iterable[int]) -> dict[int, list[Statement]]:
    through = Round.statements.through
    links = through.objects.filter(round_id__in=list(round_ids)).select_related("statement")
    by_round: dict[int, list[Statement]] = defaultdict(list)
    for link in links:
        by_round[link.round_id].append(link.statement)
    return by_round


def _members_hidden_because(round: Round, member_count: int) -> str:
    if round.is_open:
        return _("Members’ answers are shown when the round is closed.")
    if member_count < min_member_answers():
        return _(
            "Members’ answers are shown only when at least %(n)s members have answered, so nobody can be picked out."
        ) % {"n": min_member_answers()}
    return ""


def _results(
    round: Round,
    statements: list[Statement],
    tallies: dict[tuple[int, str, int], Tally],
    counts: dict[tuple[int, str], int],
    ladder: list[Rung],
    value_list: list[Value],
) -> RoundResults:
    member_count = counts.get((round.pk, Side.MEMBER), 0)
    hidden_because = _members_hidden_because(round, member_count)
    shown = not hidden_because

    def tally(side: str, chosen: Iterable[Statement]) -> Tally:
        result = Tally()
        for statement in chosen:
            found = tallies.get((round.pk, side, statement.pk))
            if found:
                result.add(found.total, found.count)
        return result

    def compare(subject: Statement | Rung | Value, chosen: list[Statement]) -> Comparison:
        members = tally(Side.MEMBER, chosen).score if shown else None
        return Comparison(subject=subject, staff=tally(Side.STAFF, chosen).score, members=members)

    rung_by_id = {r.pk: r for r in ladder}
    value_by_id = {v.pk: v for v in value_list}
    by_statement = []
    for statement in statements:
        statement.rung = rung_by_id[statement.rung_id]
        statement.value = value_by_id[statement.value_id]
    statements = sorted(statements, key=lambda s: (s.rung.position, s.position, s.pk))
    for statement in statements:
        by_statement.append(compare(statement, [statement]))
    by_rung = [
        compare(rung, [s for s in statements if s.rung_id == rung.pk])
        for rung in ladder
        if any(s.rung_id == rung.pk for s in statements)
    ]
    by_value = [
        compare(value, [s for s in statements if s.value_id == value.pk])
        for value in value_list
        if any(s.value_id == value.pk for s in statements)
    ]
    staff_place = place_on_ladder(ladder, {c.subject.pk: c.staff for c in by_rung})
    members_place = place_on_ladder(ladder, {c.subject.pk: c.members for c in by_rung}) if shown else None
    gaps = sorted(
        (c for c in by_statement if c.gap is not None and c.gap_size >= GAP_WORTH_SHOWING),
        key=lambda c: (-c.gap_size, c.subject.pk),
    )[:BIGGEST_GAPS]
    # Be honest about where the organisation is: the lower of the two views.
    places = [p for p in (staff_place, members_place) if p is not None]
    lowest = min(places, key=lambda r: r.position) if places else None
    next_rung = next((r for r in ladder if lowest is not None and r.position > lowest.position), None)
    return RoundResults(
        round=round,
        staff_count=counts.get((round.pk, Side.STAFF), 0),
        member_count=member_count,
        members_shown=shown,
        members_hidden_because=hidden_because,
        ladder=ladder,
        staff_place=staff_place,
        members_place=members_place,
        by_rung=by_rung,
        by_value=by_value,
        by_statement=by_statement,
        biggest_gaps=gaps,
        next_rung=next_rung,
        next_steps=_next_steps(next_rung, by_statement, by_value),
    )


def _weakest(row: Comparison) -> float:
    """The lower of the two views of a row (a missing view does not count)."""
    known = [s for s in (row.staff, row.members) if s is not None]
    return min(known) if known else float(Score.COMPLETELY)


def _next_steps(next_rung: Rung | None, by_statement: list[Comparison], by_value: list[Comparison]) -> list[str]:
    """The suggested next steps, from the database: reaching the next rung,
    then the weakest statements at or below it, then the weakest value."""
    steps: list[str] = []
    if next_rung is not None and next_rung.next_step:
        steps.append(next_rung.next_step)
    ceiling = next_rung.position if next_rung is not None else None
    weak = sorted(
        (
            row
            for row in by_statement
            if _weakest(row) < REACHED_AT
            and isinstance(row.subject, Statement)
            and row.subject.next_step
            and (ceiling is None or row.subject.rung.position <= ceiling)
        ),
        key=lambda row: (_weakest(row), row.subject.pk),
    )
    steps += [row.subject.next_step for row in weak if isinstance(row.subject, Statement)]
    weak_values = sorted(
        (row for row in by_value if _weakest(row) < REACHED_AT and isinstance(row.subject, Value)),
        key=lambda row: (_weakest(row), row.subject.pk),
    )
    if weak_values and isinstance(weak_values[0].subject, Value) and weak_values[0].subject.next_step:
        steps.append(weak_values[0].subject.next_step)
    unique = list(dict.fromkeys(steps))
    return unique[: NEXT_STEPS + 1]


def round_results(*, round: Round) -> RoundResults:
    """The results of one round (see the module docstring for the rules)."""
    return progress(timebank_rounds=[round])[0]


def progress(*, timebank_rounds: Sequence[Round]) -> list[RoundResults]:
    """The results of several rounds of one timebank, in the order given."""
    ids = [r.pk for r in timebank_rounds]
    tallies = _tallies(ids)
    counts = _answer_counts(ids)
    statements = _statements_of_rounds(ids)
    ladder = list(rungs())
    value_list = list(values())
    return [_results(r, statements.get(r.pk, []), tallies, counts, ladder, value_list) for r in timebank_rounds]
