"""Demo timebank data: two timebanks in Reading, and a network administrator.

`seed(stdout=...)` builds the Oxford Road Timebank (the default one): a
coordinator, 36 members (online and not, one care home, members in every
status), their offers and requests, a few months of exchanges in every state,
gifts, a reversal and a community pot with grants and donations. Then a
second, smaller timebank, Caversham Timebank, started by the network
administrator through the real timebank_create service, with its own
coordinator, eight members, their offers and requests and a few exchanges.
Each coordinator coordinates only their own timebank; the network
administrator coordinates both, so anyone trying the demo sees the
separation. It returns the demo logins [(role, username, password)].

Everything is made through the real services (members, listings, exchanges,
ledger), so the demo obeys the same rules as real data and passes
`manage.py ledger_check`. It is idempotent: people and listings are looked up
before they are made, and the history (exchanges and ledger transfers) is only
written into a timebank with no ledger history yet, so a second run changes
nothing.

Ledger rows are append-only, so their dates are the day the demo was loaded;
the exchanges themselves (and the members' joining dates) are dated over the
past months so that the figures read naturally. Each exchange's day the help
was given (`helped_on`) is recorded through the services before its hours are
posted, so the reports and monthly figures count it in its month; the story
reaches back at most settings.EXCHANGE_HELP_DATE_MAX_DAYS_BACK days (the
furthest back help may be recorded).
"""

import datetime
import functools
import random
from dataclasses import dataclass, field
from typing import TypedDict

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management.base import CommandError
from django.db.models import Max, Min, Q
from django.utils import timezone

from timebank import ledger
from timebank.models import (
    Availability,
    CarersBreak,
    Category,
    Exchange,
    ExchangeHistory,
    Listing,
    Member,
    MemberStatus,
    Role,
    SafeguardingCheck,
    SafeguardingCheckKind,
    Timebank,
    Transfer,
    User,
)
from timebank.models.members import MemberKind
from timebank.services import (
    exchanges as exchange_services,
    listings as listing_services,
    members as member_services,
    safeguarding as safeguarding_services,
    timebanks as timebank_services,
)

DEMO_PASSWORD = "timecommons-demo"
TIMEBANK_NAME = "Oxford Road Timebank"
COORDINATOR_USERNAME = "coordinator"
NETWORK_ADMIN_USERNAME = "network-admin"
CAVERSHAM_NAME = "Caversham Timebank"
CAVERSHAM_SLUG = "caversham"
CAVERSHAM_COORDINATOR_USERNAME = "caversham-coordinator"
EMAIL_DOMAIN = "example.org"  # reserved for examples: demo mail can never reach anyone


@dataclass
class Person:
    key: str  # e-mail local part; "" for members who are not online
    name: str
    postcode: str
    about: str
    free: list[str]
    offers: list[tuple[str, str, str]] = field(default_factory=list)  # (category slug, title, where)
    requests: list[tuple[str, str, str]] = field(default_factory=list)
    status: str = MemberStatus.ACTIVE
    online: bool = True
    kind: str = MemberKind.PERSON
    needs: list[str] = field(default_factory=list)
    phone: str = ""
    language: str = ""  # Member.language: "cy" reads the pages and e-mails in Welsh

    @property
    def ref(self) -> str:
        """How the story below names this person."""
        return self.key or self.name.split()[0].lower()


