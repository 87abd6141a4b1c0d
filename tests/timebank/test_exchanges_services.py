"""The exchange lifecycle: every transition allowed and refused, who may take
each step, posting to the ledger, automatic confirmation, coordinators
recording for members, and e-mails only on commit (docs/quality.md L11, L12)."""

import datetime
import threading
import uuid
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from core.errors import ConflictError, InvalidInputError, NotAllowedError
from tests.factories import ListingFactory, MemberFactory, category, dbs_checked
from timebank.models import Account, Exchange, ExchangeStatus, Member, MemberStatus, Timebank, Transfer
from timebank.services import exchanges as svc
from timebank.services.exchanges import TRANSITIONS

S = ExchangeStatus


# --- Building exchanges by calling the real services ---------------------------------


def propose(provider, receivers, *, by=None, **kwargs):
    by = by or receivers[0].user
    return svc.exchange_propose(
        timebank=provider.timebank, provider=provider, receivers=receivers, by_user=by, **kwargs
    )


def exchange_in(status, provider, receivers, *, minutes=120):
    """An exchange in `status`, proposed by the first receiver and walked by the parties."""
    receiver_user = receivers[0].user
    exchange = propose(provider, receivers)
    if status == S.PROPOSED:
        return exchange
    if status == S.DECLINED:
        return svc.exchange_decline(exchange=exchange, by_user=provider.user)
    if status == S.CANCELLED:
        return svc.exchange_cancel(exchange=exchange, by_user=receiver_user)
    svc.exchange_accept(exchange=exchange, by_user=provider.user)
    if status == S.ACCEPTED:
        return exchange
    svc.exchange_record(exchange=exchange, by_user=provider.user, minutes=minutes)
    if status == S.DONE:
        return exchange
    if status == S.DISPUTED:
        return svc.exchange_dispute(exchange=exchange, by_user=receiver_user, note="It was shorter.")
    if status == S.CONFIRMED:
        # Confirmed is a passing state (confirm posts at once); set it directly to test refusals from it.
        Exchange.objects.filter(pk=exchange.pk).update(status=S.CONFIRMED)
        exchange.refresh_from_db()
        return exchange
    return svc.exchange_confirm(exchange=exchange, by_user=receiver_user)


def run_action(action, exchange, user):
    calls = {
        "accept": lambda: svc.exchange_accept(exchange=exchange, by_user=user),
        "decline": lambda: svc.exchange_decline(exchange=exchange, by_user=user),
        "cancel": lambda: svc.exchange_cancel(exchange=exchange, by_user=user),
        "record": lambda: svc.exchange_record(exchange=exchange, by_user=user, minutes=60),
        "confirm": lambda: svc.exchange_confirm(exchange=exchange, by_user=user),
        "dispute": lambda: svc.exchange_dispute(exchange=exchange, by_user=user, note="Not right"),
        "resolve-confirm": lambda: svc.exchange_resolve(
            exchange=exchange, by_user=user, outcome="confirm", note="Checked"
        ),
        "resolve-change": lambda: svc.exchange_resolve(
            exchange=exchange, by_user=user, outcome="change", minutes=45, note="Checked"
        ),
        "resolve-cancel": lambda: svc.exchange_resolve(
            exchange=exchange, by_user=user, outcome="cancel", note="Checked"
        ),
    }
    return calls[action]()


PUBLIC_ACTIONS = [a for a in svc.ACTIONS if a != "post"]
CASES = [(status, action) for status in S.values for action in PUBLIC_ACTIONS]


def fresh_members(count):
    """For transaction=True tests: the database is emptied after each one, so
    they build their own timebank and members (no seeded groups or timebank)."""
    timebank = Timebank.objects.create(name="Commit tests", slug=f"commit-{uuid.uuid4().hex[:8]}")
    return [MemberFactory(timebank=timebank, user__roles=[]) for _ in range(count)]


def balance(member):
    return Account.objects.get(member=member).balance


# --- The transition table ----------------------------------------------------------


