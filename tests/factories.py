"""factory_boy factories for the timebank core. Other apps keep theirs in
tests/<app>/factories.py."""

import datetime

import factory
from django.contrib.auth.models import Group
from django.utils import timezone

from timebank import ledger
from timebank.models import (
    Category,
    Listing,
    Member,
    MemberStatus,
    Role,
    SafeguardingCheck,
    SafeguardingCheckKind,
    Timebank,
    User,
)
from timebank.services.timebanks import categories_from_template


def default_timebank() -> Timebank:
    return Timebank.get_default()


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    password = factory.django.Password("correct horse battery staple")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        for role in extracted or []:
            self.groups.add(Group.objects.get(name=role))
        # A coordinator coordinates the default timebank unless a test says which.
        if Role.COORDINATOR in (extracted or []):
            default_timebank().coordinators.add(self)

    @factory.post_generation
    def coordinates(self, create, extracted, **kwargs):
        """UserFactory(roles=[Role.COORDINATOR], coordinates=[caversham]): these timebanks only."""
        if extracted is not None:
            self.coordinated_timebanks.set(extracted)


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Member
        skip_postgeneration_save = True

    timebank = factory.LazyFunction(default_timebank)
    user = factory.SubFactory(UserFactory, roles=[Role.MEMBER])
    display_name = factory.Sequence(lambda n: f"Member {n}")
    email = factory.LazyAttribute(lambda o: o.user.email if o.user else "")
    postcode = "RG1 7QE"
    postcode_district = "RG1"
    latitude = 51.4563
    longitude = -0.9855
    status = MemberStatus.ACTIVE

    @factory.post_generation
    def with_account(self, create, extracted, **kwargs):
        if create:
            ledger.account_for_member(member=self)


def category(slug: str, *, timebank: Timebank | None = None) -> Category:
    """`timebank`'s category (the default timebank's when none is given): each
    timebank has its own. A timebank a test made with Timebank.objects.create
    has none yet: it is given the template's first, as timebank_create would."""
    timebank = timebank or default_timebank()
    if not Category.objects.filter(timebank=timebank).exists():
        categories_from_template(timebank=timebank)
    return Category.objects.get(timebank=timebank, slug=slug)


class ListingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Listing

    # The owner's timebank (the default one for a new owner), read afresh.
    timebank = factory.LazyAttribute(lambda o: Timebank.objects.get(pk=o.member.timebank_id))
    member = factory.SubFactory(MemberFactory)
    # The owner's place, as listing_create copies it.
    latitude = factory.SelfAttribute("member.latitude")
    longitude = factory.SelfAttribute("member.longitude")
    kind = "offer"
    category = factory.LazyAttribute(lambda o: category("gardening", timebank=o.timebank))
    title = factory.Sequence(lambda n: f"Listing {n}")
    description = "Happy to help."
    where = "home"
    expires_on = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=60))


def dbs_checked(member: Member, *, expires_on: datetime.date | None = None) -> SafeguardingCheck:
    """Give `member` a current DBS check (checked a month ago), so the
    safeguarding rule (timebank.selectors.safeguarding) lets them help in
    someone's home or in a category that needs DBS."""
    today = timezone.localdate()
    return SafeguardingCheck.objects.create(
        member=member,
        kind=SafeguardingCheckKind.DBS_ENHANCED,
        reference_number="001234567890",
        checked_on=today - datetime.timedelta(days=30),
        expires_on=expires_on,
    )


def login_with_second_step(client, user: User) -> None:
    """Log `user` in on `client` with a session that passed two-step sign-in, as
    the admin site requires of staff (config/admin_site.py): a confirmed device
    and the session marked verified by it, as timebank.views.twofactor does after
    a right code. tests/security/test_two_factor.py logs in the real way."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    device = device or TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
