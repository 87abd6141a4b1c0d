"""Coordinators correcting the ledger past a limit, and exchanges stopped by an
account limit (issue 16): a reversal an account limit refuses comes back with a
tick box to let it through (the limit widened, a LimitOverride recorded); a
confirmation an account limit refuses leaves the exchange done, marked, with
the receiver and the coordinators told once, listed for coordinators, who
confirm it past the limit or cancel it; a reversed exchange says so."""

import datetime
import io

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from core.errors import ConflictError, NotAllowedError
from tests.factories import MemberFactory, UserFactory
from tests.timebank.test_exchanges_services import exchange_in
from timebank import ledger
from timebank.models import (
    Account,
    Exchange,
    ExchangeStatus,
    LimitOverride,
    Role,
    Timebank,
    Transfer,
    TransferKind,
)
from timebank.services import exchanges as svc, members as member_services

S = ExchangeStatus


def balance(member) -> int:
    return Account.objects.get(member=member).balance


def set_lower_limit(member, minutes: int) -> None:
    Account.objects.filter(member=member).update(min_balance=minutes)


def ledger_is_sound() -> None:
    call_command("ledger_check", stdout=io.StringIO())  # raises CommandError on any problem


def page(client, name, *args) -> str:
    response = client.get(reverse(name, args=args))
    assert response.status_code == 200
    return response.content.decode()


# --- Reversing past a limit ----------------------------------------------------------------


@pytest.fixture
def spent_exchange(alice, bob):
    """Bob earned 2 hours from Alice and has spent them, so reversing the exchange
    would take him to 2 hours below zero, past his limit of 1 hour below zero."""
    exchange = exchange_in(S.POSTED, bob, [alice], minutes=120)
    ledger.pot_donate(member=bob, minutes=120)
    set_lower_limit(bob, -60)
    return Transfer.objects.get(exchange=exchange)


def test_a_reversal_past_a_limit_is_refused_with_a_tick_box_naming_the_member(client, coordinator, spent_exchange, bob):
    client.force_login(coordinator)
    url = reverse("timebank:coordinator-transfer-reverse", args=[spent_exchange.public_id])
    first = client.get(url).content.decode()
    assert 'name="override_limits"' not in first  # offered only once a limit refuses
    response = client.post(url, {"reason": "Recorded for the wrong member"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_override_limits_error"' in html and "Bob does not have enough hours" in html
    assert 'name="override_limits"' in html
    assert "Let this correction through although it takes Bob past their limit" in html
    assert not Transfer.objects.filter(reverses=spent_exchange).exists()
    assert balance(bob) == 0 and not LimitOverride.objects.exists()

    # Sent again without the tick: still refused, the box still offered.
    again = client.post(url, {"reason": "Recorded for the wrong member", "override_offered": "1"}).content.decode()
    assert 'name="override_limits"' in again and not Transfer.objects.filter(reverses=spent_exchange).exists()


def test_with_the_tick_the_reversal_goes_through_and_the_override_is_recorded(client, coordinator, spent_exchange, bob):
    client.force_login(coordinator)
    url = reverse("timebank:coordinator-transfer-reverse", args=[spent_exchange.public_id])
    response = client.post(
        url, {"reason": "Recorded for the wrong member", "override_offered": "1", "override_limits": "on"}
    )
    assert response.status_code == 302
    reversal = Transfer.objects.get(reverses=spent_exchange)
    assert balance(bob) == -120
    override = LimitOverride.objects.get()
    assert (override.transfer, override.account, override.recorded_by) == (reversal, bob.account, coordinator)
    assert (override.min_balance_before, override.min_balance_after) == (-60, -120)
    assert override.reason == "Recorded for the wrong member"
    assert Account.objects.get(member=bob).min_balance == -120
    ledger_is_sound()
    # The account page shows the override on the record.
    account_page = page(client, "timebank:coordinator-member", bob.public_id)
    assert (
        "Limit widened from 1 hour below zero to 2 hours below zero by Cora: Recorded for the wrong member"
        in account_page
    )


def test_only_the_timebanks_coordinators_may_let_a_reversal_through(client, alice, bob, spent_exchange):
    client.force_login(alice.user)
    url = reverse("timebank:coordinator-transfer-reverse", args=[spent_exchange.public_id])
    assert client.post(url, {"reason": "x", "override_offered": "1", "override_limits": "on"}).status_code == 404
    elsewhere = Timebank.objects.create(name="Elsewhere", slug="elsewhere")
    other = UserFactory(username="otto", roles=[Role.COORDINATOR], coordinates=[elsewhere])
    for user in (alice.user, other):
        with pytest.raises(NotAllowedError):
            member_services.transfer_reverse_with_reason(
                transfer=spent_exchange, by_user=user, reason="x", override_limits=True
            )
    assert not Transfer.objects.filter(reverses=spent_exchange).exists() and not LimitOverride.objects.exists()
    assert balance(bob) == 0


# --- A confirmation stopped by a limit ---------------------------------------------------------


@pytest.fixture
def stopped(alice, bob, coordinator, django_capture_on_commit_callbacks):
    """Alice's limit is 30 minutes below zero; she confirms 2 hours from Bob."""
    set_lower_limit(alice, -30)
    exchange = exchange_in(S.DONE, bob, [alice], minutes=120)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ConflictError) as refused:
        svc.exchange_confirm(exchange=exchange, by_user=alice.user)
    assert refused.value.code == "limit_exceeded"
    exchange.refresh_from_db()
    return exchange


def test_a_refused_confirmation_stays_done_is_marked_and_tells_the_receiver_and_coordinators_once(
    stopped, alice, bob, coordinator, django_capture_on_commit_callbacks
):
    assert stopped.status == S.DONE and stopped.limit_refused_at is not None
    assert not Transfer.objects.filter(exchange=stopped).exists() and balance(alice) == 0
    assert sorted(m.to[0] for m in mail.outbox) == sorted([alice.email, coordinator.email])
    to_alice = next(m for m in mail.outbox if m.to == [alice.email])
    assert "it would take you past the limit on your account" in to_alice.body
    assert f"/exchanges/{stopped.public_id}/" in to_alice.body
    to_coordinator = next(m for m in mail.outbox if m.to == [coordinator.email])
    assert "Alice does not have enough hours" in to_coordinator.body
    assert reverse("timebank:dispute-resolve", args=[stopped.public_id]) in to_coordinator.body
    first_mark = stopped.limit_refused_at

    # Trying again: refused again, nobody told again, the mark kept.
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ConflictError):
        svc.exchange_confirm(exchange=stopped, by_user=alice.user)
    stopped.refresh_from_db()
    assert len(mail.outbox) == 2 and stopped.limit_refused_at == first_mark