PEOPLE = [
    Person(
        "margaret",
        "Margaret Hughes",
        "RG30 1BB",
        "Retired primary teacher. Happy to read through letters with you.",
        ["mon-morning", "wed-morning", "thu-afternoon"],
        offers=[
            ("forms-and-letters", "Help reading and answering letters", "home"),
            ("arts-and-crafts", "Knitting for beginners", "public"),
        ],
        requests=[("lifts-and-transport", "Lift to the Royal Berkshire Hospital", "home")],
        needs=["large-print"],
    ),
    Person(
        "tariq",
        "Tariq Mahmood",
        "RG1 7QE",
        "I fix phones and laptops for a living and like to help.",
        ["tue-evening", "sat-morning", "sat-afternoon"],
        offers=[
            ("it-and-phones", "Set up your smartphone or tablet", "home"),
            ("lifts-and-transport", "Lifts around west Reading", "home"),
        ],
        requests=[("gardening", "Help taming a back garden", "home")],
    ),
    Person(
        "agnieszka",
        "Agnieszka Nowak",
        "RG30 2EU",
        "Cook, mum of two, learning to grow vegetables.",
        ["mon-afternoon", "fri-morning"],
        offers=[
            ("cooking-and-meals", "Cook a batch of soup together", "home"),
            ("language-and-conversation", "Polish conversation", "public"),
        ],
        requests=[("forms-and-letters", "Help with a council tax form", "public")],
    ),
    Person(
        "kwame",
        "Kwame Mensah",
        "RG1 6NJ",
        "Handyman and guitarist.",
        ["sat-morning", "sun-afternoon"],
        offers=[
            ("diy-and-repairs", "Putting up shelves and curtain rails", "home"),
            ("music", "Beginner guitar lessons", "home"),
        ],
        requests=[("it-and-phones", "Learning spreadsheets", "online")],
    ),
    Person(
        "sue",
        "Sue Bennett",
        "RG4 8LT",
        "Dog lover, good listener.",
        ["mon-morning", "tue-morning", "wed-morning", "thu-morning"],
        offers=[("pets", "Dog walking by the Thames", "public"), ("befriending", "A cuppa and a chat", "home")],
        requests=[("diy-and-repairs", "Fix a dripping tap", "home")],
    ),
    Person(
        "harpreet",
        "Harpreet Kaur",
        "RG30 3DA",
        "Maths tutor and keen cook.",
        ["tue-evening", "thu-evening"],
        offers=[
            ("learning-and-tutoring", "GCSE maths help", "online"),
            ("cooking-and-meals", "Vegetarian Punjabi cooking", "home"),
        ],
        requests=[("sport-and-walking", "A walking buddy for Prospect Park", "public")],
    ),
    Person(
        "dave",
        "Dave Collins",
        "RG31 5AB",
        "Retired postman with a van and green fingers.",
        ["mon-afternoon", "wed-afternoon", "fri-afternoon"],
        offers=[
            ("gardening", "Mowing and hedge trimming", "home"),
            ("lifts-and-transport", "Tip runs and lifts", "home"),
        ],
        requests=[("it-and-phones", "Video calls with my grandchildren", "home")],
    ),
    Person(
        "fatima",
        "Fatima Ali",
        "RG1 7YE",
        "Speaks Arabic, Urdu and English.",
        ["sun-morning", "wed-evening"],
        offers=[
            ("language-and-conversation", "English conversation practice", "public"),
            ("shopping-and-errands", "Picking up shopping on Oxford Road", "home"),
        ],
        requests=[("gardening", "Planting a few pots", "home")],
    ),
    Person(
        "peter",
        "Peter Walsh",
        "RG31 6XJ",
        "Carpenter, walker, terrible cook.",
        ["sat-afternoon", "sun-morning"],
        offers=[
            ("diy-and-repairs", "Small carpentry jobs", "home"),
            ("sport-and-walking", "Sunday walks along the Kennet", "public"),
        ],
        requests=[("cooking-and-meals", "Learn to cook three simple meals", "home")],
    ),
    Person(
        "chloe",
        "Chloe Adams",
        "RG1 5QH",
        "Illustrator. Runs a crafts table at the community centre.",
        ["thu-afternoon", "fri-afternoon", "sat-morning"],
        offers=[
            ("arts-and-crafts", "Card making workshop", "public"),
            ("it-and-phones", "Online shopping made easy", "online"),
        ],
        requests=[("pets", "Cat sitting while I'm away", "home")],
    ),
    Person(
        "ravi",
        "Ravi Sharma",
        "RG2 0AA",
        "Software developer, chess player.",
        ["tue-evening", "sun-afternoon"],
        offers=[
            ("it-and-phones", "Computer health check", "home"),
            ("learning-and-tutoring", "Chess for beginners", "public"),
        ],
        requests=[("diy-and-repairs", "Assemble a wardrobe", "home")],
    ),
    Person(
        "joan",
        "Joan Murphy",
        "RG30 1EX",
        "Housebound most days but love a natter on the phone.",
        ["mon-afternoon", "tue-afternoon", "wed-afternoon", "thu-afternoon", "fri-afternoon"],
        offers=[("befriending", "Friendly phone calls", "phone")],
        requests=[("shopping-and-errands", "Weekly shop from the Co-op", "home")],
        needs=["phone-only"],
    ),
    Person(
        "tom",
        "Tom Fletcher",
        "RG4 5BZ",
        "Piano teacher, retired.",
        ["mon-morning", "wed-morning", "fri-morning"],
        offers=[
            ("music", "Piano lessons", "home"),
            ("lifts-and-transport", "Lifts to appointments in Caversham", "home"),
        ],
        requests=[("forms-and-letters", "Sorting out pension paperwork", "home")],
    ),
    Person(
        "amara",
        "Amara Okonkwo",
        "RG1 8DG",
        "Nurse on nights, free some days.",
        ["tue-morning", "fri-morning"],
        offers=[
            ("cooking-and-meals", "Jollof rice for a family", "home"),
            ("caring-breaks", "Sit with someone so a carer can rest", "home"),
        ],
        requests=[("it-and-phones", "Setting up online banking safely", "home")],
    ),
    Person(
        "lucy",
        "Lucy Green",
        "RG30 4AU",
        "Allotment holder with too many courgettes.",
        ["sat-morning", "sun-morning"],
        offers=[
            ("gardening", "Help starting a veg patch", "home"),
            ("pets", "Feed your cat while you're away", "home"),
        ],
        requests=[("language-and-conversation", "Practise my Spanish", "online")],
    ),
    Person(
        "mohammed",
        "Mohammed Hussain",
        "RG1 7XS",
        "Runs errands on his bike.",
        ["mon-evening", "wed-evening", "sat-afternoon"],
        offers=[
            ("shopping-and-errands", "Prescription collection", "home"),
            ("diy-and-repairs", "Bike repairs", "public"),
        ],
        requests=[("forms-and-letters", "Help writing a CV", "public")],
    ),
    Person(
        "eileen",
        "Eileen Clarke",
        "RG31 4SZ",
        "Knitter, quilter, grandmother of five. Grew up in Aberystwyth: happy to chat in Welsh.",
        ["tue-afternoon", "thu-afternoon"],
        offers=[("arts-and-crafts", "Quilting circle", "public")],
        requests=[("lifts-and-transport", "Lift to the Tuesday craft group", "home")],
        language="cy",
    ),
    Person(
        "marek",
        "Marek Kowalski",
        "RG30 2BP",
        "Electrician by trade.",
        ["sat-morning", "sun-afternoon"],
        offers=[("diy-and-repairs", "Change a light fitting", "home")],
        requests=[("language-and-conversation", "English conversation practice", "public")],
    ),
    Person(
        "grace",
        "Grace Owusu",
        "RG1 6BU",
        "Choir leader at St Mary's.",
        ["wed-evening", "sun-morning"],
        offers=[("music", "Singing for wellbeing", "public"), ("befriending", "Visits and a chat", "home")],
        requests=[("it-and-phones", "Recording choir practice on a phone", "public")],
    ),
    Person(
        "steve",
        "Steve Turner",
        "RG4 7PE",
        "Park runner and gardener.",
        ["sat-morning", "tue-evening"],
        offers=[("sport-and-walking", "Couch to 5k buddy", "public"), ("gardening", "Weeding and tidying", "home")],
        requests=[("cooking-and-meals", "Healthy meals on a budget", "home")],
    ),
    Person(
        "nadia",
        "Nadia Rahman",
        "RG30 6BA",
        "Carer for my mum; former office manager.",
        ["mon-evening", "thu-evening"],
        offers=[
            ("forms-and-letters", "Benefit and blue badge forms", "home"),
            ("learning-and-tutoring", "Homework club help", "public"),
        ],
        requests=[("caring-breaks", "Someone to sit with mum on Thursdays", "home")],
    ),
    Person(
        "ben",
        "Ben Harris",
        "RG1 4PS",
        "Student at the university, has a car.",
        ["fri-afternoon", "sat-afternoon"],
        offers=[
            ("it-and-phones", "Printer and wifi problems", "home"),
            ("lifts-and-transport", "Lifts to the big Tesco", "home"),
        ],
        requests=[("gardening", "Learn about houseplants", "home")],
    ),
    Person(
        "priya",
        "Priya Desai",
        "RG31 7TS",
        "Yoga teacher.",
        ["mon-morning", "thu-morning"],
        offers=[("sport-and-walking", "Gentle chair yoga", "public"), ("cooking-and-meals", "Gujarati snacks", "home")],
        requests=[("diy-and-repairs", "Hang a mirror", "home")],
    ),
    Person(
        "ken",
        "Ken Roberts",
        "RG30 1QP",
        "Widower, likes fixing things, misses company.",
        ["mon-afternoon", "tue-afternoon", "wed-afternoon"],
        offers=[("diy-and-repairs", "Fix a wobbly chair or door", "home")],
        requests=[("befriending", "Company for a game of dominoes", "home")],
    ),
    Person(
        "rosa",
        "Rosa Silva",
        "RG1 7JR",
        "Portuguese speaker, loves to feed people.",
        ["sun-afternoon", "sat-afternoon"],
        offers=[
            ("language-and-conversation", "Portuguese conversation", "public"),
            ("cooking-and-meals", "Pastéis de nata class", "home"),
        ],
        requests=[("forms-and-letters", "Understanding a tenancy agreement", "public")],
    ),
    Person(
        "elmlodge",
        "Elm Lodge Care Home",
        "RG30 2XY",
        "A care home for 30 older people on the Oxford Road. We host activities and welcome visitors.",
        ["tue-afternoon", "thu-afternoon", "sat-afternoon"],
        kind=MemberKind.ORGANISATION,
        offers=[
            ("cooking-and-meals", "Lunch in our dining room", "public"),
            ("arts-and-crafts", "Use of our activity room", "public"),
        ],
        requests=[
            ("befriending", "Visitors for residents", "public"),
            ("music", "Music and singalongs for residents", "public"),
        ],
    ),
    # Not yet taken part in an exchange.
    Person(
        "olivia",
        "Olivia Brown",
        "RG4 6SR",
        "New to Reading, keen to meet people.",
        ["sat-morning"],
        status=MemberStatus.APPROVED,
        offers=[("pets", "Dog walking at weekends", "public")],
    ),
    Person(
        "yusuf",
        "Yusuf Demir",
        "RG30 3HR",
        "Barber; can give a home haircut.",
        ["mon-morning"],
        status=MemberStatus.APPROVED,
    ),
    Person(
        "derek",
        "Derek Shaw",
        "RG31 5LB",
        "Taking a break while I recover from an operation.",
        ["wed-afternoon"],
        status=MemberStatus.PAUSED,
    ),
    Person("hannah", "Hannah Lee", "RG1 5AA", "Moved to Bristol.", ["sat-morning"], status=MemberStatus.LEFT),
    # Applications waiting for the coordinator.
    Person(
        "aisha",
        "Aisha Bello",
        "RG1 7TD",
        "Heard about you at the library. I can sew and would like English practice.",
        ["tue-morning", "thu-morning"],
        status=MemberStatus.APPLIED,
    ),
    Person("gary", "Gary Moss", "RG30 4NU", "Retired mechanic.", ["mon-afternoon"], status=MemberStatus.APPLIED),
    Person(
        "wei",
        "Wei Chen",
        "RG2 7AB",
        "PhD student, can help with computers and Mandarin.",
        ["sun-afternoon"],
        status=MemberStatus.APPLIED,
    ),
    # Members who are not online: the coordinator acts for them.
    Person(
        "",
        "Edna Hall",
        "RG30 1AA",
        "92, sharp as a tack, loves visitors and crosswords.",
        ["mon-afternoon", "thu-afternoon"],
        online=False,
        needs=["phone-only", "large-print", "no-email"],
        phone="0118 496 0101",
        offers=[("befriending", "Crossword company", "home")],
        requests=[("shopping-and-errands", "Help with the weekly shop", "home")],
    ),
    Person(
        "",
        "Albert Price",
        "RG1 6AA",
        "Former bus driver; no computer, happy to talk.",
        ["tue-morning"],
        online=False,
        needs=["phone-only"],
        phone="0118 496 0102",
        offers=[("befriending", "Stories of old Reading", "phone")],
        requests=[("diy-and-repairs", "Change a light bulb on the landing", "home")],
    ),
    Person(
        "",
        "Win Ellis",
        "RG31 6AB",
        "Knits blankets for the care home.",
        ["wed-morning"],
        online=False,
        needs=["large-print"],
        phone="0118 496 0103",
        offers=[("arts-and-crafts", "Knitted blankets and hats", "home")],
    ),
]