@pytest.mark.parametrize("status,action", CASES)
def test_each_step_is_allowed_exactly_where_the_table_says(status, action, alice, bob, coordinator):
    exchange = exchange_in(status, bob, [alice])
    history_before = exchange.history.count()
    if (status, action) in TRANSITIONS:
        run_action(action, exchange, coordinator)
        expected = TRANSITIONS[(status, action)]
        if expected == S.CONFIRMED:
            expected = S.POSTED  # confirming posts the hours in the same step
        exchange.refresh_from_db()
        assert exchange.status == expected
        last = exchange.history.order_by("pk").last()
        assert last.to_status == expected and last.actor == coordinator
        assert exchange.history.count() == history_before + (2 if expected == S.POSTED else 1)
    else:
        with pytest.raises(ConflictError) as refused:
            run_action(action, exchange, coordinator)
        assert refused.value.message  # plain words, not a code
        exchange.refresh_from_db()
        assert exchange.status == status
        assert exchange.history.count() == history_before


def test_a_confirmed_exchange_says_so_in_plain_words(alice, bob):
    exchange = exchange_in(S.POSTED, bob, [alice])
    with pytest.raises(ConflictError, match=r"This exchange has already been confirmed\."):
        svc.exchange_confirm(exchange=exchange, by_user=alice.user)


def test_every_history_row_names_who_when_from_and_to(alice, bob):
    exchange = exchange_in(S.POSTED, bob, [alice])
    rows = list(exchange.history.order_by("pk").values_list("from_status", "to_status", "actor_id"))
    assert rows == [
        ("", S.PROPOSED, alice.user.pk),
        (S.PROPOSED, S.ACCEPTED, bob.user.pk),
        (S.ACCEPTED, S.DONE, bob.user.pk),
        (S.DONE, S.CONFIRMED, alice.user.pk),
        (S.CONFIRMED, S.POSTED, alice.user.pk),
    ]
    assert all(h.at is not None for h in exchange.history.all())


# --- Who may take each step --------------------------------------------------------

PERMISSIONS = [
    # (status, action, proposer, allowed, refused)
    (S.PROPOSED, "accept", "alice", ["bob", "coordinator"], ["alice", "carol"]),
    (S.PROPOSED, "accept", "bob", ["alice", "coordinator"], ["bob", "carol"]),
    (S.PROPOSED, "accept", "coordinator", ["bob", "coordinator"], ["alice", "carol"]),
    (S.PROPOSED, "decline", "alice", ["bob", "coordinator"], ["alice", "carol"]),
    (S.PROPOSED, "decline", "bob", ["alice"], ["bob", "carol"]),
    (S.PROPOSED, "cancel", "alice", ["alice", "bob", "coordinator"], ["carol"]),
    (S.ACCEPTED, "cancel", "alice", ["alice", "bob"], ["carol"]),
    (S.ACCEPTED, "record", "alice", ["bob", "coordinator"], ["alice", "carol"]),
    (S.DONE, "confirm", "alice", ["alice", "coordinator"], ["bob", "carol"]),
    (S.DONE, "dispute", "alice", ["alice", "coordinator"], ["bob", "carol"]),
    (S.DISPUTED, "resolve-confirm", "alice", ["coordinator"], ["alice", "bob", "carol"]),
    (S.DISPUTED, "resolve-cancel", "alice", ["coordinator"], ["alice", "bob", "carol"]),
]


def _walk_from(status, exchange, provider, receiver):
    if status in (S.ACCEPTED, S.DONE, S.DISPUTED):
        Exchange.objects.filter(pk=exchange.pk).update(status=S.ACCEPTED)
    if status in (S.DONE, S.DISPUTED):
        svc.exchange_record(exchange=exchange, by_user=provider.user, minutes=60)
    if status == S.DISPUTED:
        svc.exchange_dispute(exchange=exchange, by_user=receiver.user, note="Too long")
    exchange.refresh_from_db()
    return exchange


