"""core/compiled.py: a plan is reused only when every input is found in the SQL's
parameters; anything else runs through the ORM, with the same rows either way."""

import datetime
import itertools
import threading

import pytest
import time_machine
from django.db import connection, connections
from django.db.models import Exists, OuterRef
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assets import selectors
from assets.models import Location, Schedule, Service
from core.compiled import DEFAULT_SIZE, CompiledQuery, Fixed, uuid_text
from tests.assets.factories import ServiceFactory, service_at

pytestmark = pytest.mark.django_db


def test_plain_inputs_are_compiled_once_and_rerun_with_new_values():
    ServiceFactory(name="Lunch club", is_free=True)
    ServiceFactory(name="Walk", is_free=False)
    query = CompiledQuery(
        lambda names, free: Service.objects.filter(name__in=names, is_free=free).values_list("name", "is_free")
    )
    assert query.rows(names=["Lunch club", "Walk"], free=Fixed(True)) == [("Lunch club", True)]
    assert query.rows(names=["Walk", "Nothing"], free=Fixed(False)) == [("Walk", False)]
    assert query.rows(names=["Walk", "Lunch club"], free=Fixed(True)) == [("Lunch club", True)]
    assert [plan is not None for plan in query._plans.values()] == [True, True]


def test_an_input_the_orm_transforms_falls_back_to_the_orm():
    ServiceFactory(name="Tuesday lunch club")
    query = CompiledQuery(lambda word: Service.objects.filter(name__icontains=word).values_list("name", flat=True))
    assert query.rows(word="LUNCH") == ["Tuesday lunch club"]
    assert query.rows(word="walk") == []
    assert list(query._plans.values()) == [None]


def test_converters_give_the_same_python_values_as_values_list():
    service = ServiceFactory(name="Tea")
    fields = ("id", "last_reviewed", "created_at")
    query = CompiledQuery(lambda name: Service.objects.filter(name=name).values_list(*fields))
    assert query.rows(name="Tea") == list(Service.objects.filter(name="Tea").values_list(*fields))
    assert query.rows(name="Tea")[0][0] == service.pk


def test_uuid_inputs_are_compiled_in_the_form_the_database_takes_them():
    services = [ServiceFactory(name=f"S{n}") for n in range(3)]
    query = CompiledQuery(lambda ids: Service.objects.filter(id__in=ids).order_by("name").values_list("id", "name"))
    assert query.rows(ids=[services[0].pk, services[2].pk]) == [(services[0].pk, "S0"), (services[2].pk, "S2")]
    assert query.rows(ids=[services[1].pk, services[0].pk]) == [(services[0].pk, "S0"), (services[1].pk, "S1")]
    assert [plan is not None for plan in query._plans.values()] == [True]
    # The same shape with strings instead of UUIDs gets a plan of its own.
    as_text = [str(services[1].pk), str(services[2].pk)]
    assert query.rows(ids=as_text) == [(services[1].pk, "S1"), (services[2].pk, "S2")]
    assert len(query._plans) == 2


def test_a_queryset_of_models_gives_the_same_instances_with_their_related_objects():
    wanted = ServiceFactory(name="Lunch club")
    ServiceFactory(name="Walk")
    query = CompiledQuery(lambda name: Service.objects.select_related("organisation").filter(name=name)[:1])
    for _ in range(2):  # planned, then run from the plan
        (found,) = query.rows(name="Lunch club")
        assert isinstance(found, Service) and found.pk == wanted.pk and found.name == "Lunch club"
        assert found.last_reviewed == wanted.last_reviewed
        # The organisation came with it: no further query.
        with CaptureQueriesContext(connection) as queries:
            assert found.organisation.name == wanted.organisation.name
        assert len(queries) == 0
    assert query.rows(name="Nothing") == []
    assert [plan is not None for plan in query._plans.values()] == [True]


def test_a_flat_values_list_gives_values_not_one_item_tuples():
    ServiceFactory(name="Tea")
    query = CompiledQuery(lambda name: Service.objects.filter(name=name).values_list("id", flat=True))
    assert query.rows(name="Tea") == list(Service.objects.filter(name="Tea").values_list("id", flat=True))
    assert [plan is not None for plan in query._plans.values()] == [True]


def test_columns_left_raw_are_converted_by_finish_to_what_rows_gives():
    services = [ServiceFactory(name=f"S{n}") for n in range(3)]
    query = CompiledQuery(
        lambda names: Service.objects.filter(name__in=names).order_by("name").values_list("id", "name", "last_reviewed")
    )
    names = [s.name for s in services]
    fetched, finish = query.raw_rows(later=(0,), names=names)
    expected = [(s.pk, s.name, s.last_reviewed) for s in services]
    assert [finish(row) for row in fetched] == query.rows(names=names) == expected
    # Only the id was left as the database gave it; the date is converted already.
    assert [row[2] for row in fetched] == [s.last_reviewed for s in services]
    # Raw ids sort as the UUIDs' text does, which the search's tie-break relies on.
    assert sorted(fetched, key=lambda row: str(row[0])) == sorted(fetched, key=lambda row: str(finish(row)[0]))


def test_uuid_text_prints_a_raw_or_converted_uuid_column_the_same_way():
    service = ServiceFactory(name="Tea")
    query = CompiledQuery(lambda name: Service.objects.filter(name=name).values_list("id", "organisation_id"))
    fetched, _ = query.raw_rows(later=(0, 1), name="Tea")
    assert [uuid_text(value) for value in fetched[0]] == [str(service.pk), str(service.organisation_id)]
    assert uuid_text(service.pk) == str(service.pk)


# --- The cache's guards: a bound, one plan per set of options, no frozen clock -------------


