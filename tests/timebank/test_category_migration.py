"""Migrations 0010-0012 give categories to timebanks: the shared list becomes the
first timebank's, every other timebank gets its own copies, and what a second
timebank's rows named (listings, restrictions, safeguarding overrides) is
pointed at its own copies. Backwards, the copies are merged into one list."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("timebank", "0009_safeguarding_override")]
AFTER = [("timebank", "0012_category_timebank_required")]


def migrate(targets):
    """Migrate to `targets`; return the models as they were at those migrations."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


def _world(apps):
    """At 0009: the shared categories (from 0002's seed), a second timebank with
    a member, an offer in "Gardening", a restriction and an override in "Befriending"."""
    Timebank = apps.get_model("timebank", "Timebank")
    Category = apps.get_model("timebank", "Category")
    Member = apps.get_model("timebank", "Member")
    Listing = apps.get_model("timebank", "Listing")
    first = Timebank.objects.order_by("pk").first()
    second = Timebank.objects.create(name="Caversham", slug="caversham")
    gardening = Category.objects.get(slug="gardening")
    befriending = Category.objects.get(slug="befriending")
    Category.objects.filter(pk=befriending.pk).update(needs_dbs_check=True, is_active=False)
    first_member = Member.objects.create(timebank=first, display_name="Olive", status="active")
    second_member = Member.objects.create(timebank=second, display_name="Carl", status="active")
    expires = datetime.date.today() + datetime.timedelta(days=30)
    first_listing = Listing.objects.create(
        timebank=first, member=first_member, kind="offer", category=gardening, title="Oxford hedges", expires_on=expires
    )
    second_listing = Listing.objects.create(
        timebank=second,
        member=second_member,
        kind="offer",
        category=gardening,
        title="Caversham lawns",
        expires_on=expires,
    )
    apps.get_model("timebank", "CategoryRestriction").objects.create(member=second_member, category=befriending)
    apps.get_model("timebank", "SafeguardingOverride").objects.create(
        timebank=second, member=second_member, category=befriending, listing=second_listing, reason="Known to us"
    )
    return {
        "first": first.pk,
        "second": second.pk,
        "gardening": gardening.pk,
        "befriending": befriending.pk,
        "first_listing": first_listing.pk,
        "second_listing": second_listing.pk,
        "categories": Category.objects.count(),
    }


@pytest.mark.django_db(transaction=True)
def test_a_second_timebank_gets_its_own_copies_and_its_rows_point_at_them():
    try:
        world = _world(migrate(BEFORE))
        apps = migrate(AFTER)
        Category = apps.get_model("timebank", "Category")
        Listing = apps.get_model("timebank", "Listing")

        # The shared list is the first timebank's, unchanged (same ids).
        firsts = Category.objects.filter(timebank_id=world["first"])
        assert firsts.count() == world["categories"]
        assert Category.objects.get(pk=world["gardening"]).timebank_id == world["first"]
        assert Listing.objects.get(pk=world["first_listing"]).category_id == world["gardening"]

        # The second timebank has a copy of each, rules and all, and its rows use them.
        seconds = Category.objects.filter(timebank_id=world["second"])
        assert sorted(seconds.values_list("slug", "needs_dbs_check", "needs_references", "is_active", "position")) == (
            sorted(firsts.values_list("slug", "needs_dbs_check", "needs_references", "is_active", "position"))
        )
        own_gardening = seconds.get(slug="gardening")
        own_befriending = seconds.get(slug="befriending")
        assert (own_befriending.needs_dbs_check, own_befriending.is_active) == (True, False)
        assert Listing.objects.get(pk=world["second_listing"]).category_id == own_gardening.pk
        restriction = apps.get_model("timebank", "CategoryRestriction").objects.get()
        assert restriction.category_id == own_befriending.pk
        override = apps.get_model("timebank", "SafeguardingOverride").objects.get()
        assert override.category_id == own_befriending.pk
        # Nothing of the second timebank still names the first's categories.
        assert not Listing.objects.filter(timebank_id=world["second"], category__timebank_id=world["first"]).exists()

        # Backwards: one shared list again, the first timebank's kept, the rows pointed back.
        apps = migrate(BEFORE)
        Category = apps.get_model("timebank", "Category")
        assert Category.objects.count() == world["categories"]
        assert (
            apps.get_model("timebank", "Listing").objects.get(pk=world["second_listing"]).category_id
            == (world["gardening"])
        )
        assert apps.get_model("timebank", "CategoryRestriction").objects.get().category_id == world["befriending"]
        assert apps.get_model("timebank", "SafeguardingOverride").objects.get().category_id == world["befriending"]
    finally:
        # Later tests expect every migration applied.
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