@pytest.mark.parametrize("status,action,proposer,allowed,refused", PERMISSIONS)
def test_only_the_right_person_may_take_each_step(
    status, action, proposer, allowed, refused, alice, bob, carol, coordinator
):
    people = {"alice": alice.user, "bob": bob.user, "carol": carol.user, "coordinator": coordinator}
    for who in refused:
        exchange = _walk_from(status, propose(bob, [alice], by=people[proposer]), bob, alice)
        with pytest.raises(NotAllowedError):
            run_action(action, exchange, people[who])
        exchange.refresh_from_db()
        assert exchange.status == status, who
        assert action not in svc.exchange_available_actions(exchange=exchange, user=people[who])
    for who in allowed:
        exchange = _walk_from(status, propose(bob, [alice], by=people[proposer]), bob, alice)
        assert action in svc.exchange_available_actions(exchange=exchange, user=people[who])
        run_action(action, exchange, people[who])
        exchange.refresh_from_db()
        assert exchange.status != status, who


def test_an_outsider_cannot_propose_an_exchange_between_others(alice, bob, carol):
    with pytest.raises(NotAllowedError):
        propose(bob, [alice], by=carol.user)
    assert not Exchange.objects.exists()


def test_nobody_can_exchange_with_themselves(alice):
    with pytest.raises(InvalidInputError) as refused:
        propose(alice, [alice], by=alice.user)
    assert refused.value.field == "receivers"
    assert not Exchange.objects.exists()


def test_a_paused_member_cannot_be_in_a_new_exchange(alice, bob):
    bob.status = MemberStatus.PAUSED
    bob.save()
    with pytest.raises(InvalidInputError, match="Bob cannot take part"):
        propose(bob, [alice])
    assert not Exchange.objects.exists()


def test_time_must_be_between_one_minute_and_a_day(alice, bob):
    exchange = exchange_in(S.ACCEPTED, bob, [alice])
    for bad in (0, -5, 1441, "60", 1.5, True):
        with pytest.raises(InvalidInputError) as refused:
            svc.exchange_record(exchange=exchange, by_user=bob.user, minutes=bad)
        assert refused.value.field == "minutes"
    exchange.refresh_from_db()
    assert exchange.status == S.ACCEPTED and exchange.minutes is None


def test_a_dispute_needs_a_note(alice, bob):
    exchange = exchange_in(S.DONE, bob, [alice])
    with pytest.raises(InvalidInputError) as refused:
        svc.exchange_dispute(exchange=exchange, by_user=alice.user, note="  ")
    assert refused.value.field == "note"
    exchange.refresh_from_db()
    assert exchange.status == S.DONE


# --- Proposing from a listing -----------------------------------------------------


def test_answering_an_offer_makes_the_lister_the_provider(alice, bob):
    dbs_checked(bob)  # the offer is help at home (safeguarding rule)
    offer = ListingFactory(member=bob, kind="offer")
    exchange = svc.exchange_propose_from_listing(listing=offer, member=alice, by_user=alice.user)
    assert exchange.provider == bob
    assert list(exchange.receivers.all()) == [alice]
    assert exchange.listing == offer


def test_answering_a_request_makes_the_answerer_the_provider_and_marks_it_matched_once(alice, bob, carol):
    dbs_checked(bob)  # the request is for help at home (safeguarding rule)
    dbs_checked(carol)
    request = ListingFactory(member=alice, kind="request")
    exchange = svc.exchange_propose_from_listing(listing=request, member=bob, by_user=bob.user)
    assert exchange.provider == bob and list(exchange.receivers.all()) == [alice]
    request.refresh_from_db()
    first_match = request.matched_at
    assert first_match is not None
    svc.exchange_propose_from_listing(listing=request, member=carol, by_user=carol.user)
    request.refresh_from_db()
    assert request.matched_at == first_match


def test_a_closed_listing_cannot_be_answered(alice, bob):
    offer = ListingFactory(member=bob, kind="offer", status="closed")
    with pytest.raises(ConflictError, match=r"This offer is closed\."):
        svc.exchange_propose_from_listing(listing=offer, member=alice, by_user=alice.user)
    assert not Exchange.objects.exists()


def test_nobody_answers_their_own_listing(bob):
    offer = ListingFactory(member=bob, kind="offer")
    with pytest.raises(InvalidInputError):
        svc.exchange_propose_from_listing(listing=offer, member=bob, by_user=bob.user)


