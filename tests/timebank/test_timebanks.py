"""Timebanks as first-class objects: a network administrator starts one (page
and service), and each has its own public home and join pages."""

import pytest
from django.urls import reverse

from core.errors import ConflictError, InvalidInputError, NotAllowedError
from tests.factories import MemberFactory, UserFactory
from tests.timebank.test_members_pages import JOIN, error_next_to
from timebank.models import Account, AccountKind, Member, MemberStatus, Role, Timebank
from timebank.permissions import coordinated_timebanks, is_coordinator_of
from timebank.selectors.timebanks import timebanks_for_network
from timebank.services.timebanks import timebank_create

pytestmark = pytest.mark.django_db

CREATE = {
    "name": "Caversham Timebank",
    "slug": "",
    "area": "Caversham and Emmer Green, Reading",
    "contact_email": "hello@caversham.example.org",
    "contact_phone": "0118 496 0200",
    "overdraft_hours": "8",
    "ceiling_hours": "",
    "other_coordinators": "",
}


@pytest.fixture
def network_admin(db):
    return UserFactory(username="nia", first_name="Nia", roles=[Role.ADMIN])


@pytest.fixture
def caversham(network_admin):
    return timebank_create(
        by_user=network_admin, name="Caversham Timebank", slug="caversham", area="Caversham and Emmer Green, Reading"
    )


# --- The service ----------------------------------------------------------------------------


def test_a_network_admin_starts_a_timebank_with_its_pot_and_coordinator(network_admin):
    jo = UserFactory(username="jo", first_name="Jo")
    timebank = timebank_create(
        by_user=network_admin,
        name="  Caversham Timebank ",
        area="Caversham and Emmer Green, Reading",
        contact_email="Hello@Caversham.example.org",
        contact_phone="0118 496 0200",
        default_min_balance=-480,
        default_max_balance=3000,
        coordinators=[jo],
    )
    timebank.refresh_from_db()
    assert (timebank.name, timebank.slug, timebank.area) == (
        "Caversham Timebank",
        "caversham-timebank",
        "Caversham and Emmer Green, Reading",
    )
    assert (timebank.contact_email, timebank.contact_phone) == ("hello@caversham.example.org", "0118 496 0200")
    assert (timebank.default_min_balance, timebank.default_max_balance) == (-480, 3000)
    pot = Account.objects.get(timebank=timebank, kind=AccountKind.POT)
    assert (pot.name, pot.balance, pot.min_balance, pot.member_id) == ("Community pot", 0, None, None)
    # Its coordinator coordinates it, and only it; the default timebank is not theirs.
    assert list(timebank.coordinators.all()) == [jo]
    assert jo.has_role(Role.COORDINATOR)
    assert list(coordinated_timebanks(jo)) == [timebank]
    assert not is_coordinator_of(jo, Timebank.get_default())
    # The network administrator coordinates it without being listed.
    assert is_coordinator_of(network_admin, timebank)


def test_a_superuser_may_start_a_timebank_too(db):
    root = UserFactory(username="root", is_superuser=True)
    assert timebank_create(by_user=root, name="Tilehurst").slug == "tilehurst"


@pytest.mark.parametrize("who", ["coordinator", "member", "nobody"])
def test_coordinators_members_and_nobody_may_not_start_a_timebank(coordinator, alice, who):
    by_user = {"coordinator": coordinator, "member": alice.user, "nobody": None}[who]
    before = Timebank.objects.count()
    with pytest.raises(NotAllowedError):
        timebank_create(by_user=by_user, name="Caversham Timebank")
    assert Timebank.objects.count() == before


def test_a_short_name_already_used_is_refused_on_the_slug(network_admin, caversham):
    with pytest.raises(ConflictError) as refused:
        timebank_create(by_user=network_admin, name="Caversham", slug="caversham")
    assert refused.value.field == "slug" and "already uses the short name caversham" in refused.value.message
    # Made from the name, the same short name is refused the same way.
    timebank_create(by_user=network_admin, name="Emmer Green")
    with pytest.raises(ConflictError):
        timebank_create(by_user=network_admin, name="Emmer  Green!")
    assert Timebank.objects.filter(slug__in=["caversham", "emmer-green"]).count() == 2


@pytest.mark.parametrize(
    "change, field",
    [
        ({"name": "  "}, "name"),
        ({"slug": "Not A Slug"}, "slug"),
        ({"name": "!!!"}, "slug"),
        ({"contact_email": "not an address"}, "contact_email"),
        ({"default_min_balance": 60}, "default_min_balance"),
        ({"default_max_balance": 0}, "default_max_balance"),
    ],
)
def test_bad_details_are_refused_with_the_field_named(network_admin, change, field):
    with pytest.raises(InvalidInputError) as refused:
        timebank_create(by_user=network_admin, **{"name": "Caversham", **change})
    assert refused.value.field == field
    assert not Timebank.objects.filter(name="Caversham").exists()


# --- The network administrator's pages -------------------------------------------------------


def test_a_network_admin_starts_a_timebank_from_the_page(client, network_admin, coordinator):
    jo = UserFactory(username="jo", email="jo@example.org", first_name="Jo")
    client.force_login(network_admin)
    form = client.get(reverse("timebank:network-timebank-create"))
    assert form.status_code == 200
    html = form.content.decode()
    assert 'for="id_name"' in html and 'for="id_overdraft_hours"' in html
    assert "Cora" in html  # an existing coordinator can be ticked
    response = client.post(
        reverse("timebank:network-timebank-create"),
        {**CREATE, "coordinators": [coordinator.pk], "other_coordinators": "JO@example.org\n"},
    )
    assert response.status_code == 302 and response["Location"] == reverse("timebank:network-timebanks")
    timebank = Timebank.objects.get(slug="caversham-timebank")
    assert timebank.default_min_balance == -480 and timebank.default_max_balance is None
    assert set(timebank.coordinators.all()) == {coordinator, jo}
    assert Account.objects.filter(timebank=timebank, kind=AccountKind.POT).exists()
    listing = client.get(reverse("timebank:network-timebanks")).content.decode()
    assert "Caversham Timebank" in listing and "Caversham and Emmer Green" in listing
    assert "Jo (jo)" in listing and "Cora (cora)" in listing
    assert "?coordinating=caversham-timebank" in listing


