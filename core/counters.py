"""Counts every worker shares, for rate limits (api/throttles.py, core/ratelimit.py).

With Redis (or any cache that is not the database cache, such as the tests'
memory cache) a count is the cache's own atomic add and increment. With the
database cache, the embedded default, that pair costs a dozen statements a
count (Django's database cache reads, counts the whole table to decide whether
to cull, and writes, inside a transaction of its own, for the add and again for
the increment) and is not atomic between workers. So without Redis a count is
one statement instead, on the `core_counter` table: an upsert that returns the
new count, atomic on SQLite and PostgreSQL alike. A window that has run out
starts again from the increment; rows past their time are deleted now and then.
"""

from __future__ import annotations

import random
import time

from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from django.db import connection

# One count in this many also deletes the rows whose time has passed.
PURGE_ONE_IN = 1000

_ADD = """
INSERT INTO core_counter (key, count, expires) VALUES (%s, %s, %s)
ON CONFLICT (key) DO UPDATE SET
    count = CASE WHEN core_counter.expires <= %s THEN excluded.count ELSE core_counter.count + excluded.count END,
    expires = CASE WHEN core_counter.expires <= %s THEN excluded.expires ELSE core_counter.expires END
RETURNING count
"""


def _in_the_database() -> bool:
    return isinstance(caches["default"], DatabaseCache)


def counter_add(key: str, *, seconds: int, delta: int = 1) -> int:
    """Add `delta` to the count for `key` (a new count lives `seconds`) and return it."""
    if not _in_the_database():
        cache = caches["default"]
        cache.add(key, 0, timeout=seconds)
        try:
            return int(cache.incr(key, delta))
        except ValueError:  # the key ran out between add and incr: a new window
            cache.set(key, delta, timeout=seconds)
            return delta
    now = int(time.time())
    with connection.cursor() as cursor:
        if random.randrange(PURGE_ONE_IN) == 0:  # noqa: S311 (not a secret: when to tidy up)
            cursor.execute("DELETE FROM core_counter WHERE expires <= %s", [now])
        cursor.execute(_ADD, [key, delta, now + seconds, now, now])
        return int(cursor.fetchone()[0])


def counter_get(key: str) -> int:
    """The count for `key`, 0 when there is none or its time has passed."""
    if not _in_the_database():
        return int(caches["default"].get(key, 0))
    with connection.cursor() as cursor:
        cursor.execute("SELECT count FROM core_counter WHERE key = %s AND expires > %s", [key, int(time.time())])
        row = cursor.fetchone()
    return int(row[0]) if row else 0