# --- Posting to the ledger -------------------------------------------------------


def test_alice_gardens_two_hours_for_bob_and_bob_teaches_carol_one_hour(alice, bob, carol):
    exchange_in(S.POSTED, alice, [bob], minutes=120)
    exchange_in(S.POSTED, bob, [carol], minutes=60)
    assert (balance(alice), balance(bob), balance(carol)) == (120, -60, -60)


def test_a_group_exchange_posts_one_transfer_that_sums_to_zero_and_splits_600_over_7(bob):
    receivers = [MemberFactory() for _ in range(7)]
    exchange = exchange_in(S.POSTED, bob, receivers, minutes=600)
    transfer = Transfer.objects.get(exchange=exchange)
    assert Transfer.objects.count() == 1
    entries = {e.account.member_id: e.minutes for e in transfer.entries.select_related("account")}
    assert sum(entries.values()) == 0
    assert entries[bob.pk] == 600
    paid = [-entries[m.pk] for m in sorted(receivers, key=lambda m: m.pk)]
    assert paid == [86, 86, 86, 86, 86, 85, 85]
    assert transfer.kind == "exchange" and transfer.idempotency_key == f"exchange-{exchange.public_id}"


def test_receivers_with_a_zero_share_pay_nothing(bob):
    receivers = [MemberFactory() for _ in range(3)]
    exchange = exchange_in(S.POSTED, bob, receivers, minutes=2)
    entries = list(Transfer.objects.get(exchange=exchange).entries.values_list("minutes", flat=True))
    assert sorted(entries) == [-1, -1, 2]


def test_posting_marks_first_and_last_exchange_and_makes_approved_members_active(alice, bob):
    Member.objects.filter(pk=alice.pk).update(status=MemberStatus.APPROVED)
    alice.refresh_from_db()
    exchange_in(S.POSTED, bob, [alice])
    alice.refresh_from_db()
    bob.refresh_from_db()
    assert alice.status == MemberStatus.ACTIVE
    assert alice.first_exchange_at and alice.last_exchange_at and bob.first_exchange_at
    first = alice.first_exchange_at
    exchange_in(S.POSTED, bob, [alice])
    alice.refresh_from_db()
    assert alice.first_exchange_at == first and alice.last_exchange_at > first


def test_a_refusal_by_limit_leaves_the_exchange_done_with_a_plain_message(alice, bob):
    Account.objects.filter(member=alice).update(min_balance=-60)
    exchange = exchange_in(S.DONE, bob, [alice], minutes=120)
    with pytest.raises(ConflictError) as refused:
        svc.exchange_confirm(exchange=exchange, by_user=alice.user)
    assert refused.value.code == "limit_exceeded"
    assert "does not have enough hours" in refused.value.message
    exchange.refresh_from_db()
    assert exchange.status == S.DONE and exchange.confirmed_at is None
    assert not Transfer.objects.exists()
    assert not exchange.history.filter(to_status=S.CONFIRMED).exists()
    assert balance(alice) == 0


def test_confirming_twice_posts_once(alice, bob):
    exchange = exchange_in(S.DONE, bob, [alice])
    svc.exchange_confirm(exchange=exchange, by_user=alice.user)
    stale = Exchange.objects.get(pk=exchange.pk)
    stale.status = S.DONE  # what a second browser tab still believes
    with pytest.raises(ConflictError, match="already been confirmed"):
        svc.exchange_confirm(exchange=stale, by_user=alice.user)
    assert Transfer.objects.filter(exchange=exchange).count() == 1
    assert balance(bob) == 120


@pytest.mark.django_db(transaction=True)
def test_two_confirmations_at_the_same_moment_post_once():
    alice, bob = fresh_members(2)
    exchange = exchange_in(S.DONE, bob, [alice])
    results, barrier = [], threading.Barrier(2)

    def confirm():
        try:
            barrier.wait()
            svc.exchange_confirm(exchange=Exchange.objects.get(pk=exchange.pk), by_user=alice.user)
            results.append("ok")
        except ConflictError as error:
            results.append(error.message)
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["This exchange has already been confirmed.", "ok"]
    assert Transfer.objects.filter(exchange=exchange).count() == 1
    assert balance(bob) == 120 and balance(alice) == -120