# The second timebank, across the river: fewer people, its own story.
CAVERSHAM_PEOPLE = [
    Person(
        "bridget",
        "Bridget O'Neill",
        "RG4 7AA",
        "Retired librarian. Good with forms and better with a pot of tea.",
        ["mon-morning", "wed-morning"],
        offers=[
            ("forms-and-letters", "Help with letters and forms", "home"),
            ("befriending", "A cuppa and a chat in Caversham", "home"),
        ],
        requests=[("gardening", "Help cutting back the front hedge", "home")],
    ),
    Person(
        "hamid",
        "Hamid Karimi",
        "RG4 8AA",
        "Works in IT, lives in Emmer Green, enjoys a puzzle.",
        ["tue-evening", "sat-morning"],
        offers=[("it-and-phones", "Help with phones and tablets", "home")],
        requests=[("diy-and-repairs", "Put up a curtain pole", "home")],
    ),
    Person(
        "jenny",
        "Jenny Li",
        "RG4 5AA",
        "Cooks for a crowd and is learning the ukulele.",
        ["mon-afternoon", "thu-afternoon"],
        offers=[("cooking-and-meals", "Batch cooking for the freezer", "home")],
        requests=[("music", "Ukulele for beginners", "home")],
    ),
    Person(
        "malcolm",
        "Malcolm Reid",
        "RG4 6AA",
        "Retired joiner with a well-stocked shed.",
        ["tue-morning", "fri-morning"],
        offers=[
            ("diy-and-repairs", "Odd jobs and flat-pack furniture", "home"),
            ("gardening", "Hedge trimming", "home"),
        ],
        requests=[("it-and-phones", "Video calls with my son in Canada", "home")],
    ),
    Person(
        "sophie",
        "Sophie Marsh",
        "RG4 7BB",
        "Walks her spaniel along the Thames every morning.",
        ["mon-morning", "tue-morning", "sat-morning"],
        offers=[
            ("pets", "Dog walking by Christchurch Meadows", "public"),
            ("sport-and-walking", "A walking buddy up to Emmer Green", "public"),
        ],
        requests=[("cooking-and-meals", "Learn a few quick family meals", "home")],
    ),
    Person(
        "anil",
        "Anil Patel",
        "RG4 8BB",
        "Music teacher, plays harmonium and guitar.",
        ["wed-evening", "sun-afternoon"],
        offers=[("music", "Beginner ukulele and guitar", "home")],
        requests=[("lifts-and-transport", "Lift to a gig with my amplifier", "home")],
    ),
    Person(
        "frances",
        "Frances Cole",
        "RG4 6BB",
        "Just moved to Caversham and would like to meet people.",
        ["thu-morning"],
        status=MemberStatus.APPLIED,
    ),
    Person(
        "",
        "Doris Webb",
        "RG4 8CC",
        "Lived in Caversham all her life; no computer, loves a visitor.",
        ["tue-afternoon", "fri-afternoon"],
        online=False,
        needs=["phone-only", "large-print"],
        phone="0118 496 0201",
        offers=[("befriending", "Stories of old Caversham", "phone")],
        requests=[("shopping-and-errands", "Shopping from the Emmer Green parade", "home")],
    ),
]

