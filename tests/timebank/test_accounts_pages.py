"""Hour pages: my hours, give hours, donate, the community pot and reversals."""

import pytest
from django.urls import reverse

from tests.factories import MemberFactory
from tests.timebank.test_members_pages import error_next_to
from timebank import ledger
from timebank.models import Account, Entry, MemberStatus, Timebank, Transfer, TransferKind
from timebank.selectors.accounts import pot_account


def exchange(provider, receiver, minutes, timebank):
    return ledger.transfer_post(
        timebank=timebank,
        kind=TransferKind.EXCHANGE,
        legs=[ledger.Leg(receiver.account, -minutes), ledger.Leg(provider.account, minutes)],
        memo=f"{provider.display_name} helped {receiver.display_name}",
    )


def balance(member) -> int:
    return Account.objects.get(member=member).balance


def test_my_hours_shows_the_worked_example_in_plain_words(client, alice, bob, carol, timebank):
    exchange(alice, bob, 120, timebank)  # Alice gardens 2 hours for Bob
    exchange(bob, carol, 60, timebank)  # Bob teaches Carol 1 hour
    client.force_login(bob.user)
    response = client.get(reverse("timebank:my-hours"))
    html = response.content.decode()
    summary = response.context["summary"]
    assert (summary.balance, summary.given, summary.received, summary.people) == (-60, 60, 120, 2)
    assert '<p class="balance-words">You are 1 hour below zero.</p>' in html
    assert "<dd>1 hour</dd>" in html and "<dd>2 hours</dd>" in html
    assert "Alice helped Bob" in html and "Bob helped Carol" in html


def test_my_hours_statement_pages_through_older_entries(client, alice, bob, timebank):
    for _ in range(25):
        exchange(alice, bob, 10, timebank)
    client.force_login(alice.user)
    first = client.get(reverse("timebank:my-hours"))
    assert len(first.context["statement"].lines) == 20
    older = first.context["statement"].older_than
    assert f"?older={older}" in first.content.decode()
    second = client.get(reverse("timebank:my-hours"), {"older": older})
    assert [line.entry.balance_after for line in second.context["statement"].lines] == [50, 40, 30, 20, 10]
    assert "Newer entries" in second.content.decode()
    assert client.get(reverse("timebank:my-hours"), {"older": "junk", "newer": "-1"}).status_code == 200


@pytest.mark.parametrize("rows", [1, 30])
def test_my_hours_runs_the_same_queries_for_1_or_30_entries(
    client, alice, bob, timebank, rows, django_assert_max_num_queries
):
    for _ in range(rows):
        exchange(alice, bob, 10, timebank)
    client.force_login(alice.user)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("timebank:my-hours")).status_code == 200


def test_an_applicant_sees_that_they_are_waiting_instead_of_hours(client, db):
    member = MemberFactory(status=MemberStatus.APPLIED, with_account=False)
    client.force_login(member.user)
    for name in ("timebank:my-hours", "timebank:give-hours", "timebank:donate-hours"):
        assert "waiting for a coordinator" in client.get(reverse(name)).content.decode()


def test_a_member_has_no_way_to_see_another_members_statement(client, alice, bob, timebank):
    exchange(bob, alice, 30, timebank)
    client.force_login(alice.user)
    assert client.get(reverse("timebank:coordinator-member", args=[bob.public_id])).status_code == 404
    # The statement is always the logged-in member's own, whatever is in the query string.
    response = client.get(reverse("timebank:my-hours"), {"member": str(bob.public_id)})
    assert {line.entry.account_id for line in response.context["statement"].lines} == {alice.account.pk}


# --- Give hours --------------------------------------------------------------------------------


def test_a_member_gives_hours_to_another(client, alice, bob, timebank):
    ledger.pot_grant(member=alice, minutes=120)
    client.force_login(alice.user)
    response = client.post(
        reverse("timebank:give-hours"), {"receiver": bob.public_id, "hours": "1½ hours", "note": "Get well"}
    )
    assert response["Location"] == reverse("timebank:my-hours")
    assert (balance(alice), balance(bob)) == (30, 90)
    gift = Transfer.objects.get(kind=TransferKind.GIFT)
    assert gift.memo == "Gift" and gift.note.text == "Get well" and gift.recorded_by == alice.user


@pytest.mark.parametrize(
    "data, field",
    [
        ({"hours": "0"}, "hours"),
        ({"hours": "lots"}, "hours"),
        ({"hours": "25 hours"}, "hours"),
        ({"hours": ""}, "hours"),
        ({"receiver": ""}, "receiver"),
        ({"receiver": "not-a-uuid"}, "receiver"),
        ({"note": "n" * 201}, "note"),
    ],
)
def test_a_bad_gift_comes_back_with_the_message_next_to_the_field(client, alice, bob, data, field):
    client.force_login(alice.user)
    response = client.post(reverse("timebank:give-hours"), {"receiver": bob.public_id, "hours": "1 hour", **data})
    assert response.status_code == 200 and error_next_to(response.content.decode(), field)
    assert not Transfer.objects.exists()


