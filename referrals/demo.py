"""Demo referrals: a GP practice with a link worker, a group organiser for the
Oxford Road Befrienders, and a few referrals in different states made through
the real services. Idempotent: nothing is added when the practice already has
referrals. Runs after the timebank and directory seeders."""

import datetime

from django.contrib.auth.models import Group
from django.utils import timezone

from assets.models import Organisation, OrganisationMembership, Service
from assets.models.directory import MembershipRole, OrganisationType
from referrals.actors import actor_for_user
from referrals.models import Referral
from referrals.services import ConsentDetails, PersonDetails, referral_create, referral_transition
from timebank.demo import DEMO_PASSWORD
from timebank.models import Role, Timebank, User

PRACTICE_NAME = "Oxford Road Surgery"
BEFRIENDERS = "Oxford Road Befrienders"


def _staff(*, username: str, first_name: str, role: str, organisation: Organisation, membership_role: str) -> User:
    user, created = User.objects.get_or_create(
        username=username, defaults={"first_name": first_name, "email": f"{username}@example.org"}
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    user.groups.add(Group.objects.get(name=role))
    OrganisationMembership.objects.get_or_create(
        user=user, defaults={"organisation": organisation, "role": membership_role}
    )
    return user


def _consent(recorded_by: str) -> ConsentDetails:
    return ConsentDetails(
        given=True,
        scopes=["share-with-service", "share-back-with-referrer"],
        method="verbal",
        recorded_by=recorded_by,
        recorded_at=timezone.now() - datetime.timedelta(days=3),
    )


def seed(*, stdout):
    practice, _ = Organisation.objects.get_or_create(
        name=PRACTICE_NAME, defaults={"organisation_type": OrganisationType.GP_PRACTICE}
    )
    befrienders = Service.objects.select_related("organisation").filter(name=BEFRIENDERS).first()
    link_worker = _staff(
        username="linkworker",
        first_name="Sam",
        role=Role.LINK_WORKER,
        organisation=practice,
        membership_role=MembershipRole.LINK_WORKER,
    )
    logins = [("link worker", "linkworker", DEMO_PASSWORD)]
    organiser = None
    if befrienders is not None:
        organiser = _staff(
            username="organiser",
            first_name="Priya",
            role=Role.GROUP_ORGANISER,
            organisation=befrienders.organisation,
            membership_role=MembershipRole.ORGANISER,
        )
        logins.append(("group organiser", "organiser", DEMO_PASSWORD))

    if Referral.objects.filter(referring_organisation=practice).exists():
        return logins
    actor = actor_for_user(link_worker)
    consent = _consent("Sam Patel, link worker")
    made = 0
    if befrienders is not None:
        joan = referral_create(
            actor=actor,
            person=PersonDetails(
                given_name="Joan",
                family_name="Rivers",
                preferred_name="Jo",
                postcode="RG1 7QE",
                preferred_contact="phone",
                phone="0118 496 0000",
                contact_times="weekday afternoons",
                communication_needs=["large-print"],
            ),
            consent=consent,
            what_matters="Getting out of the house and meeting people who like gardening.",
            needs=["befriending-and-loneliness", "green-and-outdoor"],
            target_service_id=befrienders.pk,
            notes="Uses a walking frame; prefers afternoons.",
        )
        referral_transition(
            actor=actor_for_user(organiser), referral_id=joan.pk, to="accepted", business_status="contact-attempted"
        )
        referral_create(
            actor=actor,
            person=PersonDetails(
                given_name="Frank",
                family_name="Osei",
                postcode="RG30 1AB",
                preferred_contact="phone",
                phone="0118 496 0001",
            ),
            consent=consent,
            what_matters="Someone to talk to since my wife died.",
            needs=["befriending-and-loneliness"],
            target_service_id=befrienders.pk,
            priority="urgent",
        )
        made += 2
    referral_create(
        actor=actor,
        person=PersonDetails(
            given_name="Lena",
            family_name="Kowalska",
            postcode="RG1 6DP",
            preferred_contact="email",
            email="lena@example.org",
        ),
        consent=consent,
        what_matters="Using my sewing skills and meeting neighbours.",
        needs=["volunteering"],
        # Named: the demo has several timebanks (Lena lives near Oxford Road's, the first).
        target_timebank=oxford_road.slug if (oxford_road := Timebank.get_default()) else "",
    )
    made += 1
    stdout.write(f"Referrals: {made} from {PRACTICE_NAME}, one to the timebank (an application to approve).")
    return logins
