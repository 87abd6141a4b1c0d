"""Many timebanks in one install, each sealed off: writes and reads whose
target is named in the request BODY or query (a member, listing, category,
restriction or timebank id), not in the address. The page and API matrices
(test_tenancy_pages.py, tests/api/test_tenancy.py) cover ids in the address.

Timebank A ("Oxford Road") and timebank B ("Caversham") are those of
test_tenancy_pages.py. As B's member or coordinator, naming A's people,
listings or categories in a form or a JSON body is refused (a form error, a
400 or a domain error) and A's ledger, listings, exchanges, members and
safeguarding records are the same afterwards; searches, scheduled e-mails and
reports show nothing of A's.
"""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from brokering.services.digests import confirm_reminders_send, digests_send
from brokering.services.introductions import introduction_make
from brokering.services.safeguarding import check_reminders_send, incident_record, restriction_add
from core.errors import DomainError
from tests.factories import ListingFactory, MemberFactory, category, login_with_second_step
from tests.timebank import test_tenancy_pages as tenancy
from timebank.models import (
    Category,
    CategoryRestriction,
    Exchange,
    Listing,
    ListingKind,
    Member,
    SafeguardingCheck,
    SafeguardingCheckKind,
    Transfer,
)
from timebank.services import exchanges as exchange_services, listings as listing_services, members as member_services
from timebank.services.safeguarding import check_record

pytestmark = pytest.mark.django_db

# The fixtures of the page matrix: A with its objects, B with its people.
a = tenancy.a
b = tenancy.b
b_coordinator = tenancy.b_coordinator
b_member = tenancy.b_member
snapshot = tenancy.snapshot


def _b_people(b, b_member):
    """B's member (Carl) and a second member of B, both with accounts."""
    carl = Member.objects.get(user=b_member)
    other = MemberFactory(timebank=b, display_name="Caversham Cora", user__username="ccora")
    return carl, other


def _b_transfers(b) -> list[int]:
    return sorted(Transfer.objects.filter(timebank=b).values_list("pk", flat=True))


# --- Hours: gifts, the pot ----------------------------------------------------------------------


