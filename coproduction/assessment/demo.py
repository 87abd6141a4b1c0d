"""Demo self-assessment: two closed rounds of Oxford Road Timebank, answered by
its coordinator as staff and by five members, made through the real services,
so the results page shows a place on the ladder, gaps between staff and
members, next steps and progress from one round to the next. Idempotent:
nothing is added when the timebank already has rounds."""

from __future__ import annotations

import datetime

from django.utils import timezone

from coproduction.assessment import services
from coproduction.assessment.models import Round, Statement
from timebank.demo import COORDINATOR_USERNAME
from timebank.models import Member, MemberStatus, Timebank, User

# (title, days ago, staff score by rung, how much lower members score by rung)
ROUNDS = [
    (
        "Autumn 2025",
        400,
        {"educating": 3, "informing": 2, "consulting": 2, "engaging": 1, "co-design": 1, "co-production": 0},
        {"educating": 0, "informing": 1, "consulting": 1, "engaging": 0, "co-design": 0, "co-production": 0},
    ),
    (
        "Autumn 2026",
        40,
        {"educating": 3, "informing": 3, "consulting": 3, "engaging": 2, "co-design": 1, "co-production": 1},
        {"educating": 0, "informing": 0, "consulting": 2, "engaging": 1, "co-design": 0, "co-production": 1},
    ),
]
MEMBERS_ANSWERING = 5


def _scores(statements: list[Statement], by_rung: dict[str, int], lower: dict[str, int], *, who: int) -> dict:
    scores: dict[int, int | None] = {}
    for number, statement in enumerate(statements):
        score = by_rung.get(statement.rung.slug, 1) - lower.get(statement.rung.slug, 0)
        # A little spread between people; one member does not know about the top rung.
        if (number + who) % 4 == 0:
            score += 1 if who % 2 else -1
        scores[statement.pk] = None if who == 3 and statement.rung.slug == "co-production" else max(0, min(3, score))
    return scores


def seed(*, stdout) -> list[tuple[str, str, str]]:
    timebank = Timebank.get_default()
    coordinator = User.objects.filter(username=COORDINATOR_USERNAME).first()
    if timebank is None or coordinator is None:
        stdout.write("Self-assessment: no demo timebank or coordinator; nothing added.")
        return []
    # The coordinator's login is already in the timebank demo's list.
    logins: list[tuple[str, str, str]] = []
    if Round.objects.filter(timebank=timebank).exists():
        stdout.write("Self-assessment: already has its rounds; nothing to add.")
        return logins
    members = list(
        Member.objects.filter(timebank=timebank, status=MemberStatus.ACTIVE, user__isnull=False)
        .select_related("user")
        .order_by("pk")[:MEMBERS_ANSWERING]
    )
    for title, days_ago, staff, lower in ROUNDS:
        opened = services.round_open(
            by_user=coordinator,
            timebank=timebank,
            title=title,
            opened_on=timezone.localdate() - datetime.timedelta(days=days_ago),
        )
        statements = list(opened.statements.select_related("rung").order_by("rung__position", "position"))
        services.answers_save(by_user=coordinator, round=opened, scores=_scores(statements, staff, {}, who=0))
        for who, member in enumerate(members, start=1):
            assert member.user is not None
            services.answers_save(by_user=member.user, round=opened, scores=_scores(statements, staff, lower, who=who))
        services.round_close(by_user=coordinator, round=opened)
    stdout.write(
        f"Self-assessment: {len(ROUNDS)} closed rounds, answered by {COORDINATOR_USERNAME} and {len(members)} members."
    )
    return logins
