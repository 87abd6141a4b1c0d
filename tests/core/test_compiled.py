"""core/compiled.py: a plan is reused only when every input is found in the SQL's
parameters; anything else runs through the ORM, with the same rows either way."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assets.models import Service
from tests.assets.factories import ServiceFactory
from core.compiled import CompiledQuery, Fixed, uuid_text

pytestmark = pytest.mark.django_db


def test_plain_inputs_are_compiled_once_and_rerun_with_new_values():
    ServiceFactory(name="Lunch club", is_free=True)
    ServiceFactory(name="Walk", is_free=False)
    query = CompiledQuery(lambda names, free: Service.objects.filter(name__in=names, is_free=free).values_list("name", "is_free"))
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
    query = CompiledQuery(lambda name: Service.objects.filter(name=name).values_list("id", "last_reviewed", "created_at"))
    assert query.rows(name="Tea") == list(Service.objects.filter(name="Tea").values_list("id", "last_reviewed", "created_at"))
    assert query.rows(name="Tea")[0][0] == service.pk


def test_uuid_inputs_are_compiled_in_the_form_the_database_takes_them():
    services = [ServiceFactory(name=f"S{n}") for n in range(3)]
    query = CompiledQuery(lambda ids: Service.objects.filter(id__in=ids).order_by("name").values_list("id", "name"))
    assert query.rows(ids=[services[0].pk, services[2].pk]) == [(services[0].pk, "S0"), (services[2].pk, "S2")]
    assert query.rows(ids=[services[1].pk, services[0].pk]) == [(services[0].pk, "S0"), (services[1].pk, "S1")]
    assert [plan is not None for plan in query._plans.values()] == [True]
    # The same shape with strings instead of UUIDs gets a plan of its own.
    assert query.rows(ids=[str(services[1].pk), str(services[2].pk)]) == [(services[1].pk, "S1"), (services[2].pk, "S2")]
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
    query = CompiledQuery(lambda names: Service.objects.filter(name__in=names).order_by("name").values_list("id", "name", "last_reviewed"))
    names = [s.name for s in services]
    fetched, finish = query.raw_rows(later=(0,), names=names)
    assert [finish(row) for row in fetched] == query.rows(names=names) == [(s.pk, s.name, s.last_reviewed) for s in services]
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