def test_a_taken_short_name_gives_the_form_again_with_the_message(client, network_admin, caversham):
    client.force_login(network_admin)
    response = client.post(reverse("timebank:network-timebank-create"), {**CREATE, "slug": "caversham"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Error: Start a new timebank" in html and 'class="error-summary"' in html
    assert error_next_to(html, "slug") and "already uses the short name caversham" in html
    assert Timebank.objects.filter(name="Caversham Timebank").count() == 1


def test_an_unknown_coordinator_login_is_named_on_the_form(client, network_admin):
    client.force_login(network_admin)
    response = client.post(reverse("timebank:network-timebank-create"), {**CREATE, "other_coordinators": "nobody"})
    assert response.status_code == 200
    assert error_next_to(response.content.decode(), "other_coordinators")
    assert "We could not find a login for nobody" in response.content.decode()
    assert not Timebank.objects.filter(name="Caversham Timebank").exists()


@pytest.mark.parametrize("name", ["timebank:network-timebanks", "timebank:network-timebank-create"])
def test_only_network_admins_reach_the_timebank_pages(client, coordinator, alice, name):
    for user in (coordinator, alice.user):
        client.force_login(user)
        assert client.get(reverse(name)).status_code == 404
        assert client.post(reverse(name), CREATE).status_code == 404
    client.logout()
    assert client.get(reverse(name)).status_code == 302  # to the login page
    assert not Timebank.objects.filter(name="Caversham Timebank").exists()


# --- Each timebank's own home and join pages -----------------------------------------------


def test_a_timebank_has_its_own_home_page_with_its_area_and_contact(client, network_admin):
    timebank_create(
        by_user=network_admin,
        name="Caversham Timebank",
        slug="caversham",
        area="Caversham and Emmer Green, Reading",
        contact_email="hello@caversham.example.org",
        contact_phone="0118 496 0200",
    )
    html = client.get("/t/caversham/").content.decode()
    assert "<h1>Caversham Timebank: give an hour, get an hour</h1>" in html
    assert "Caversham and Emmer Green, Reading" in html
    assert "hello@caversham.example.org" in html and "0118 496 0200" in html
    assert f'href="{reverse("timebank:timebank-join", args=["caversham"])}"' in html


def test_joining_from_a_timebanks_page_applies_to_that_timebank(client, caversham):
    page = client.get("/t/caversham/join/")
    assert page.status_code == 200 and "Join Caversham Timebank" in page.content.decode()
    response = client.post("/t/caversham/join/", JOIN)
    assert response.status_code == 302 and response["Location"] == reverse("timebank:join-sent")
    member = Member.objects.get(email=JOIN["email"])
    assert (member.timebank, member.status) == (caversham, MemberStatus.APPLIED)


def test_a_bad_application_on_a_timebanks_page_comes_back_with_the_message(client, caversham):
    response = client.post("/t/caversham/join/", {**JOIN, "postcode": "ZZ9 9ZZ"})
    assert response.status_code == 200 and error_next_to(response.content.decode(), "postcode")
    assert not Member.objects.filter(email=JOIN["email"]).exists()


@pytest.mark.parametrize("path", ["/t/nowhere/", "/t/nowhere/join/"])
def test_an_unknown_timebank_is_not_found(client, db, path):
    assert client.get(path).status_code == 404
    assert client.post(path, JOIN).status_code == 404


def test_with_one_timebank_home_and_join_are_the_default_timebanks(client, timebank):
    html = client.get("/").content.decode()
    assert timebank.name in html and f'href="{reverse("timebank:join")}"' in html
    client.post("/join/", JOIN)
    assert Member.objects.get(email=JOIN["email"]).timebank == timebank


def test_with_several_timebanks_home_and_join_list_them(client, timebank, caversham):
    home = client.get("/").content.decode()
    join = client.get("/join/").content.decode()
    for html in (home, join):
        assert f'href="{reverse("timebank:timebank-join", args=["caversham"])}"' in html
        assert f'href="{reverse("timebank:timebank-join", args=[timebank.slug])}"' in html
    assert f'href="{reverse("timebank:timebank-home", args=["caversham"])}"' in home
    assert "Caversham and Emmer Green, Reading" in home


def test_a_member_of_one_timebank_applying_elsewhere_is_sent_to_their_hours(client, caversham):
    alice = MemberFactory(display_name="Alice", user__username="alice")
    client.force_login(alice.user)
    assert client.get("/t/caversham/join/")["Location"] == reverse("timebank:my-hours")


def test_the_network_list_loads_timebanks_and_coordinators_in_two_queries(network_admin, django_assert_max_num_queries):
    for number in range(3):
        timebank_create(
            by_user=network_admin,
            name=f"Timebank {number}",
            coordinators=[UserFactory(username=f"coordinator{number}{extra}") for extra in "ab"],
        )
    MemberFactory(timebank=Timebank.objects.get(slug="timebank-0"))
    with django_assert_max_num_queries(2):
        rows = [(t.name, [u.username for u in t.coordinators.all()], t.member_count) for t in timebanks_for_network()]
    assert ("Timebank 0", ["coordinator0a", "coordinator0b"], 1) in rows
