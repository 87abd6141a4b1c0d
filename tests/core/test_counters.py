"""core/counters.py: counts every worker shares. With the database cache (the
embedded default) a count is one upsert on core_counter; with any other cache
(Redis in production, memory in tests) the cache's add and increment."""

import threading
import time

import pytest
from django.core.cache import caches
from django.db import connection, connections
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from core import counters
from core.models import Counter

DATABASE_CACHE = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "core_cache"}}


@pytest.fixture
def database_cache():
    # Django's test signals give `caches` the new setting and the old one back after.
    with override_settings(CACHES=DATABASE_CACHE):
        yield


@pytest.mark.django_db
def test_with_the_database_cache_a_count_is_one_statement_and_adds_up(database_cache):
    with CaptureQueriesContext(connection) as queries:
        assert counters.counter_add("k", seconds=60) == 1
    assert len(queries) == 1
    assert counters.counter_add("k", seconds=60) == 2
    assert counters.counter_add("k", seconds=60, delta=-1) == 1
    assert counters.counter_get("k") == 1
    assert counters.counter_get("other") == 0
    assert Counter.objects.get(key="k").count == 1


@pytest.mark.django_db
def test_a_count_whose_time_has_passed_starts_again(database_cache):
    counters.counter_add("k", seconds=60)
    counters.counter_add("k", seconds=60)
    Counter.objects.filter(key="k").update(expires=int(time.time()) - 1)

    assert counters.counter_get("k") == 0
    assert counters.counter_add("k", seconds=60) == 1
    assert Counter.objects.get(key="k").expires > time.time()


@pytest.mark.django_db
def test_old_rows_are_tidied_away_now_and_then(database_cache, monkeypatch):
    Counter.objects.create(key="old", count=5, expires=int(time.time()) - 10)
    monkeypatch.setattr(counters, "PURGE_ONE_IN", 1)

    counters.counter_add("new", seconds=60)

    assert list(Counter.objects.values_list("key", flat=True)) == ["new"]


@pytest.mark.django_db(transaction=True)
def test_workers_counting_at_once_lose_no_count(database_cache):
    """Eight threads (each with its own connection) add 25 each: 200, as one atomic statement each."""
    errors = []

    def count():
        try:
            for _ in range(25):
                counters.counter_add("shared", seconds=60)
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=count) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors
    assert counters.counter_get("shared") == 200


def test_with_another_cache_the_count_is_the_caches():
    """The tests' memory cache stands for Redis: nothing touches the database."""
    assert counters.counter_add("m", seconds=60) == 1
    assert counters.counter_add("m", seconds=60, delta=2) == 3
    assert counters.counter_get("m") == 3
    assert caches["default"].get("m") == 3