def test_a_coordinator_can_change_the_time_when_resolving(alice, bob, coordinator):
    exchange = exchange_in(S.DISPUTED, bob, [alice], minutes=120)
    svc.exchange_resolve(exchange=exchange, by_user=coordinator, outcome="change", minutes=60, note="Agreed by phone")
    exchange.refresh_from_db()
    assert exchange.status == S.POSTED and exchange.minutes == 60
    assert balance(bob) == 60
    note = exchange.history.get(to_status=S.CONFIRMED).note
    assert note.startswith("Time changed from 2 hours to 1 hour.") and "Agreed by phone" in note


def test_changing_the_time_needs_a_valid_time_and_a_note(alice, bob, coordinator):
    exchange = exchange_in(S.DISPUTED, bob, [alice])
    with pytest.raises(InvalidInputError) as refused:
        svc.exchange_resolve(exchange=exchange, by_user=coordinator, outcome="change", minutes=None, note="x")
    assert refused.value.field == "minutes"
    with pytest.raises(InvalidInputError) as refused:
        svc.exchange_resolve(exchange=exchange, by_user=coordinator, outcome="confirm", note="")
    assert refused.value.field == "note"
    exchange.refresh_from_db()
    assert exchange.status == S.DISPUTED and not Transfer.objects.exists()


# --- Automatic confirmation ---------------------------------------------------------


def test_done_exchanges_confirm_themselves_after_the_timebanks_days(alice, bob, timebank):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        exchange = exchange_in(S.DONE, bob, [alice])
    almost_due = start + datetime.timedelta(days=timebank.auto_confirm_days) - datetime.timedelta(minutes=1)
    with time_machine.travel(almost_due):
        call_command("auto_confirm_exchanges", stdout=StringIO())
    exchange.refresh_from_db()
    assert exchange.status == S.DONE
    with time_machine.travel(start + datetime.timedelta(days=timebank.auto_confirm_days, minutes=1)):
        assert svc.exchange_auto_confirm_due() == 1
        assert svc.exchange_auto_confirm_due() == 0
    exchange.refresh_from_db()
    assert exchange.status == S.POSTED
    confirmed = exchange.history.get(to_status=S.CONFIRMED)
    assert confirmed.actor is None
    assert confirmed.note == f"Confirmed automatically after {timebank.auto_confirm_days} days"
    assert balance(bob) == 120


def test_auto_confirm_skips_one_refused_by_a_limit_and_posts_the_rest(alice, bob, carol, timebank):
    Account.objects.filter(member=alice).update(min_balance=-30)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        refused = exchange_in(S.DONE, bob, [alice])
        fine = exchange_in(S.DONE, bob, [carol])
    with time_machine.travel(start + datetime.timedelta(days=timebank.auto_confirm_days + 1)):
        assert svc.exchange_auto_confirm_due() == 1
    refused.refresh_from_db()
    fine.refresh_from_db()
    assert (refused.status, fine.status) == (S.DONE, S.POSTED)


def test_the_auto_confirm_command_says_how_many(alice, bob, timebank):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        exchange_in(S.DONE, bob, [alice])
    out = StringIO()
    with time_machine.travel(start + datetime.timedelta(days=timebank.auto_confirm_days + 1)):
        call_command("auto_confirm_exchanges", stdout=out)
    assert "1 exchange confirmed automatically." in out.getvalue()


# --- Coordinators recording for members who are not online ------------------------