def test_a_member_of_b_cannot_give_hours_to_a_member_of_a(client, a, b, b_member):
    before = snapshot(a.timebank)
    client.force_login(b_member)
    response = client.post(
        reverse("timebank:give-hours"), {"receiver": str(a.member.public_id), "hours": "1", "note": ""}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["receiver"]
    assert snapshot(a.timebank) == before
    assert _b_transfers(b) == []


def test_a_coordinator_of_b_cannot_record_a_gift_from_bs_member_to_a_member_of_a(client, a, b, b_coordinator, b_member):
    carl, _ = _b_people(b, b_member)
    before = snapshot(a.timebank)
    client.force_login(b_coordinator)
    response = client.post(
        reverse("timebank:coordinator-member-give", kwargs={"public_id": carl.public_id}),
        {"receiver": str(a.member.public_id), "hours": "1", "note": ""},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["receiver"]
    assert snapshot(a.timebank) == before
    assert _b_transfers(b) == []


def test_a_coordinator_of_b_cannot_grant_pot_hours_to_a_member_of_a(client, a, b, b_coordinator):
    before = snapshot(a.timebank)
    client.force_login(b_coordinator)
    response = client.post(
        reverse("timebank:coordinator-pot"),
        {"form": "grant", "grant-member": str(a.member.public_id), "grant-hours": "1", "grant-reason": "welcome"},
    )
    assert response.status_code == 200
    assert response.context["grant_form"].errors["member"]
    assert snapshot(a.timebank) == before
    assert _b_transfers(b) == []


def test_a_coordinator_of_b_cannot_record_a_pot_donation_from_a_member_of_a(client, a, b, b_coordinator):
    before = snapshot(a.timebank)
    client.force_login(b_coordinator)
    response = client.post(
        reverse("timebank:coordinator-pot"),
        {"form": "donation", "donation-member": str(a.member.public_id), "donation-hours": "1", "donation-note": ""},
    )
    assert response.status_code == 200
    assert response.context["donation_form"].errors["member"]
    assert snapshot(a.timebank) == before
    assert _b_transfers(b) == []


def test_the_hour_services_refuse_a_coordinator_of_b_for_members_of_a(a, b, b_coordinator, b_member):
    carl, _ = _b_people(b, b_member)
    before = snapshot(a.timebank)
    calls = [
        lambda: member_services.member_give_hours(giver=carl, receiver=a.member, minutes=60, by_user=b_coordinator),
        lambda: member_services.member_give_hours(giver=carl, receiver=a.member, minutes=60, by_user=b_member),
        lambda: member_services.member_give_hours(giver=a.member, receiver=a.other, minutes=60, by_user=b_coordinator),
        lambda: member_services.pot_grant_to_member(member=a.member, minutes=60, by_user=b_coordinator, reason="x"),
        lambda: member_services.member_donate_to_pot(member=a.member, minutes=60, by_user=b_coordinator),
    ]
    for call in calls:
        with pytest.raises(DomainError):
            call()
    assert snapshot(a.timebank) == before
    assert _b_transfers(b) == []


# --- Exchanges: proposing, recording, introductions, disputes -------------------------------------


def test_a_coordinator_of_b_cannot_record_an_exchange_for_a_member_of_a(client, a, b, b_coordinator, b_member):
    carl, cora = _b_people(b, b_member)
    before = snapshot(a.timebank)
    client.force_login(b_coordinator)
    url = reverse("timebank:record-exchange")
    base = {"minutes": "1", "description": "Gardening", "where": "online", "occurred_on": ""}
    attempts = [
        # A's provider and receiver.
        ({"provider": str(a.member.public_id), "receivers": [str(a.other.public_id)]}, "provider"),
        # B's provider, a receiver of A in the group.
        ({"provider": str(carl.public_id), "receivers": [str(cora.public_id), str(a.other.public_id)]}, "receivers"),
        # B's people, A's category.
        ({"provider": str(carl.public_id), "receivers": [str(cora.public_id)], "category": a.category.pk}, "category"),
    ]
    for fields, field in attempts:
        response = client.post(url, {**base, **fields})
        assert response.status_code == 200, fields
        assert response.context["form"].errors[field], fields
    assert snapshot(a.timebank) == before
    assert not Exchange.objects.filter(timebank=b).exists()
    assert _b_transfers(b) == []


def test_the_exchange_services_refuse_b_for_members_and_listings_of_a(a, b, b_coordinator, b_member):
    carl, cora = _b_people(b, b_member)
    before = snapshot(a.timebank)
    calls = [
        # A coordinator of B proposing or recording in A, or for A's people.
        lambda: exchange_services.exchange_propose(
            timebank=a.timebank, provider=a.member, receivers=[a.other], by_user=b_coordinator
        ),
        lambda: exchange_services.exchange_propose(
            timebank=b, provider=carl, receivers=[a.member], by_user=b_coordinator
        ),
        lambda: exchange_services.exchange_record_for_members(
            provider=a.member, receivers=[a.other], minutes=60, by_user=b_coordinator, description="x"
        ),
        lambda: exchange_services.exchange_record_for_members(
            provider=carl, receivers=[a.other], minutes=60, by_user=b_coordinator, description="x"
        ),
        lambda: exchange_services.exchange_record_for_members(
            provider=carl, receivers=[cora], minutes=60, by_user=b_coordinator, description="x", category=a.category
        ),
        # A member of B answering A's listing, or naming A's member.
        lambda: exchange_services.exchange_propose_from_listing(listing=a.offer, member=carl, by_user=b_member),
        lambda: exchange_services.exchange_propose(timebank=b, provider=carl, receivers=[a.member], by_user=b_member),
        lambda: exchange_services.exchange_propose(
            timebank=b, provider=carl, receivers=[cora], by_user=b_member, listing=a.offer
        ),
        # A coordinator of B resolving A's dispute.
        lambda: exchange_services.exchange_resolve(
            exchange=a.disputed, by_user=b_coordinator, outcome="confirm", note="by Caversham"
        ),
    ]
    for call in calls:
        with pytest.raises(DomainError):
            call()
    assert snapshot(a.timebank) == before
    assert not Exchange.objects.filter(timebank=b).exists()


def test_a_coordinator_of_b_cannot_introduce_a_helper_of_a_to_a_request_of_b(client, a, b, b_coordinator, b_member):
    carl, _ = _b_people(b, b_member)
    # B's request in B's own gardening; A's member offers gardening in A.
    request = ListingFactory(timebank=b, member=carl, kind=ListingKind.REQUEST, where="online", title="Caversham hedge")
    ListingFactory(timebank=a.timebank, member=a.member, where="online", title="Oxfordian online gardening")
    before = snapshot(a.timebank)
    client.force_login(b_coordinator)
    response = client.post(
        reverse("brokering:introduce", kwargs={"public_id": request.public_id}),
        {"helper": str(a.member.public_id), "description": "x"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors
    with pytest.raises(DomainError):
        introduction_make(request=request, helper_public_id=a.member.public_id, by_user=b_coordinator)
    assert not Exchange.objects.filter(timebank=b).exists()
    after = snapshot(a.timebank)
    # The extra offer of A's made above is the only difference.
    assert after["exchanges"] == before["exchanges"] and after["transfers"] == before["transfers"]


def test_a_member_of_b_cannot_propose_an_exchange_on_a_listing_of_a_through_the_api(a, b, b_member):
    before = snapshot(a.timebank)
    api = APIClient()
    api.force_login(b_member)
    for listing in (a.offer, a.request):
        response = api.post("/api/v1/exchanges/", {"listing": str(listing.public_id)}, format="json")
        assert response.status_code == 400, response.content
        assert "Oxfordian" not in response.content.decode()
    assert snapshot(a.timebank) == before
    assert not Exchange.objects.filter(timebank=b).exists()


# --- Listings and categories ------------------------------------------------------------------------


def test_a_member_of_b_cannot_list_in_a_category_of_a(client, a, b, b_member):
    carl, _ = _b_people(b, b_member)
    before = snapshot(a.timebank)
    client.force_login(b_member)
    response = client.post(
        reverse("timebank:listing-create"),
        {"kind": "request", "category": a.category.pk, "title": "In A's category", "where": "online"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["category"]
    with pytest.raises(DomainError):
        listing_services.listing_create(
            member=carl, kind="request", category=a.category, title="x", where="online", by_user=b_member
        )
    api = APIClient()
    api.force_login(b_member)
    response = api.post(
        "/api/v1/listings/",
        {"kind": "request", "category": a.category.slug, "title": "In A's category", "where": "online"},
        format="json",
    )
    assert response.status_code == 400
    assert not Listing.objects.filter(member=carl).exists()
    assert snapshot(a.timebank) == before


def test_a_member_of_b_finds_none_of_as_listings_by_words_or_category(client, a, b, b_member):
    client.force_login(b_member)
    titles = (a.offer.title, a.request.title)
    for query in ("q=Oxfordian", f"category={category('gardening', timebank=a.timebank).pk}", "q=gardening", "q=hedge"):
        response = client.get(reverse("timebank:listing-browse") + "?" + query)
        assert response.status_code == 200
        assert not any(title in response.content.decode() for title in titles), query
    api = APIClient()
    api.force_login(b_member)
    for path in ("/api/v1/listings/", "/api/v1/exchanges/", "/api/v1/me/statement/"):
        response = api.get(path + f"?member={a.member.public_id}&listing={a.offer.public_id}")
        assert response.status_code == 200, path
        assert "Oxfordian" not in response.content.decode(), path


def test_a_coordinator_of_b_finds_none_of_as_members_by_name(client, a, b, b_coordinator):
    client.force_login(b_coordinator)
    for query in ({"q": "Oxfordian"}, {"q": "olive"}, {"q": a.member.email}, {"status": "applied"}):
        response = client.post(reverse("timebank:coordinator-members"), query, follow=True)
        assert response.status_code == 200
        page = response.content.decode()
        assert not any(m.display_name in page for m in (a.member, a.other, a.applicant)), query


# --- Safeguarding records naming A's people or categories ------------------------------------------


def test_a_coordinator_of_b_cannot_restrict_a_member_of_b_from_a_category_of_a(client, a, b, b_coordinator, b_member):
    carl, _ = _b_people(b, b_member)
    before = snapshot(a.timebank)
    client.force_login(b_coordinator)
    response = client.post(
        reverse("brokering:safeguarding-member", kwargs={"public_id": carl.public_id}),
        {"action": "restriction", "category": a.category.pk, "reason": "x"},
    )
    assert response.status_code == 200
    assert response.context["restriction_form"].errors["category"]
    with pytest.raises(DomainError):
        restriction_add(member=carl, category=a.category, reason="x", by_user=b_coordinator)
    assert not CategoryRestriction.objects.filter(member=carl).exists()
    assert snapshot(a.timebank) == before


def test_a_coordinator_of_b_cannot_remove_a_restriction_of_a_from_a_b_members_page(
    client, a, b, b_coordinator, b_member
):
    carl, _ = _b_people(b, b_member)
    client.force_login(b_coordinator)
    response = client.post(
        reverse("brokering:safeguarding-member", kwargs={"public_id": carl.public_id}),
        {"action": "unrestrict", "restriction": a.restriction.pk},
    )
    assert response.status_code == 404
    assert CategoryRestriction.objects.filter(pk=a.restriction.pk).exists()


def test_a_coordinator_of_b_cannot_change_the_checks_of_a_category_of_a(client, a, b, b_coordinator):
    before = snapshot(a.timebank)
    client.force_login(b_coordinator)
    response = client.post(
        reverse("brokering:safeguarding-categories"),
        {"category": a.category.pk, "needs_dbs_check": "on", "needs_references": ""},
    )
    assert response.status_code == 404
    assert snapshot(a.timebank) == before
    assert Category.objects.get(pk=a.category.pk).needs_references is True


def test_the_safeguarding_services_refuse_a_coordinator_of_b_for_members_of_a(a, b_coordinator):
    before = snapshot(a.timebank)
    calls = [
        lambda: incident_record(
            member=a.member, occurred_at=timezone.now(), what_happened="x", action_taken="", by_user=b_coordinator
        ),
        lambda: check_record(
            member=a.member,
            kind=SafeguardingCheckKind.REFERENCE,
            checked_on=timezone.localdate(),
            expires_on=None,
            referee_name="x",
            by_user=b_coordinator,
        ),
        lambda: restriction_add(member=a.member, category=a.category, reason="x", by_user=b_coordinator),
    ]
    for call in calls:
        with pytest.raises(DomainError):
            call()
    assert snapshot(a.timebank) == before


# --- Scheduled e-mails -------------------------------------------------------------------------------


def test_the_weekly_digest_tells_a_member_of_b_nothing_of_as_listings(
    a, b, b_member, django_capture_on_commit_callbacks
):
    carl, cora = _b_people(b, b_member)
    # Carl offers and asks for gardening in B; Cora asks for it in B; A has fresh gardening listings too.
    ListingFactory(timebank=b, member=carl, where="online", title="Caversham offer")
    ListingFactory(timebank=b, member=carl, kind=ListingKind.REQUEST, where="online", title="Caversham request")
    ListingFactory(timebank=b, member=cora, kind=ListingKind.REQUEST, where="online", title="Caversham Cora asks")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        digests_send(now=timezone.now() + datetime.timedelta(minutes=1))
    to_carl = [message for message in mail.outbox if carl.email in message.to]
    assert to_carl, "Carl gets a digest of B's new listings"
    assert all("Oxfordian" not in message.body for message in to_carl)
    to_a = [m for m in mail.outbox if any(x.email in m.to for x in (a.member, a.other))]
    assert all("Caversham" not in message.body for message in to_a)


def test_reminders_reach_only_the_people_of_the_reminded_timebank(
    a, b, b_coordinator, b_member, django_capture_on_commit_callbacks
):
    a.done.done_at = timezone.now() - datetime.timedelta(days=60)
    a.done.save(update_fields=["done_at"])
    SafeguardingCheck.objects.create(
        member=a.member,
        kind=SafeguardingCheckKind.REFERENCE,
        referee_name="soon",
        checked_on=timezone.localdate() - datetime.timedelta(days=300),
        expires_on=timezone.localdate() + datetime.timedelta(days=3),
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert confirm_reminders_send() and check_reminders_send()
    assert mail.outbox, "A's people and coordinators are reminded"
    assert all(b_coordinator.email not in message.to and b_member.email not in message.to for message in mail.outbox)


# --- Reports and exports -----------------------------------------------------------------------------


def test_a_coordinator_of_b_gets_no_report_or_summary_of_a(client, a, b, b_coordinator):
    client.force_login(b_coordinator)
    period = tenancy.PERIOD
    for name, kwargs in (("brokering:funder-summary", {}), ("brokering:reports", {})):
        response = client.get(reverse(name, kwargs=kwargs) + f"?timebank={a.timebank.pk}&{period}")
        assert response.status_code == 404, name
    # Without a timebank named: B's own figures, nothing of A's.
    for name, kwargs in (
        ("brokering:funder-summary", {}),
        ("brokering:report-csv", {"slug": "categories"}),
        ("brokering:report", {"slug": "overview"}),
    ):
        response = client.get(reverse(name, kwargs=kwargs) + f"?{period}")
        assert response.status_code == 200, name
        assert "Oxfordian" not in response.content.decode(), name


# --- The admin: add forms naming A's rows in the body ----------------------------------------------


def test_a_coordinator_of_b_cannot_add_admin_records_naming_a_member_or_category_of_a(client, a, b, b_coordinator):
    b_coordinator.is_staff = True  # as user_make_coordinator makes them
    b_coordinator.save(update_fields=["is_staff"])
    before = snapshot(a.timebank)
    login_with_second_step(client, b_coordinator)  # the admin needs two-step sign-in
    today = timezone.localdate().isoformat()
    attempts = {
        "safeguardingcheck": {"member": a.member.pk, "kind": "reference", "referee_name": "x", "checked_on": today},
        "incident": {"member": a.member.pk, "occurred_at_0": today, "occurred_at_1": "10:00", "what_happened": "x"},
        "categoryrestriction": {"member": a.member.pk, "category": a.category.pk, "reason": "x"},
        "listing": {
            "timebank": a.timebank.pk,
            "member": a.member.pk,
            "kind": "offer",
            "category": a.category.pk,
            "title": "x",
            "where": "online",
            "status": "open",
            "expires_on": (timezone.localdate() + datetime.timedelta(days=30)).isoformat(),
        },
    }
    for model, data in attempts.items():
        response = client.post(reverse(f"admin:timebank_{model}_add"), data)
        # Coordinators may add these rows (migration 0004), so the form answers, with errors.
        assert response.status_code == 200, model
        assert response.context["adminform"].form.errors, model
    assert snapshot(a.timebank) == before