# Members whose statuses come from taking part: they need an approved, open account first.
_OPEN = (MemberStatus.APPROVED, MemberStatus.ACTIVE, MemberStatus.PAUSED, MemberStatus.LEFT)


class _MemberFields(TypedDict):
    """What member_apply and member_create_offline both take for one person."""

    timebank: Timebank
    display_name: str
    postcode: str
    phone: str
    about: str
    availability_slots: list[str]
    communication_needs: list[str]
    kind: str


def _email(person: Person) -> str:
    return f"{person.key}@{EMAIL_DOMAIN}" if person.key else ""


@functools.lru_cache(maxsize=1)
def _demo_password_hash() -> str:
    return make_password(DEMO_PASSWORD)


def _staff_login(username: str, first_name: str, last_name: str) -> User:
    """A demo login for a coordinator or the network administrator (no member profile)."""
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User.objects.create(
            username=username,
            first_name=first_name,
            last_name=last_name,
            email=f"{username}@{EMAIL_DOMAIN}",
            password=_demo_password_hash(),
        )
    return user


def _coordinator(timebank: Timebank) -> User:
    """Oxford Road's coordinator, who coordinates that timebank only."""
    user = _staff_login(COORDINATOR_USERNAME, "Sam", "Okafor")
    member_services.user_make_coordinator(user=user)
    timebank.coordinators.add(user)
    return user


