"""The Django admin as coordinators and administrators use it.

Ledger rows and exchange history are read-only for everyone (docs/quality.md L3);
an account's balance cannot be edited, only its limits; a coordinator (staff,
in the coordinator group) can run the timebank but not grant themselves rights.
"""

import pytest
from django.contrib import admin as django_admin
from django.urls import reverse

from tests.factories import ListingFactory, MemberFactory, UserFactory, login_with_second_step
from timebank import ledger
from timebank.models import (
    Account,
    Entry,
    Exchange,
    ExchangeHistory,
    Member,
    Role,
    SafeguardingCheck,
    Transfer,
    TransferKind,
)


def admin_url(model, action: str, *args) -> str:
    return reverse(f"admin:timebank_{model._meta.model_name}_{action}", args=args)


@pytest.fixture
def ledger_rows(alice, bob, carol):
    """Alice gardens 2 hours for Bob; Bob teaches Carol 1 hour; an exchange with history."""
    exchange = Exchange.objects.create(timebank=alice.timebank, provider=alice, minutes=120, status="posted")
    exchange.receivers.add(bob)
    ExchangeHistory.objects.create(exchange=exchange, from_status="confirmed", to_status="posted", note="Posted")
    gardening = ledger.transfer_post(
        timebank=alice.timebank,
        kind=TransferKind.EXCHANGE,
        legs=[ledger.Leg(bob.account, -120), ledger.Leg(alice.account, 120)],
        exchange=exchange,
        memo="Gardening",
    )
    ledger.transfer_post(
        timebank=alice.timebank,
        kind=TransferKind.EXCHANGE,
        legs=[ledger.Leg(carol.account, -60), ledger.Leg(bob.account, 60)],
        memo="Teaching",
    )
    return gardening