def test_a_coordinator_records_a_whole_exchange_for_offline_members(coordinator, timebank):
    provider = MemberFactory(user=None, display_name="Doreen", email="")
    receivers = [MemberFactory(user=None, email=""), MemberFactory(user=None, email="")]
    exchange = svc.exchange_record_for_members(
        provider=provider,
        receivers=receivers,
        minutes=90,
        by_user=coordinator,
        category=category("gardening"),
        description="Weeding the front garden",
        occurred_on=timezone.localdate() - datetime.timedelta(days=2),
    )
    exchange.refresh_from_db()
    assert exchange.status == S.POSTED and exchange.recorded_by_coordinator
    assert exchange.description == "Gardening: Weeding the front garden"
    steps = list(exchange.history.order_by("pk").values_list("to_status", "actor_id"))
    assert steps == [(s, coordinator.pk) for s in (S.PROPOSED, S.ACCEPTED, S.DONE, S.CONFIRMED, S.POSTED)]
    assert balance(provider) == 90 and sorted(balance(r) for r in receivers) == [-45, -45]
    assert Transfer.objects.get(exchange=exchange).recorded_by == coordinator


def test_only_coordinators_record_for_others_and_bad_input_leaves_nothing(alice, bob, coordinator):
    with pytest.raises(NotAllowedError):
        svc.exchange_record_for_members(
            provider=bob, receivers=[alice], minutes=60, by_user=alice.user, description="x"
        )
    with pytest.raises(InvalidInputError) as refused:
        svc.exchange_record_for_members(
            provider=bob,
            receivers=[alice],
            minutes=60,
            by_user=coordinator,
            description="Shopping",
            occurred_on=timezone.localdate() + datetime.timedelta(days=1),
        )
    assert refused.value.field == "occurred_on"
    Account.objects.filter(member=alice).update(min_balance=-30)
    with pytest.raises(ConflictError):
        svc.exchange_record_for_members(
            provider=bob, receivers=[alice], minutes=60, by_user=coordinator, description="x"
        )
    assert not Exchange.objects.exists() and not Transfer.objects.exists()


# --- E-mails: on commit only (docs/quality.md L12) -----------------------------------------------


def test_each_step_tells_the_other_person_after_commit(alice, bob, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        exchange = propose(bob, [alice])
    assert [m.to for m in mail.outbox] == [[bob.email]]
    assert f"/exchanges/{exchange.public_id}/" in mail.outbox[0].body
    with django_capture_on_commit_callbacks(execute=True):
        svc.exchange_accept(exchange=exchange, by_user=bob.user)
        svc.exchange_record(exchange=exchange, by_user=bob.user, minutes=90)
    assert [m.to for m in mail.outbox[1:]] == [[alice.email], [alice.email]]
    assert "1½ hours" in mail.outbox[2].subject
    with django_capture_on_commit_callbacks(execute=True):
        svc.exchange_confirm(exchange=exchange, by_user=alice.user)
    assert sorted(m.to[0] for m in mail.outbox[3:]) == sorted([alice.email, bob.email])


def test_a_rolled_back_step_sends_nothing(alice, bob, django_capture_on_commit_callbacks):
    exchange = exchange_in(S.ACCEPTED, bob, [alice])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        with transaction.atomic():
            svc.exchange_record(exchange=exchange, by_user=bob.user, minutes=60)
            raise RuntimeError("something later in the request failed")
    assert callbacks == [] and mail.outbox == []
    exchange.refresh_from_db()
    assert exchange.status == S.ACCEPTED


@pytest.mark.django_db(transaction=True)
def test_a_transfer_refused_by_a_limit_sends_nothing_with_real_commits():
    alice, bob = fresh_members(2)
    Account.objects.filter(member=alice).update(min_balance=-30)
    exchange = exchange_in(S.DONE, bob, [alice])
    mail.outbox.clear()
    with pytest.raises(ConflictError):
        svc.exchange_confirm(exchange=exchange, by_user=alice.user)
    # Nothing of the rolled-back confirmation is sent: only, after it, the notice
    # that it was stopped by a limit (issue 16; this timebank has no coordinators).
    assert [(m.to, m.subject) for m in mail.outbox] == [
        ([alice.email], "TimeCommons: The hours for your exchange could not be recorded yet")
    ]
    mail.outbox.clear()
    Account.objects.filter(member=alice).update(min_balance=-600)
    svc.exchange_confirm(exchange=exchange, by_user=alice.user)
    assert len(mail.outbox) == 2