def _network_admin() -> User:
    """The network administrator: starts timebanks and coordinates every one."""
    user = _staff_login(NETWORK_ADMIN_USERNAME, "Nia", "Adeyemi")
    user.groups.add(Group.objects.get(name=Role.ADMIN))
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    return user


def _login(member: Member) -> User:
    """An online demo member's login (member_apply always makes one)."""
    if member.user is None:
        raise CommandError(f"The demo member {member.display_name} has no login.")
    return member.user


def _member(person: Person, *, timebank: Timebank, coordinator: User, joined: datetime.datetime) -> Member:
    """Find or make one demo member, with the status the story needs."""
    if person.online:
        existing = Member.objects.filter(timebank=timebank, user__email=_email(person)).first()
    else:
        existing = Member.objects.filter(timebank=timebank, display_name=person.name, user__isnull=True).first()
    if existing is not None:
        return existing
    common: _MemberFields = {
        "timebank": timebank,
        "display_name": person.name,
        "postcode": person.postcode,
        "phone": person.phone,
        "about": person.about,
        "availability_slots": person.free,
        "communication_needs": person.needs,
        "kind": person.kind,
    }
    if person.online:
        member = member_services.member_apply(email=_email(person), password=None, **common)
        # One hash for the one public demo password: hashing it 30 times takes a minute.
        User.objects.filter(pk=_login(member).pk).update(password=_demo_password_hash())
        if person.status in _OPEN:
            member_services.member_approve(member=member, by_user=coordinator, note="Met at a welcome session")
    else:
        member = member_services.member_create_offline(by_user=coordinator, **common)
    if person.status == MemberStatus.PAUSED:
        member_services.member_pause(member=member, by_user=coordinator, note="Recovering from an operation")
    elif person.status == MemberStatus.LEFT:
        member_services.member_leave(member=member, by_user=coordinator, note="Moved to Bristol")
    Member.objects.filter(pk=member.pk).update(
        joined_at=joined,
        approved_at=joined + datetime.timedelta(days=6) if person.status in _OPEN else None,
        language=person.language,
    )
    member.refresh_from_db()
    return member


def _checks(person: Person, member: Member, *, coordinator: User) -> None:
    """Everyone who offers help has had their DBS check and a reference taken up
    at the welcome session, as a timebank would before anyone helps at home."""
    if not person.offers or SafeguardingCheck.objects.filter(member=member).exists():
        return
    checked_on = timezone.localdate() - datetime.timedelta(days=150)
    safeguarding_services.check_record(
        member=member,
        kind=SafeguardingCheckKind.DBS_ENHANCED,
        checked_on=checked_on,
        expires_on=checked_on + datetime.timedelta(days=3 * 365),
        reference_number=f"0019{member.pk:08d}",
        by_user=coordinator,
    )
    safeguarding_services.check_record(
        member=member,
        kind=SafeguardingCheckKind.REFERENCE,
        checked_on=checked_on,
        expires_on=None,
        referee_name="A neighbour of many years",
        by_user=coordinator,
    )


def _listings(person: Person, member: Member, *, coordinator: User, categories: dict[str, Category]) -> None:
    if not member.can_exchange:
        return
    _checks(person, member, coordinator=coordinator)
    for kind, items in (("offer", person.offers), ("request", person.requests)):
        for slug, title, where in items:
            if Listing.objects.filter(member=member, title=title).exists():
                continue
            listing_services.listing_create(
                member=member,
                kind=kind,
                category=categories[slug],
                title=title,
                description=f"{person.about}",
                where=where,
                by_user=coordinator,
            )