@pytest.fixture
def superuser_client(client, db):
    # The admin needs a session that passed two-step sign-in (tests/security/test_two_factor.py).
    login_with_second_step(client, UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def coordinator_client(client, coordinator):
    coordinator.is_staff = True
    coordinator.save()
    login_with_second_step(client, coordinator)
    return client


TIMEBANK_MODELS = [model for model in django_admin.site._registry if model._meta.app_label == "timebank"]


def test_every_timebank_model_has_an_admin():
    registered = {model._meta.model_name for model in TIMEBANK_MODELS}
    assert registered >= {
        "user",
        "timebank",
        "member",
        "category",
        "listing",
        "exchange",
        "exchangehistory",
        "account",
        "transfer",
        "entry",
        "safeguardingcheck",
        "incident",
        "categoryrestriction",
    }


@pytest.mark.parametrize("model", TIMEBANK_MODELS, ids=lambda m: m._meta.model_name)
def test_every_admin_list_and_detail_page_opens(model, superuser_client, ledger_rows):
    ListingFactory()
    response = superuser_client.get(admin_url(model, "changelist"))
    assert response.status_code == 200

    obj = model.objects.first()
    if obj is not None:
        assert superuser_client.get(admin_url(model, "change", obj.pk)).status_code == 200


@pytest.mark.parametrize("model", [Transfer, Entry, ExchangeHistory], ids=lambda m: m._meta.model_name)
def test_ledger_rows_and_history_are_read_only_even_for_a_superuser(model, superuser_client, ledger_rows):
    obj = model.objects.first()
    before = model.objects.count()

    changelist = superuser_client.get(admin_url(model, "changelist"))
    change_page = superuser_client.get(admin_url(model, "change", obj.pk))

    assert changelist.status_code == 200
    assert admin_url(model, "add") not in changelist.content.decode()
    assert "delete_selected" not in changelist.content.decode()
    assert change_page.status_code == 200
    assert 'name="_save"' not in change_page.content.decode()
    assert superuser_client.get(admin_url(model, "add")).status_code == 403
    assert superuser_client.post(admin_url(model, "add"), {}).status_code == 403
    assert superuser_client.post(admin_url(model, "change", obj.pk), {"memo": "changed"}).status_code == 403
    assert superuser_client.post(admin_url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
    assert model.objects.count() == before


def test_a_transfer_page_shows_its_entries(superuser_client, ledger_rows):
    page = superuser_client.get(admin_url(Transfer, "change", ledger_rows.pk)).content.decode()
    assert "Gardening" in page
    assert page.count('class="field-minutes"') >= 2
    assert "-120" in page


def test_searching_transfers_for_nonsense_finds_nothing_without_an_error(superuser_client, ledger_rows):
    response = superuser_client.get(admin_url(Transfer, "changelist"), {"q": "not-a-uuid\x00"})
    assert response.status_code == 200
    response = superuser_client.get(admin_url(Transfer, "changelist"), {"q": str(ledger_rows.public_id)})
    assert response.status_code == 200
    assert "Gardening" in response.content.decode()


def test_an_accounts_statement_link_lists_only_its_entries(superuser_client, ledger_rows, carol):
    account_page = superuser_client.get(admin_url(Account, "change", carol.account.pk)).content.decode()
    statement_url = admin_url(Entry, "changelist") + f"?account__id__exact={carol.account.pk}"
    assert statement_url.replace("&", "&amp;") in account_page or statement_url in account_page

    statement = superuser_client.get(statement_url)

    assert statement.status_code == 200
    assert list(statement.context["cl"].result_list) == list(Entry.objects.filter(account=carol.account))


def test_an_accounts_limits_change_but_its_balance_cannot(superuser_client, ledger_rows, bob):
    url = admin_url(Account, "change", bob.account.pk)

    response = superuser_client.post(url, {"min_balance": "-900", "max_balance": "", "balance": "99999"})

    assert response.status_code == 302
    account = Account.objects.get(pk=bob.account.pk)
    assert (account.balance, account.min_balance, account.max_balance) == (-60, -900, None)
    assert "minus 1 hour" in superuser_client.get(url).content.decode()


def test_limits_the_balance_already_breaks_come_back_with_a_message(superuser_client, ledger_rows, bob):
    response = superuser_client.post(
        admin_url(Account, "change", bob.account.pk), {"min_balance": "-30", "max_balance": ""}
    )

    assert response.status_code == 200
    assert "The balance is already minus 1 hour" in response.content.decode()
    assert Account.objects.get(pk=bob.account.pk).min_balance == -600


def test_accounts_cannot_be_added_or_deleted_in_the_admin(superuser_client, ledger_rows, bob):
    assert superuser_client.get(admin_url(Account, "add")).status_code == 403
    assert superuser_client.post(admin_url(Account, "delete", bob.account.pk), {"post": "yes"}).status_code == 403
    assert Account.objects.filter(pk=bob.account.pk).exists()


# --- Coordinators --------------------------------------------------------------------------


def test_a_coordinator_sees_the_timebank_in_the_admin(coordinator_client, ledger_rows):
    index = coordinator_client.get(reverse("admin:index"))

    assert index.status_code == 200
    page = index.content.decode()
    for name in ["Members", "Listings", "Categories", "Exchanges", "Accounts", "Transfers", "Entries"]:
        assert name in page
    assert coordinator_client.get(admin_url(Member, "changelist"), {"q": "Bob"}).status_code == 200
    assert coordinator_client.get(admin_url(Transfer, "changelist")).status_code == 200


def test_a_coordinator_can_only_view_ledger_rows(coordinator_client, ledger_rows):
    assert coordinator_client.get(admin_url(Transfer, "change", ledger_rows.pk)).status_code == 200
    assert coordinator_client.get(admin_url(Transfer, "add")).status_code == 403
    assert coordinator_client.post(admin_url(Transfer, "delete", ledger_rows.pk), {"post": "yes"}).status_code == 403
    assert Transfer.objects.filter(pk=ledger_rows.pk).exists()


def test_a_coordinator_can_change_an_accounts_limits(coordinator_client, ledger_rows, carol):
    response = coordinator_client.post(
        admin_url(Account, "change", carol.account.pk), {"min_balance": "-1200", "max_balance": "3000"}
    )
    assert response.status_code == 302
    account = Account.objects.get(pk=carol.account.pk)
    assert (account.min_balance, account.max_balance, account.balance) == (-1200, 3000, -60)


def member_form(**overrides) -> dict:
    data = {
        "timebank": "1",
        "user": "",
        "kind": "person",
        "display_name": "Dora",
        "email": "",
        "phone": "0118 496 0000",
        "postcode": "rg1 7qe",
        "travel_radius_km": "3",
        "availability": ["tue-morning", "fri-afternoon"],
        "communication_needs": ["large-print"],
        "about": "",
        "status": "active",
        "status_note": "",
        "digest": "weekly",
        "safeguarding_checks-TOTAL_FORMS": "0",
        "safeguarding_checks-INITIAL_FORMS": "0",
        "category_restrictions-TOTAL_FORMS": "0",
        "category_restrictions-INITIAL_FORMS": "0",
    }
    data.update(overrides)
    return data


def test_a_coordinator_adds_a_member_who_is_not_online(coordinator_client, timebank):
    response = coordinator_client.post(admin_url(Member, "add"), member_form(timebank=str(timebank.pk)))

    assert response.status_code == 302
    dora = Member.objects.get(display_name="Dora")
    assert (dora.postcode, dora.postcode_district, dora.user) == ("RG1 7QE", "RG1", None)
    assert dora.communication_needs == ["large-print"]
    assert dora.availability == (1 << 3 * 1 + 0) | (1 << 3 * 4 + 1)


def test_a_bad_postcode_in_the_admin_comes_back_with_a_message(coordinator_client, timebank):
    response = coordinator_client.post(
        admin_url(Member, "add"), member_form(timebank=str(timebank.pk), postcode="12345")
    )

    assert response.status_code == 200
    assert "does not look like a UK postcode" in response.content.decode()
    assert not Member.objects.filter(display_name="Dora").exists()


def test_a_coordinators_safeguarding_record_notes_who_wrote_it(coordinator_client, coordinator, bob):
    response = coordinator_client.post(
        admin_url(SafeguardingCheck, "add"),
        {
            "member": str(bob.pk),
            "kind": "dbs-basic",
            "reference_number": "001",
            "referee_name": "",
            "checked_on": "2026-01-10",
            "expires_on": "2029-01-10",
        },
    )
    assert response.status_code == 302
    assert SafeguardingCheck.objects.get(member=bob).recorded_by == coordinator


def test_a_coordinator_cannot_delete_members_or_change_users(coordinator_client, coordinator, bob):
    assert coordinator_client.post(admin_url(Member, "delete", bob.pk), {"post": "yes"}).status_code == 403
    user_page = coordinator_client.get(admin_url(type(coordinator), "change", coordinator.pk))
    assert user_page.status_code == 200
    assert 'name="_save"' not in user_page.content.decode()
    response = coordinator_client.post(
        admin_url(type(coordinator), "change", coordinator.pk),
        {"username": coordinator.username, "is_superuser": "on", "is_staff": "on"},
    )
    assert response.status_code == 403
    coordinator.refresh_from_db()
    assert not coordinator.is_superuser
    assert Member.objects.filter(pk=bob.pk).exists()


def test_the_coordinator_group_may_view_but_not_change_ledger_rows(coordinator):
    assert coordinator.has_perm("timebank.view_transfer")
    assert coordinator.has_perm("timebank.view_entry")
    assert coordinator.has_perm("timebank.change_member")
    assert coordinator.has_perm("timebank.change_account")
    assert not coordinator.has_perm("timebank.change_transfer")
    assert not coordinator.has_perm("timebank.delete_entry")
    assert not coordinator.has_perm("timebank.delete_member")
    assert not coordinator.has_perm("timebank.change_user")


def test_staff_rights_are_needed_to_open_the_admin(client, coordinator, alice):
    client.force_login(coordinator)  # a coordinator the service has not yet made staff
    assert client.get(reverse("admin:index")).status_code == 302
    client.force_login(alice.user)
    assert client.get(admin_url(Transfer, "changelist")).status_code == 302
    assert Role.MEMBER in {g.name for g in alice.user.groups.all()}


def test_the_member_list_runs_the_same_queries_for_one_or_many_members(
    superuser_client, django_assert_max_num_queries, alice
):
    with django_assert_max_num_queries(12) as few:
        superuser_client.get(admin_url(Member, "changelist"))
    for index in range(20):
        MemberFactory(user=None, display_name=f"Neighbour {index}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = superuser_client.get(admin_url(Member, "changelist"))
    assert "Neighbour 19" in response.content.decode()
