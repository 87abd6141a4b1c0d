"""Demo ideas, votes and ratings for the Oxford Road timebank, made through
the real services: three ideas with votes (one answered as done, so it is on
"You said, we did"; one planned), and a few ratings of posted exchanges and of
a directory service. Idempotent: nothing is added when the timebank already
has ideas. Runs after the timebank, directory and referral seeders."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from assets.models import Service
from coproduction.voice import services
from coproduction.voice.models import Idea, IdeaStatus
from timebank.demo import COORDINATOR_USERNAME, EMAIL_DOMAIN, TIMEBANK_NAME
from timebank.models import Exchange, ExchangeStatus, Member, MemberStatus, Timebank, User

IDEAS = [
    (
        "margaret",
        "A monthly coffee morning at the library",
        "Somewhere to meet other members in person, have a cup of tea and swap ideas.",
        ["tariq", "agnieszka", "kwame"],
        IdeaStatus.DONE,
        "We started a coffee morning at Battle Library on the first Tuesday of each month, 10 till 12. "
        "Fourteen people came to the first one, and the library lends us the room for free.",
    ),
    (
        "tariq",
        "Drop-in help with phones and tablets",
        "Many of us struggle with smartphones. A regular drop-in would help.",
        ["margaret", "agnieszka"],
        IdeaStatus.PLANNED,
        "Good idea. Tariq and two other members will run the first drop-in at the coffee morning in March.",
    ),
    ("agnieszka", "A seed swap in the spring", "Bring the seeds you saved and take some home.", ["kwame"], None, ""),
]
RATINGS = [(5, "Lovely to meet someone new."), (4, ""), (5, "Thank you, it made a real difference."), (3, "")]


def _member(username: str, timebank: Timebank) -> Member | None:
    return (
        Member.objects.filter(user__email=f"{username}@{EMAIL_DOMAIN}", timebank=timebank, status=MemberStatus.ACTIVE)
        .select_related("user")
        .first()
    )


def seed(*, stdout: Any) -> list[tuple[str, str, str]]:
    timebank = Timebank.objects.filter(name=TIMEBANK_NAME).first() or Timebank.get_default()
    coordinator = User.objects.filter(username=COORDINATOR_USERNAME).first()
    if timebank is None or coordinator is None:
        return []
    if Idea.objects.filter(timebank=timebank).exists():
        stdout.write("Ideas and feedback: already there; nothing to add.")
        return []
    made = 0
    for proposer, title, description, voters, status, response in IDEAS:
        member = _member(proposer, timebank)
        if member is None or member.user is None:
            continue
        idea = services.idea_propose(by_user=member.user, title=title, description=description)
        made += 1
        for voter in voters:
            voting = _member(voter, timebank)
            if voting is not None and voting.user is not None:
                services.idea_vote(by_user=voting.user, idea_id=idea.public_id)
        if status:
            services.idea_respond(by_user=coordinator, idea_id=idea.public_id, status=status, response=response)
    rated = _seed_ratings(timebank)
    stdout.write(f"Ideas and feedback: {made} ideas with votes (one on 'You said, we did'), {rated} ratings.")
    return []


def _seed_ratings(timebank: Timebank) -> int:
    rated = 0
    members = [m for m in (_member(name, timebank) for name in ("margaret", "tariq", "agnieszka")) if m]
    for member, (score, words) in zip(members, RATINGS, strict=False):
        exchange = (
            Exchange.objects.filter(timebank=timebank, status=ExchangeStatus.POSTED)
            .filter(Q(provider=member) | Q(receiver_links__member=member))
            .order_by("pk")
            .first()
        )
        if exchange is not None and member.user is not None:
            answer = services.RatingAnswer(score=score, words=words)
            services.rating_record_for_exchange(by_user=member.user, exchange_id=exchange.public_id, answer=answer)
            rated += 1
    service = Service.objects.filter(name="Oxford Road Befrienders").first()
    margaret = members[0] if members else None
    if service is not None and margaret is not None and margaret.user is not None:
        answer = services.RatingAnswer(score=5, words="Friendly people and a warm room.", easy_read=True)
        services.rating_record_for_service(by_user=margaret.user, service_id=service.pk, answer=answer)
        rated += 1
    return rated