class _History:
    """Writes the demo's exchanges and pot transfers, keeping every account well
    inside its limit, and dates each exchange on the day the story says."""

    def __init__(self, *, timebank: Timebank, coordinator: User, members: dict[str, Member]):
        self.timebank = timebank
        self.coordinator = coordinator
        self.members = members
        self.balances = {m.pk: 0 for m in members.values()}
        self.today = timezone.localdate()

    @staticmethod
    def days_back(days_ago: int) -> int:
        """`days_ago`, within the days back help may be recorded."""
        return min(days_ago, settings.EXCHANGE_HELP_DATE_MAX_DAYS_BACK)

    def _when(self, days_ago: int) -> datetime.datetime:
        day = self.today - datetime.timedelta(days=self.days_back(days_ago))
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time(14, 0)))

    def _date(self, exchange: Exchange, days_ago: int, *, posted: bool = True) -> None:
        at = self._when(days_ago)
        fields = {"created_at": at - datetime.timedelta(days=3), "updated_at": at, "agreed_for": at}
        if exchange.done_at:
            fields["done_at"] = at
        if posted:
            fields.update(confirmed_at=at + datetime.timedelta(hours=5), posted_at=at + datetime.timedelta(hours=5))
        Exchange.objects.filter(pk=exchange.pk).update(**fields)
        ExchangeHistory.objects.filter(exchange=exchange).update(at=at)

    def _listing(self, provider: Member, receiver: Member, title: str) -> Listing | None:
        offers = Listing.objects.filter(member=provider, kind="offer")
        if title:
            offers = offers.filter(title=title)
        return offers.first() or Listing.objects.filter(member=receiver, kind="request").first()

    def exchange(
        self, provider: str, receivers: list[str], minutes: int, days_ago: int, *, end: str = "posted", title: str = ""
    ) -> Exchange:
        """Walk one exchange through the real services, stopping at `end`."""
        giver = self.members[provider]
        takers = [self.members[key] for key in receivers]
        proposer = takers[0].user or self.coordinator
        listing = self._listing(giver, takers[0], title)
        exchange = exchange_services.exchange_propose(
            timebank=self.timebank,
            provider=giver,
            receivers=takers,
            by_user=proposer,
            listing=listing,
            description=listing.title if listing else "",
        )
        # The story: proposed a few days before the help was given.
        Exchange.objects.filter(pk=exchange.pk).update(created_at=self._when(days_ago) - datetime.timedelta(days=3))
        answer = giver.user or self.coordinator
        if end == "declined":
            exchange_services.exchange_decline(exchange=exchange, by_user=answer, note="Sorry, I'm away that week.")
        elif end == "cancelled":
            exchange_services.exchange_cancel(exchange=exchange, by_user=proposer, note="Managed it myself in the end.")
        elif end != "proposed":
            exchange_services.exchange_accept(exchange=exchange, by_user=answer)
            if end != "accepted":
                exchange_services.exchange_record(
                    exchange=exchange, by_user=answer, minutes=minutes, helped_on=self._when(days_ago).date()
                )
                if end == "disputed":
                    exchange_services.exchange_dispute(
                        exchange=exchange, by_user=proposer, note="I think it was an hour, not two."
                    )
                elif end == "posted":
                    exchange_services.exchange_confirm(exchange=exchange, by_user=proposer, note="Thank you!")
                    self._move(giver, takers, minutes)
        self._date(exchange, days_ago, posted=end == "posted")
        return exchange

    def recorded(self, provider: str, receiver: str, minutes: int, days_ago: int, what: str) -> Exchange:
        """An exchange a coordinator records for members who are not online."""
        giver, taker = self.members[provider], self.members[receiver]
        exchange = exchange_services.exchange_record_for_members(
            provider=giver,
            receivers=[taker],
            minutes=minutes,
            by_user=self.coordinator,
            description=what,
            occurred_on=self._when(days_ago).date(),
        )
        self._move(giver, [taker], minutes)
        self._date(exchange, days_ago)
        return exchange

    def _move(self, giver: Member, takers: list[Member], minutes: int) -> None:
        self.balances[giver.pk] += minutes
        for taker, share in zip(sorted(takers, key=lambda m: m.pk), ledger.split_minutes(minutes, len(takers))):
            self.balances[taker.pk] -= share

    def can_pay(self, key: str, minutes: int) -> bool:
        # Stay two hours inside the overdraft limit so later steps never hit it.
        return self.balances[self.members[key].pk] - minutes >= self.timebank.default_min_balance + 120


def _write_history(history: _History, active: list[str], rng: random.Random) -> None:
    # A few months of everyday exchanges, oldest first.
    people = [key for key in active if key != "elmlodge"]
    for days_ago in range(history.days_back(120), 6, -3):
        provider = rng.choice(active)
        receiver = rng.choice([key for key in people if key != provider])
        minutes = rng.choice([30, 60, 60, 90, 120, 120, 180])
        if not history.can_pay(receiver, minutes):
            receiver, provider = provider, receiver
            if not history.can_pay(receiver, minutes):
                continue
        history.exchange(provider, [receiver], minutes, days_ago)
    # A workshop: one provider, several receivers, one transfer.
    history.exchange("chloe", ["eileen", "margaret", "elmlodge"], 120, 45, title="Card making workshop")
    history.exchange("grace", ["elmlodge"], 90, 30)
    history.exchange("sue", ["elmlodge"], 60, 20)
    # The coordinator keeps the hours of members who are not online.
    history.recorded("edna", "joan", 60, 70, "Crossword and a cup of tea")
    history.recorded("mohammed", "edna", 60, 64, "Shopping and errands: the weekly shop")
    history.recorded("albert", "tom", 45, 50, "Stories of old Reading for the local history group")
    history.recorded("win", "elmlodge", 180, 40, "Knitted lap blankets for residents")
    history.recorded("ken", "albert", 30, 25, "Changed the landing light bulb")
    # The one recorded twice by mistake, reversed by the coordinator.
    duplicate = history.recorded("ken", "albert", 30, 25, "Changed the landing light bulb")
    ledger.transfer_reverse(
        transfer=Transfer.objects.get(exchange=duplicate),
        reason="Recorded twice by mistake",
        recorded_by=history.coordinator,
    )
    history._move(history.members["albert"], [history.members["ken"]], 30)
    # Exchanges in every other state.
    history.exchange("tariq", ["dave"], 120, 2, end="proposed")
    history.exchange("harpreet", ["nadia"], 60, 3, end="proposed")
    history.exchange("kwame", ["sue"], 60, 1, end="proposed")
    history.exchange("peter", ["priya"], 60, 4, end="accepted")
    history.exchange("lucy", ["ben"], 90, 5, end="accepted")
    history.exchange("tom", ["margaret"], 60, 6, end="accepted")
    history.exchange("steve", ["fatima"], 120, 2, end="done")
    history.exchange("ravi", ["kwame"], 60, 3, end="done")
    history.exchange("dave", ["tariq"], 120, 8, end="declined")
    history.exchange("rosa", ["agnieszka"], 60, 9, end="cancelled")
    history.exchange("marek", ["ravi"], 120, 4, end="disputed")