def test_the_exchange_page_says_it_is_not_recorded_yet(client, stopped, alice, bob):
    for who in (alice, bob):
        client.force_login(who.user)
        html = page(client, "timebank:exchange-detail", stopped.public_id)
        assert "Not recorded yet: Alice would go past their limit. A coordinator will sort it out." in html


def test_coordinators_see_it_in_their_list_and_resolve_it_past_the_limit(client, stopped, alice, bob, coordinator):
    client.force_login(coordinator)
    listing = page(client, "timebank:dispute-list")
    assert "Stopped by an account limit" in listing
    assert reverse("timebank:dispute-resolve", args=[stopped.public_id]) in listing
    assert "Alice would go past their limit" in listing
    assert "Sort out this exchange" in page(client, "timebank:exchange-detail", stopped.public_id)
    url = reverse("timebank:dispute-resolve", args=[stopped.public_id])

    # Without the tick: refused next to the box, nothing moves.
    response = client.post(url, {"outcome": "confirm", "note": "Alice is short this month"})
    assert response.status_code == 200
    assert 'id="id_override_limits_error"' in response.content.decode()
    stopped.refresh_from_db()
    assert stopped.status == S.DONE and not Transfer.objects.filter(exchange=stopped).exists()

    response = client.post(url, {"outcome": "confirm", "note": "Alice is short this month", "override_limits": "on"})
    assert response.status_code == 302
    stopped.refresh_from_db()
    assert stopped.status == S.POSTED and stopped.limit_refused_at is None
    transfer = Transfer.objects.get(exchange=stopped, kind=TransferKind.EXCHANGE)
    override = LimitOverride.objects.get()
    assert (override.transfer, override.account, override.recorded_by) == (transfer, alice.account, coordinator)
    assert (override.min_balance_before, override.min_balance_after) == (-30, -120)
    assert balance(alice) == -120 and balance(bob) == 120
    ledger_is_sound()
    assert "Stopped by an account limit" in page(client, "timebank:dispute-list")
    assert reverse("timebank:dispute-resolve", args=[stopped.public_id]) not in page(client, "timebank:dispute-list")


