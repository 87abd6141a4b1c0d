"""Demo involvement: a listening session that has happened (attendance
credited in hours, expense claims in every state), a panel members can sign up
to, and a patient panel whose publishing was refused for short notice (kept as
a draft showing why). Made through the real services; only the listening
session's date is moved into the past after sign-up, as time passing would.
Idempotent: nothing is added when the listening session exists."""

import contextlib
import datetime

from django.utils import timezone

from assets.models import Organisation
from coproduction.involvement import services
from coproduction.involvement.models import Opportunity, OpportunityStatus
from core.errors import ConflictError
from timebank.demo import COORDINATOR_USERNAME
from timebank.models import Member, MemberStatus, Timebank, User
from timebank.models.members import MemberKind

PAST_TITLE = "Listening session: bus routes in west Reading"
OPEN_TITLE = "Planning the library café"
REFUSED_TITLE = "Patient panel: booking appointments"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _details(title: str, *, days: int, **extra: object) -> services.OpportunityDetails:
    values: dict[str, object] = {
        "title": title,
        "what": "A friendly meeting around a table. Say what works for you and what does not.",
        "why_it_matters": "The people who use a service know best what would make it better.",
        "what_will_change": "What you say goes into the plan, and we will tell you what changed.",
        "starts_at": (timezone.now() + datetime.timedelta(days=days)).replace(minute=0, second=0, microsecond=0),
        "duration_minutes": 120,
        "contact_name": "Priya Shah",
        "contact_phone": "0118 496 0123",
        "place": "Oxford Road Community Centre, main hall",
        "postcode": "RG1 7QE",
        "access_information": "Step-free entrance from the car park. Accessible toilet. Hearing loop. Quiet room.",
        "hours_minutes": 120,
        "covers_travel": True,
        "covers_care": True,
        "covers_other": True,
        "expenses_note": "Bus, taxi if you need one, and paid care cover while you are with us.",
    }
    values.update(extra)
    return services.OpportunityDetails(**values)  # type: ignore[arg-type]


def seed(*, stdout) -> list[tuple[str, str, str]]:
    timebank = Timebank.get_default()
    coordinator = User.objects.filter(username=COORDINATOR_USERNAME).first()
    if timebank is None or coordinator is None:
        return []
    if Opportunity.objects.filter(timebank=timebank, title=PAST_TITLE).exists():
        stdout.write("Involvement: already seeded; nothing to add.")
        return []
    people = list(
        Member.objects.filter(
            timebank=timebank,
            kind=MemberKind.PERSON,
            status__in=(MemberStatus.ACTIVE, MemberStatus.APPROVED),
            user__isnull=False,
            erased_at__isnull=True,
        ).order_by("pk")[:6]
    )
    _seed_past(timebank=timebank, coordinator=coordinator, people=people)
    open_one = services.opportunity_create(
        by_user=coordinator, timebank=timebank, details=_details(OPEN_TITLE, days=24, online=True)
    )
    services.opportunity_publish(by_user=coordinator, opportunity=open_one)
    if people:
        services.participation_sign_up(by_user=people[0].user, opportunity=open_one)  # type: ignore[arg-type]
    surgery = Organisation.objects.filter(name="Oxford Road Surgery").first()
    refused = services.opportunity_create(
        by_user=coordinator,
        timebank=timebank,
        details=_details(REFUSED_TITLE, days=5, host_organisation=surgery, hours_minutes=60),
    )
    # Refused for short notice: kept as a draft whose page shows why.
    with contextlib.suppress(ConflictError):
        services.opportunity_publish(by_user=coordinator, opportunity=refused)
    stdout.write("Involvement: 3 opportunities, attendance credited, expense claims in every state.")
    return []


def _seed_past(*, timebank: Timebank, coordinator: User, people: list[Member]) -> None:
    past = services.opportunity_create(by_user=coordinator, timebank=timebank, details=_details(PAST_TITLE, days=20))
    services.opportunity_publish(by_user=coordinator, opportunity=past)
    joined = [
        services.participation_sign_up(
            by_user=person.user,  # type: ignore[arg-type]
            opportunity=past,
            access_needs="A seat near the front" if index == 0 else "",
        )
        for index, person in enumerate(people)
    ]
    claims = [
        services.expense_claim_estimate(
            by_user=person.user,  # type: ignore[arg-type]
            participation=participation,
            lines=[services.LineEstimate(kind="travel", description="Bus there and back", estimate_pence=460)],
        )
        for person, participation in zip(people, joined, strict=True)
    ]
    # Time passes: the session took place ten days ago.
    Opportunity.objects.filter(pk=past.pk).update(starts_at=timezone.now() - datetime.timedelta(days=10))
    services.attendance_record(by_user=coordinator, opportunity=past, attended=[p.pk for p in joined[:5]])
    services.opportunity_set_status(by_user=coordinator, opportunity=past, status=OpportunityStatus.CLOSED)
    # One claim in each state: estimated, submitted, question asked, approved, paid, declined.
    for index, (person, claim) in enumerate(zip(people, claims, strict=True)):
        if index == 0:
            continue  # still an estimate
        line = claim.lines.get()
        services.expense_claim_submit(
            by_user=person.user,  # type: ignore[arg-type]
            claim=claim,
            actuals={line.pk: 440},
            receipts={line.pk: services.Receipt(data=PNG)} if index == 4 else {},
        )
        if index == 2:
            services.expense_claim_ask(by_user=coordinator, claim=claim, question="Was that a day return ticket?")
        elif index in (3, 4):
            services.expense_claim_approve(by_user=coordinator, claim=claim)
            if index == 4:
                services.expense_claim_mark_paid(by_user=coordinator, claim=claim)
        elif index == 5:
            services.expense_claim_decline(
                by_user=coordinator, claim=claim, reason="You did not come on the day, so there is nothing to pay."
            )