def test_you_cannot_give_to_yourself_a_stranger_or_someone_who_left(client, alice, bob, timebank):
    stranger = MemberFactory(timebank=Timebank.objects.create(name="Elsewhere", slug="elsewhere"))
    gone = MemberFactory(status=MemberStatus.LEFT)
    client.force_login(alice.user)
    for receiver in (alice, stranger, gone):
        response = client.post(reverse("timebank:give-hours"), {"receiver": receiver.public_id, "hours": "1 hour"})
        assert response.status_code == 200 and error_next_to(response.content.decode(), "receiver")
    assert not Transfer.objects.exists()


def test_a_gift_beyond_the_overdraft_limit_is_refused_at_the_top_of_the_form(client, alice, bob):
    client.force_login(alice.user)
    response = client.post(reverse("timebank:give-hours"), {"receiver": bob.public_id, "hours": "11 hours"})
    html = response.content.decode()
    assert response.status_code == 200 and "You do not have enough hours" in html and "There is a problem" in html
    assert (balance(alice), balance(bob)) == (0, 0) and not Entry.objects.exists()


def test_a_paused_member_cannot_give_hours(client, alice, bob):
    alice.status = MemberStatus.PAUSED
    alice.save()
    client.force_login(alice.user)
    response = client.post(reverse("timebank:give-hours"), {"receiver": bob.public_id, "hours": "1 hour"})
    assert response.status_code == 200 and "paused" in response.content.decode()
    assert not Transfer.objects.exists()


# --- Donations and the community pot ------------------------------------------------------------


def test_a_member_donates_to_the_community_pot(client, alice, timebank):
    ledger.pot_grant(member=alice, minutes=60)
    client.force_login(alice.user)
    assert "minus 1 hour" in client.get(reverse("timebank:donate-hours")).content.decode()
    response = client.post(reverse("timebank:donate-hours"), {"hours": "30"})
    assert response.status_code == 302
    assert balance(alice) == 30 and pot_account(timebank=timebank).balance == -30


@pytest.mark.parametrize("data", [{"hours": "-5"}, {"hours": "1.333 hours"}, {"hours": "30", "note": "x" * 201}])
def test_a_bad_donation_comes_back_with_the_message(client, alice, data):
    client.force_login(alice.user)
    response = client.post(reverse("timebank:donate-hours"), data)
    assert response.status_code == 200 and "There is a problem" in response.content.decode()
    assert not Transfer.objects.exists()


def test_a_coordinator_grants_from_the_pot_and_records_a_donation(client, coordinator, alice, bob, timebank):
    client.force_login(coordinator)
    page = client.get(reverse("timebank:coordinator-pot"), {"member": str(alice.public_id)})
    assert page.status_code == 200 and "0 hours" in page.content.decode()
    response = client.post(
        reverse("timebank:coordinator-pot"),
        {"form": "grant", "grant-member": alice.public_id, "grant-hours": "2 hours", "grant-reason": "Welcome hours"},
    )
    assert response["Location"] == reverse("timebank:coordinator-pot")
    client.post(
        reverse("timebank:coordinator-pot"),
        {"form": "donation", "donation-member": alice.public_id, "donation-hours": "30"},
    )
    assert balance(alice) == 90 and pot_account(timebank=timebank).balance == -90
    grant = Transfer.objects.get(kind=TransferKind.GRANT)
    assert grant.memo == "Grant from the community pot" and grant.note.text == "Welcome hours"
    assert grant.recorded_by == coordinator
    statement = client.get(reverse("timebank:coordinator-pot")).content.decode()
    assert "Grant from the community pot: Welcome hours" in statement and "minus 1½ hours" in statement


@pytest.mark.parametrize(
    "data, prefix, field",
    [
        ({"form": "grant", "grant-member": "", "grant-hours": "1", "grant-reason": "r"}, "grant", "member"),
        ({"form": "grant", "grant-member": "ALICE", "grant-hours": "x", "grant-reason": "r"}, "grant", "hours"),
        ({"form": "grant", "grant-member": "ALICE", "grant-hours": "1", "grant-reason": ""}, "grant", "reason"),
        ({"form": "donation", "donation-member": "ALICE", "donation-hours": "0"}, "donation", "hours"),
    ],
)
def test_a_bad_pot_form_comes_back_with_the_message_next_to_the_field(client, coordinator, alice, data, prefix, field):
    client.force_login(coordinator)
    data = {key: (str(alice.public_id) if value == "ALICE" else value) for key, value in data.items()}
    response = client.post(reverse("timebank:coordinator-pot"), data)
    assert response.status_code == 200 and error_next_to(response.content.decode(), field, prefix=prefix)
    assert not Transfer.objects.exists()