def _write_pot(history: _History) -> None:
    members, by = history.members, history.coordinator
    member_services.pot_grant_to_member(
        member=members["joan"], minutes=300, by_user=by, reason="Housebound: hours to get started"
    )
    member_services.pot_grant_to_member(member=members["edna"], minutes=240, by_user=by, reason="Welcome hours")
    member_services.pot_grant_to_member(member=members["olivia"], minutes=120, by_user=by, reason="Welcome hours")
    member_services.member_donate_to_pot(member=members["tariq"], minutes=120, by_user=_login(members["tariq"]))
    member_services.member_donate_to_pot(
        member=members["elmlodge"],
        minutes=180,
        by_user=_login(members["elmlodge"]),
        note="Thank you from the residents",
    )
    member_services.member_give_hours(
        giver=members["tom"], receiver=members["joan"], minutes=60, by_user=_login(members["tom"]), note="Get well soon"
    )


def _date_first_exchanges(timebank: Timebank) -> None:
    """first/last exchange dates from the (dated) posted exchanges, not the load day."""
    for member in Member.objects.filter(timebank=timebank):
        posted = Exchange.objects.filter(status="posted").filter(Q(provider=member) | Q(receiver_links__member=member))
        dates = posted.aggregate(first=Min("posted_at"), last=Max("posted_at"))
        if dates["first"]:
            Member.objects.filter(pk=member.pk).update(first_exchange_at=dates["first"], last_exchange_at=dates["last"])


def _people(
    people: list[Person], *, timebank: Timebank, coordinator: User, categories: dict[str, Category]
) -> dict[str, Member]:
    """Find or make a timebank's demo members and their offers and requests."""
    now = timezone.now()
    members: dict[str, Member] = {}
    for index, person in enumerate(people):
        joined = now - datetime.timedelta(days=3 if person.status == MemberStatus.APPLIED else 140 - index)
        member = _member(person, timebank=timebank, coordinator=coordinator, joined=joined)
        members[person.ref] = member
        _listings(person, member, coordinator=coordinator, categories=categories)
    return members


def _activate(people: list[Person], members: dict[str, Member], *, coordinator: User) -> None:
    """Everyone the story calls active has taken part, or is about to."""
    for person in people:
        member = Member.objects.get(pk=members[person.ref].pk)
        if person.status == MemberStatus.ACTIVE and member.status == MemberStatus.APPROVED:
            member_services.member_activate(member=member, by_user=coordinator)


def _summary(timebank: Timebank) -> str:
    return (
        f"{timebank.name}: {Member.objects.filter(timebank=timebank).count()} members, "
        f"{Listing.objects.filter(timebank=timebank).count()} offers and requests, "
        f"{Exchange.objects.filter(timebank=timebank).count()} exchanges."
    )


def _caversham(*, network_admin: User) -> tuple[Timebank, User]:
    """The second timebank, started the way a network administrator starts one."""
    coordinator = _staff_login(CAVERSHAM_COORDINATOR_USERNAME, "Jo", "Whitfield")
    timebank = Timebank.objects.filter(slug=CAVERSHAM_SLUG).first()
    if timebank is None:
        timebank = timebank_services.timebank_create(
            by_user=network_admin,
            name=CAVERSHAM_NAME,
            slug=CAVERSHAM_SLUG,
            area="Caversham and Emmer Green, Reading",
            contact_email=f"caversham@{EMAIL_DOMAIN}",
            contact_phone="0118 496 0200",
            coordinators=[coordinator],
        )
    else:
        member_services.user_make_coordinator(user=coordinator)
        timebank.coordinators.add(coordinator)
    return timebank, coordinator


def _write_caversham_history(history: _History) -> None:
    history.exchange("hamid", ["bridget"], 60, 40)
    history.exchange("malcolm", ["jenny"], 120, 33)
    history.exchange("jenny", ["malcolm"], 90, 28)
    history.exchange("sophie", ["anil"], 60, 21)
    history.exchange("anil", ["jenny"], 60, 14)
    history.exchange("bridget", ["hamid"], 60, 10)
    # The coordinator keeps Doris's hours: she is not online.
    history.recorded("malcolm", "doris", 60, 18, "Put up a grab rail by the back door")
    history.recorded("doris", "sophie", 60, 12, "Stories of old Caversham for the walking group")
    history.exchange("hamid", ["malcolm"], 60, 2, end="proposed")
    history.exchange("sophie", ["jenny"], 60, 3, end="accepted")
    member_services.pot_grant_to_member(
        member=history.members["doris"], minutes=180, by_user=history.coordinator, reason="Welcome hours"
    )


# Carers as members in their own right (docs/coproduction-carers.md): Nadia
# looks after her mum and her Thursday request is a carer's break; Jade, 15,
# looks after her dad and has applied, waiting for her guardian's consent.
CARER_BREAK_TITLE = "Someone to sit with mum on Thursdays"
YOUNG_CARER_EMAIL = f"jade@{EMAIL_DOMAIN}"
BREAK_OFFER_TITLE = "Sit with someone while their carer has a break"