def _limited(size: int) -> CompiledQuery:
    """A query with one shape per LIMIT (a Fixed value)."""
    return CompiledQuery(
        lambda name, limit: Service.objects.filter(name=name).order_by("name").values_list("name", flat=True)[:limit],
        size=size,
    )


def _limits_kept(query: CompiledQuery) -> list[int]:
    """The LIMIT of each shape the cache holds, least recently used first."""
    return [dict(key)["limit"][1] for key in query._plans]


def test_it_never_holds_more_plans_than_its_bound_and_drops_the_least_recently_used():
    ServiceFactory(name="Tea")
    query = _limited(size=3)
    for limit in (1, 2, 3):
        assert query.rows(name="Tea", limit=Fixed(limit)) == ["Tea"]
    assert query.rows(name="Tea", limit=Fixed(1)) == ["Tea"]  # 1 is now the most recently used
    assert query.rows(name="Tea", limit=Fixed(4)) == ["Tea"]
    assert _limits_kept(query) == [3, 1, 4]  # 2 went
    for limit in range(5, 40):
        assert query.rows(name="Tea", limit=Fixed(limit)) == ["Tea"]
        assert len(query._plans) <= 3
    # A dropped shape is simply planned again, and still right.
    assert query.rows(name="Tea", limit=Fixed(2)) == ["Tea"]
    assert _limits_kept(query) == [38, 39, 2] and all(plan is not None for plan in query._plans.values())


def test_it_has_a_default_bound_and_refuses_one_that_holds_nothing():
    assert CompiledQuery(lambda: Service.objects.values_list("id"))._size == DEFAULT_SIZE == 256
    with pytest.raises(ValueError):
        CompiledQuery(lambda: Service.objects.values_list("id"), size=0)


def test_it_stays_whole_when_threads_share_it():
    query = _limited(size=4)
    failures: list[BaseException] = []
    start = threading.Barrier(8)

    def search(offset: int) -> None:
        try:
            start.wait()
            for n in range(60):
                # Nothing to find (rows made here would not be seen by the threads'
                # own connections): the point is the cache under shared use.
                assert query.rows(name="Nobody", limit=Fixed((n + offset) % 9 + 1)) == []
                assert len(query._plans) <= 4
        except BaseException as error:  # reported by the test, which a thread cannot fail
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=search, args=(offset,)) for offset in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(query._plans) == 4 and all(plan is not None for plan in query._plans.values())


def test_it_makes_one_shape_of_a_set_of_options_whatever_their_order():
    one = Fixed.options(["parking", "bsl", "parking"])
    assert one == Fixed.options(("bsl", "parking")) == Fixed(("bsl", "parking"))


def test_it_plans_the_search_once_for_accessibility_needs_in_any_order(monkeypatch):
    fresh = CompiledQuery(selectors._category_candidates)
    monkeypatch.setattr(selectors, "CATEGORY_CANDIDATES", fresh)
    needs = ["step_free_access", "hearing_loop", "parking"]
    wanted = service_at(51.4516, -0.9698, name="Step-free lunch", categories=["food"])
    service_at(51.4517, -0.9699, name="Stairs lunch", categories=["food"])
    Location.objects.filter(service_at_locations__service=wanted).update(**dict.fromkeys(needs, True))
    for order in [*itertools.permutations(needs), ["parking", "parking", "hearing_loop", "step_free_access"]]:
        page = selectors.asset_search_rows(lat=51.4516, lng=-0.9698, radius_km=2, category="food", accessibility=order)
        assert [row.service_id for row in page.results] == [wanted.pk]
    assert len(fresh._plans) == 1 and None not in fresh._plans.values()


# Each builder breaks the rule in core/compiled.py's docstring, with what it must
# find on 29 February, 2 March 2024 and 2 March 2026 for a service made, reviewed
# and first scheduled on 1 March 2024.
CLOCK_BUILDERS = {
    "timezone.now() in a filter": (
        lambda name: Service.objects.filter(name=name, created_at__lte=timezone.now()).values_list("name", flat=True),
        [[], ["Tea"], ["Tea"]],
    ),
    "date.today() in a filter": (
        lambda name: Service.objects.filter(
            name=name, last_reviewed__gte=datetime.date.today() - datetime.timedelta(days=365)
        ).values_list("name", flat=True),
        [["Tea"], ["Tea"], []],
    ),
    "timezone.now() in a subquery": (
        lambda name: Service.objects.filter(
            Exists(Schedule.objects.filter(service_id=OuterRef("id"), valid_from__lte=timezone.now().date())), name=name
        ).values_list("name", flat=True),
        [[], ["Tea"], ["Tea"]],
    ),
}


@pytest.mark.parametrize(("builder", "expected"), CLOCK_BUILDERS.values(), ids=CLOCK_BUILDERS.keys())
def test_it_runs_a_builder_that_reads_the_clock_afresh_on_every_call_and_keeps_no_plan(builder, expected):
    with time_machine.travel(datetime.datetime(2024, 3, 1, 12, tzinfo=datetime.UTC), tick=False):
        tea = service_at(51.4516, -0.9698, name="Tea", days=["TU"], last_reviewed=datetime.date(2024, 3, 1))
        Schedule.objects.filter(service=tea).update(valid_from=datetime.date(2024, 3, 1))
    query = CompiledQuery(builder)
    found = []
    # A plan made on the first call would give that call's answer ever after.
    for day in (datetime.date(2024, 2, 29), datetime.date(2024, 3, 2), datetime.date(2026, 3, 2)):
        with time_machine.travel(datetime.datetime(day.year, day.month, day.day, 12, tzinfo=datetime.UTC), tick=False):
            found.append(query.rows(name="Tea"))
            assert found[-1] == list(builder(name="Tea"))
    assert found == expected
    assert list(query._plans.values()) == [None]