def test_a_member_cannot_grant_from_the_pot(client, alice):
    client.force_login(alice.user)
    response = client.post(
        reverse("timebank:coordinator-pot"),
        {"form": "grant", "grant-member": alice.public_id, "grant-hours": "10 hours", "grant-reason": "Me"},
    )
    assert response.status_code == 404 and balance(alice) == 0


def test_a_coordinator_gives_hours_for_a_member_who_is_not_online(client, coordinator, bob, timebank):
    edna = MemberFactory(display_name="Edna", user=None)
    ledger.pot_grant(member=edna, minutes=60)
    client.force_login(coordinator)
    response = client.post(
        reverse("timebank:coordinator-member-give", args=[edna.public_id]),
        {"receiver": bob.public_id, "hours": "1 hour"},
    )
    assert response["Location"] == reverse("timebank:coordinator-member", args=[edna.public_id])
    assert (balance(edna), balance(bob)) == (0, 60)


# --- Reversals ---------------------------------------------------------------------------------


def test_a_coordinator_reverses_a_transfer_with_a_reason_once(client, coordinator, alice, bob, timebank):
    transfer = exchange(alice, bob, 90, timebank)
    client.force_login(coordinator)
    url = reverse("timebank:coordinator-transfer-reverse", args=[transfer.public_id])
    page = client.get(url).content.decode()
    assert "1½ hours" in page and "Alice helped Bob" in page
    response = client.post(url, {"reason": "Recorded twice by mistake"})
    assert response["Location"] == url
    assert (balance(alice), balance(bob)) == (0, 0)
    reversal = Transfer.objects.get(reverses=transfer)
    assert reversal.memo == "Reversal of an exchange" and reversal.note.text == "Recorded twice by mistake"
    assert reversal.recorded_by == coordinator
    reversed_page = client.get(url).content.decode()
    assert "This transfer was reversed" in reversed_page and "Recorded twice by mistake" in reversed_page
    again = client.post(url, {"reason": "Again"})
    assert again.status_code == 200 and "already been reversed" in again.content.decode()
    assert Transfer.objects.filter(kind=TransferKind.REVERSAL).count() == 1


def test_a_reversal_needs_a_reason(client, coordinator, alice, bob, timebank):
    transfer = exchange(alice, bob, 30, timebank)
    client.force_login(coordinator)
    url = reverse("timebank:coordinator-transfer-reverse", args=[transfer.public_id])
    for reason in ("", "   ", "x" * 251):
        response = client.post(url, {"reason": reason})
        assert response.status_code == 200 and error_next_to(response.content.decode(), "reason")
    assert Transfer.objects.count() == 1


def test_a_reversal_cannot_be_reversed(client, coordinator, alice, bob, timebank):
    reversal = ledger.transfer_reverse(transfer=exchange(alice, bob, 30, timebank), reason="Oops")
    client.force_login(coordinator)
    url = reverse("timebank:coordinator-transfer-reverse", args=[reversal.public_id])
    assert "cannot be reversed" in client.get(url).content.decode()
    response = client.post(url, {"reason": "Undo the undo"})
    assert response.status_code == 200 and "already a reversal" in response.content.decode()
    assert Transfer.objects.count() == 2


def test_members_and_other_timebanks_cannot_reverse(client, alice, bob, timebank, coordinator):
    transfer = exchange(alice, bob, 30, timebank)
    client.force_login(bob.user)
    url = reverse("timebank:coordinator-transfer-reverse", args=[transfer.public_id])
    assert client.post(url, {"reason": "I did not like it"}).status_code == 404
    other = Timebank.objects.create(name="Elsewhere", slug="elsewhere")
    elsewhere_coordinator = MemberFactory(
        timebank=other, user__username="other-coord", user__roles=["member", "coordinator"], user__coordinates=[other]
    )
    client.force_login(elsewhere_coordinator.user)
    assert client.post(url, {"reason": "Not mine"}).status_code == 404
    assert Transfer.objects.count() == 1 and balance(bob) == -30


@pytest.mark.parametrize("rows", [1, 30])
def test_a_coordinators_member_page_runs_the_same_queries_for_1_or_30_entries(
    client, coordinator, alice, bob, timebank, rows, django_assert_max_num_queries
):
    for _ in range(rows):
        exchange(alice, bob, 10, timebank)
    client.force_login(coordinator)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("timebank:coordinator-member", args=[alice.public_id]))
    assert response.status_code == 200 and len(response.context["statement"].lines) == min(rows, 20)