def _seed_carers(
    *, timebank: Timebank, coordinator: User, members: dict[str, Member], categories: dict[str, Category]
) -> None:
    """Idempotent: each step looks first and changes only what is not yet so."""
    nadia = members["nadia"]
    if not nadia.is_carer:
        member_services.member_update_profile(
            member=nadia,
            by_user=coordinator,
            display_name=nadia.display_name,
            postcode=nadia.postcode,
            travel_radius_km=nadia.travel_radius_km,
            availability_slots=Availability.to_slots(nadia.availability),
            communication_needs=nadia.communication_needs,
            digest=nadia.digest,
            phone=nadia.phone,
            about=nadia.about,
            is_carer=True,
            cares_for="My mum, who has dementia and cannot be left alone",
        )
    # A DBS-checked neighbour who can sit with Nadia's mum, so the break has a suggestion.
    harpreet = members["harpreet"]
    if not Listing.objects.filter(member=harpreet, title=BREAK_OFFER_TITLE).exists():
        listing_services.listing_create(
            member=harpreet,
            kind="offer",
            category=categories["caring-breaks"],
            title=BREAK_OFFER_TITLE,
            description="I sat with my grandmother for years. Happy to give a carer a few hours off.",
            where="home",
            by_user=coordinator,
        )
    request = Listing.objects.filter(member=nadia, title=CARER_BREAK_TITLE).first()
    if request is not None and not request.carers_break:
        listing_services.listing_update(listing=request, by_user=coordinator, carers_break=CarersBreak.SIT)
    if not User.objects.filter(email=YOUNG_CARER_EMAIL).exists():
        jade = member_services.member_apply(
            timebank=timebank,
            display_name="Jade W.",
            email=YOUNG_CARER_EMAIL,
            postcode="RG30 2EU",
            about="I look after my dad after school. I like drawing and would like to meet other young carers.",
            availability_slots=["sat-morning"],
            password=None,
            is_carer=True,
            cares_for="My dad, who uses a wheelchair",
            under_18=True,
        )
        User.objects.filter(pk=_login(jade).pk).update(password=_demo_password_hash())


def _seed_caversham(*, network_admin: User, stdout) -> None:
    timebank, coordinator = _caversham(network_admin=network_admin)
    # Its own categories, copied from the template when it was started.
    categories = {c.slug: c for c in Category.objects.filter(timebank=timebank)}
    members = _people(CAVERSHAM_PEOPLE, timebank=timebank, coordinator=coordinator, categories=categories)
    if Transfer.objects.filter(timebank=timebank).exists():
        stdout.write(f"{CAVERSHAM_NAME}: already has its history; nothing to add.")
    else:
        _write_caversham_history(_History(timebank=timebank, coordinator=coordinator, members=members))
        _date_first_exchanges(timebank)
        stdout.write(_summary(timebank))
    _activate(CAVERSHAM_PEOPLE, members, coordinator=coordinator)


def seed(*, stdout) -> list[tuple[str, str, str]]:
    timebank = Timebank.get_default()
    if timebank is None:
        raise CommandError("There is no timebank to load the demo into: run the migrations first.")
    if timebank.name != TIMEBANK_NAME:
        timebank.name = TIMEBANK_NAME
        timebank.save(update_fields=["name"])
    if not timebank.area and not timebank.contact_email:
        timebank.area = "Oxford Road and west Reading"
        timebank.contact_email = f"oxfordroad@{EMAIL_DOMAIN}"
        timebank.save(update_fields=["area", "contact_email"])
    coordinator = _coordinator(timebank)
    network_admin = _network_admin()
    categories = {c.slug: c for c in Category.objects.filter(timebank=timebank)}
    rng = random.Random(2026)

    members = _people(PEOPLE, timebank=timebank, coordinator=coordinator, categories=categories)
    if Transfer.objects.filter(timebank=timebank).exists():
        stdout.write(f"{TIMEBANK_NAME}: already has its history; nothing to add.")
    else:
        active = [p.ref for p in PEOPLE if p.status == MemberStatus.ACTIVE]
        history = _History(timebank=timebank, coordinator=coordinator, members=members)
        _write_history(history, active, rng)
        _write_pot(history)
        _date_first_exchanges(timebank)
        stdout.write(_summary(timebank))
    _activate(PEOPLE, members, coordinator=coordinator)
    _seed_carers(timebank=timebank, coordinator=coordinator, members=members, categories=categories)

    _seed_caversham(network_admin=network_admin, stdout=stdout)
    stdout.write(f"Demo password for every demo login: {DEMO_PASSWORD}")
    return [
        ("coordinator", COORDINATOR_USERNAME, DEMO_PASSWORD),
        ("coordinator", CAVERSHAM_COORDINATOR_USERNAME, DEMO_PASSWORD),
        ("network admin", NETWORK_ADMIN_USERNAME, DEMO_PASSWORD),
        ("member", _email(PEOPLE[0]), DEMO_PASSWORD),
        ("member", _email(PEOPLE[1]), DEMO_PASSWORD),
        ("member (care home)", "elmlodge@example.org", DEMO_PASSWORD),
        ("applicant", "aisha@example.org", DEMO_PASSWORD),
        ("member (reads in Welsh: Cymraeg)", _email(next(p for p in PEOPLE if p.ref == "eileen")), DEMO_PASSWORD),
        ("member (carer with a break request)", _email(next(p for p in PEOPLE if p.ref == "nadia")), DEMO_PASSWORD),
        ("applicant (young carer)", YOUNG_CARER_EMAIL, DEMO_PASSWORD),
        ("member (Caversham)", _email(CAVERSHAM_PEOPLE[0]), DEMO_PASSWORD),
    ]