def test_after_a_grant_from_the_pot_the_coordinator_confirms_it_without_passing_the_limit(stopped, alice, coordinator):
    member_services.pot_grant_to_member(member=alice, minutes=120, by_user=coordinator, reason="Hours to get going")
    svc.exchange_resolve(exchange=stopped, by_user=coordinator, outcome="confirm", note="Granted from the pot")
    stopped.refresh_from_db()
    assert stopped.status == S.POSTED and stopped.limit_refused_at is None
    assert not LimitOverride.objects.exists() and balance(alice) == 0
    ledger_is_sound()


def test_a_coordinator_can_cancel_it_and_everyone_is_told(
    client, stopped, alice, bob, coordinator, django_capture_on_commit_callbacks
):
    client.force_login(coordinator)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("timebank:dispute-resolve", args=[stopped.public_id]),
            {"outcome": "cancel", "note": "They agreed it was a favour"},
        )
    assert response.status_code == 302
    stopped.refresh_from_db()
    assert stopped.status == S.CANCELLED and stopped.limit_refused_at is None
    assert not Transfer.objects.filter(exchange=stopped).exists() and balance(alice) == 0
    last = stopped.history.order_by("pk").last()
    assert (last.from_status, last.to_status, last.actor, last.note) == (
        S.DONE,
        S.CANCELLED,
        coordinator,
        "They agreed it was a favour",
    )
    assert sorted(m.to[0] for m in mail.outbox) == sorted([alice.email, bob.email])
    assert "They agreed it was a favour" in mail.outbox[0].body


def test_members_cannot_resolve_it(client, stopped, alice, bob):
    for who in (alice, bob):
        with pytest.raises(NotAllowedError):
            svc.exchange_resolve(exchange=stopped, by_user=who.user, outcome="cancel", note="mine")
        client.force_login(who.user)
        assert client.get(reverse("timebank:dispute-resolve", args=[stopped.public_id])).status_code == 404
    stopped.refresh_from_db()
    assert stopped.status == S.DONE


def test_a_done_exchange_not_stopped_by_a_limit_cannot_be_resolved(alice, bob, coordinator):
    exchange = exchange_in(S.DONE, bob, [alice])
    with pytest.raises(ConflictError, match="Only a disputed exchange"):
        svc.exchange_resolve(exchange=exchange, by_user=coordinator, outcome="cancel", note="x")
    exchange.refresh_from_db()
    assert exchange.status == S.DONE


def test_auto_confirm_stopped_by_a_limit_marks_it_and_tells_people_once(
    alice, bob, coordinator, timebank, django_capture_on_commit_callbacks
):
    set_lower_limit(alice, -30)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        exchange = exchange_in(S.DONE, bob, [alice])
    mail.outbox.clear()
    for day in (1, 2):
        with (
            time_machine.travel(start + datetime.timedelta(days=timebank.auto_confirm_days + day)),
            django_capture_on_commit_callbacks(execute=True),
        ):
            assert svc.exchange_auto_confirm_due() == 0
    exchange.refresh_from_db()
    assert exchange.status == S.DONE and exchange.limit_refused_at is not None
    assert sorted(m.to[0] for m in mail.outbox) == sorted([alice.email, coordinator.email])


# --- A reversed exchange says so ------------------------------------------------------------


def test_a_reversed_exchange_says_reversed_with_the_reason(client, alice, bob, coordinator):
    exchange = exchange_in(S.POSTED, bob, [alice], minutes=60)
    Exchange.objects.filter(pk=exchange.pk).update(description="Lift to the surgery")
    member_services.transfer_reverse_with_reason(
        transfer=Transfer.objects.get(exchange=exchange), by_user=coordinator, reason="Recorded twice"
    )
    for who in (alice.user, bob.user, coordinator):
        client.force_login(who)
        html = page(client, "timebank:exchange-detail", exchange.public_id)
        assert "Reversed" in html and "The reason given: Recorded twice" in html
    client.force_login(alice.user)
    listed = client.get(reverse("timebank:exchange-list"), {"show": "all"}).content.decode()
    assert "Lift to the surgery" in listed and "Reversed" in listed


def test_coordinators_of_another_timebank_are_not_told(alice, bob, coordinator, django_capture_on_commit_callbacks):
    """Coordinators of other timebanks hear nothing of this one's refusals."""
    elsewhere = Timebank.objects.create(name="Elsewhere", slug="elsewhere-2")
    other = UserFactory(username="otto2", roles=[Role.COORDINATOR], coordinates=[elsewhere])
    MemberFactory(timebank=elsewhere)
    set_lower_limit(alice, -30)
    exchange = exchange_in(S.DONE, bob, [alice], minutes=120)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ConflictError):
        svc.exchange_confirm(exchange=exchange, by_user=alice.user)
    assert other.email not in [m.to[0] for m in mail.outbox]
