"""A hot query's SQL, compiled by the ORM once per shape and then run with new values.

THE RULE FOR BUILDERS. A builder (the function given to `CompiledQuery`) must be a
pure function of its arguments: every value that can differ between two calls comes
in as an argument. It may use module constants that stay the same for the life of
the process (a list of statuses, a page of field names). It must NOT compute
values itself: no `timezone.now()`, `date.today()` or `stale_before()`, no values
read from the database, a setting, the request or a random source. Why: the
builder runs once per shape, on stand-in values, and the SQL it gives is run for
every later call with that shape, so anything it computed is frozen at its first
value, and tests (which run within seconds of the plan being made) stay green.
What happens otherwise: a date, time, datetime or timedelta among the SQL's
constants is noticed, and that shape is never cached: it runs through the ORM
every time, correct but without the saving. Anything else is frozen silently.
So compute the moment ("now", a cutoff date) outside the query, as the search
does with its staleness cutoff, comparing in Python; a date or time passed in as
an argument, plain or Fixed, is never a stand-in, so that query too simply runs
through the ORM.

Django builds and compiles a queryset's SQL on every call. For a query that runs
on every request with the same structure and different numbers (the directory
search: a box, a category, a district), that is most of its cost: 2 ms of
building and compiling for 0.4 ms of SQL. `CompiledQuery` lets the ORM write the
SQL once per *shape* (whatever changes the SQL text: which filters are on, how
many grid cells), with stand-in values it can find again in the parameters, and
afterwards runs that SQL with the real values and the same result converters, so
rows come back exactly as `values_list()` gives them, or, for a queryset of model
instances (with `select_related`), the same objects the ORM would build.

A query that reads many rows and keeps a few can leave some columns unconverted
(`raw_rows(later=...)`) and finish only the rows it keeps: on SQLite a UUID column
comes back as hex digits and costs a `uuid.UUID()` per row to convert.

Only plain values (int, float, str, UUID, and lists of them) can be stand-ins. A
UUID may reach the SQL as itself or as its hex digits (SQLite); the plan notes
which and passes new values the same way. A value the ORM transforms otherwise
on the way into the SQL (a `contains` pattern) is not found among the parameters,
and that shape then simply runs through the ORM every time: the cache never
guesses. Tests compare both paths.

A set of options whose order means nothing (accessibility needs, days) goes in
as `Fixed.options(...)`: one shape, and one plan, whatever order or repetition
the client sent them in; otherwise every ordering would be a plan of its own.

The cache is bounded: each CompiledQuery keeps at most `size` plans (256 unless
told otherwise) and drops the least recently used, since the shapes are chosen
by clients. Per query rather than one pool shared by all, so that a client
churning through odd search shapes evicts only search plans, never the bearer
token lookup's one plan or the results page's (one per page size, at most 100).
The search's common shapes, with no day, free or access filter, number about
80 (some 40 grid cell counts across the radii offered, with or without a
district): 256 keeps those and the popular filtered ones; rarer combinations come
and go at the far end, where a miss costs one build and compile, the time a plan
saves, never a wrong row. A plan is the SQL text, converters and one slot per
parameter: some 6 KB for a search of a few km, 90 KB at 50 km (600 grid cells),
so a full cache is a few MB, 20 MB if a client asks only for the widest searches.
gunicorn's threads share the cache: a lock keeps it whole, and two threads
meeting the same new shape each plan it, one plan kept, which is harmless.
"""

import datetime
import re
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connections
from django.db.models import Model, QuerySet
from django.db.models.lookups import Lookup
from django.db.models.query import FlatValuesListIterable, ModelIterable, ValuesListIterable, get_related_populators
from django.db.models.sql.query import Query
from django.utils import tree

# Stand-ins no real input produces: latitudes and longitudes are within ±180,
# grid cells below 10**8, slugs and postcode prefixes printable.
_INT_BASE = 1_900_000_000  # within a 32-bit integer column
_FLOAT_BASE = 7_000_000.5
_UUID_BASE = 0x5EA4C4_0000_0000_0000_0000_0000_0000
# How a UUID input reaches the SQL parameters, by the form found there.
_UUID_FORMS: dict[str, Callable[[uuid.UUID], Hashable]] = {
    "uuid": lambda value: value,
    "hex": lambda value: value.hex,
    "str": str,
}
DEFAULT_SIZE = 256
# Values a builder must not compute (see the module docstring). datetime is a date.
_CLOCK_TYPES = (datetime.date, datetime.time, datetime.timedelta)
# SQLite takes dates and times as ISO text, so among its parameters a builder's
# timezone.now() is a string; no stand-in or status has this form.
_CLOCK_TEXT = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?|\d{2}:\d{2}:\d{2}(?:\.\d+)?"
)
# django-stubs describe Django 6's signature (with fetch_mode); 5.2 takes three arguments.
_related_populators: Callable[..., list[Any]] = get_related_populators


@dataclass(frozen=True)
class _Plan:
    alias: str
    sql: str
    # One per SQL parameter: (name, index in a list or None, form) for an input, or
    # None to keep the ORM's own constant (a status, True, a LIMIT) from `constants`.
    slots: tuple[tuple[str, int | None, str] | None, ...]
    constants: tuple[Any, ...]
    converters: dict[int, Any]
    # How a converted row becomes what the ORM gives: a tuple as it is, a flat
    # values_list's one value, or a model instance (_Objects).
    shape: str
    objects: "_Objects | None" = None


@dataclass(frozen=True)
class _Objects:
    """What ModelIterable needs to build an instance (and its select_related ones) from a row."""

    model: type[Model]
    init_list: tuple[str, ...]
    start: int
    end: int
    related_populators: tuple[Any, ...]
    annotations: tuple[tuple[str, int], ...]

    def build(self, alias: str, row: tuple[Any, ...]) -> Model:
        instance = self.model.from_db(alias, self.init_list, row[self.start : self.end])
        for populator in self.related_populators:
            populator.populate(row, instance)
        for name, position in self.annotations:
            setattr(instance, name, row[position])
        return instance


@dataclass(frozen=True)
class Fixed:
    """An argument that changes the SQL itself (a flag, a day pattern): passed to the
    builder as it is, and part of the shape, so each value gets its own plan."""

    value: Hashable

    @classmethod
    def options(cls, values: Iterable[Hashable]) -> "Fixed":
        """A set of options whose order means nothing (accessibility needs, days), made
        into one shape however the client ordered or repeated them. The builder gets
        them as a sorted tuple."""
        return cls(tuple(sorted(set(values), key=repr)))


class CompiledQuery:
    def __init__(self, build: Callable[..., QuerySet[Any, Any]], *, size: int = DEFAULT_SIZE):
        """`build(**arguments)` returns the values_list() queryset for those arguments;
        at most `size` shapes are kept, the least recently used dropped first."""
        if size < 1:
            raise ValueError("A CompiledQuery needs room for at least one plan.")
        self._build = build
        self._size = size
        # None for a shape that runs through the ORM: remembered so it is not planned again.
        self._plans: OrderedDict[Hashable, _Plan | None] = OrderedDict()
        self._lock = threading.Lock()

    def rows(self, **arguments: Any) -> list[Any]:
        """build(**arguments)'s rows (or instances). Plain values are stand-ins in the
        plan; wrap in Fixed anything that changes the SQL text."""
        fetched, finish = self.raw_rows(**arguments)
        return [finish(row) for row in fetched]

    def raw_rows(self, *, later: tuple[int, ...] = (), **arguments: Any) -> tuple[list[Any], Callable[[Any], Any]]:
        """(rows, finish): rows of a values_list() query with the columns at positions
        `later` as the database gave them (the rest converted), and `finish(row)`,
        which converts those too, giving the row `rows()` would. Through the ORM (a
        shape with no plan) the rows are finished already and `finish` returns them."""
        key = tuple(sorted((name, _shape_of(value)) for name, value in arguments.items()))
        plan = self._plan_for(key, arguments)
        if later and plan is not None and plan.shape != "tuple":
            raise ValueError("Only a values_list() query's columns can be converted later.")
        if plan is None or plan.alias not in connections:
            return list(self._build(**_plain(arguments))), unchanged
        params = [
            plan.constants[position] if slot is None else _as_found(_pick(arguments[slot[0]], slot[1]), slot[2])
            for position, slot in enumerate(plan.slots)
        ]
        connection = connections[plan.alias]
        with connection.cursor() as cursor:
            cursor.execute(plan.sql, params)
            fetched = cursor.fetchall()
        now = {position: c for position, c in plan.converters.items() if position not in later}
        deferred = {position: c for position, c in plan.converters.items() if position in later}
        if now:
            fetched = [_convert(row, now, connection) for row in fetched]
        if plan.objects is not None:
            objects, alias = plan.objects, plan.alias
            return fetched, lambda row: objects.build(alias, row)
        if plan.shape == "flat":
            return fetched, lambda row: row[0]
        if deferred:
            return fetched, lambda row: _convert(row, deferred, connection)
        return fetched, unchanged

    def _plan_for(self, key: Hashable, arguments: dict[str, Any]) -> "_Plan | None":
        with self._lock:
            known = key in self._plans
            plan = self._plans.get(key)
            if known:
                self._plans.move_to_end(key)
        if known:
            return plan
        # Planned outside the lock: it builds and compiles a queryset, and other
        # threads' known shapes need not wait for that.
        plan = self._plan(arguments)
        with self._lock:
            self._plans[key] = plan
            self._plans.move_to_end(key)
            while len(self._plans) > self._size:
                self._plans.popitem(last=False)
        return plan

    def _plan(self, arguments: dict[str, Any]) -> _Plan | None:
        stand_ins: dict[str, Any] = {}
        found: dict[Hashable, tuple[str, int | None]] = {}
        counter = 0
        for name, value in arguments.items():
            if isinstance(value, Fixed):
                stand_ins[name] = value.value
            elif isinstance(value, (list, tuple)):
                replaced = []
                for index, item in enumerate(value):
                    stand_in = _stand_in(item, counter)
                    if stand_in is None:
                        return None
                    counter += 1
                    replaced.append(stand_in)
                    found[stand_in] = (name, index)
                stand_ins[name] = type(value)(replaced)
            else:
                stand_in = _stand_in(value, counter)
                if stand_in is None:
                    return None
                counter += 1
                stand_ins[name] = stand_in
                found[stand_in] = (name, None)
        # Where each stand-in may show up among the parameters, and in which form.
        lookup: dict[Hashable, tuple[str, int | None, str]] = {}
        for placed, (name, position) in found.items():
            forms = _UUID_FORMS if isinstance(placed, uuid.UUID) else {"same": None}
            for form in forms:
                lookup[_as_found(placed, form)] = (name, position, form)
        try:
            queryset = self._build(**stand_ins)
            shape = _SHAPES.get(queryset._iterable_class)
            if (
                shape is None
                or queryset._prefetch_related_lookups  # type: ignore[attr-defined]
                or queryset._known_related_objects  # type: ignore[attr-defined]
            ):
                return None  # dicts, named tuples, prefetching: left to the ORM
            if _holds_clock_value(queryset.query, set()):
                return None  # the builder computed a date or time: it must run every time
            compiler = queryset.query.get_compiler(using=queryset.db)
            sql, params = compiler.as_sql()
        except Exception:  # a stand-in the ORM refuses: this shape stays with the ORM
            return None
        slots: list[tuple[str, int | None, str] | None] = []
        used: list[tuple[str, int | None]] = []
        for param in params:
            hashable = isinstance(param, (int, float, str, uuid.UUID)) and not isinstance(param, bool)
            slot = lookup.get(param) if hashable else None
            if slot is None and _is_clock_constant(param):
                return None  # as above, caught in the SQL's own parameters
            slots.append(slot)
            if slot is not None:
                used.append((slot[0], slot[1]))
        if sorted(used, key=repr) != sorted(found.values(), key=repr):
            return None  # some input was transformed, or appears twice: let the ORM do it
        converters = compiler.get_converters([column for column, _, _ in compiler.select])
        objects = None
        if shape == "objects":
            info = compiler.klass_info
            start, end = info["select_fields"][0], info["select_fields"][-1] + 1
            objects = _Objects(
                model=info["model"],
                init_list=tuple(column[0].target.attname for column in compiler.select[start:end]),
                start=start,
                end=end,
                related_populators=tuple(_related_populators(info, compiler.select, queryset.db)),
                annotations=tuple(compiler.annotation_col_map.items()),
            )
        return _Plan(
            alias=queryset.db,
            sql=sql,
            slots=tuple(slots),
            constants=tuple(params),
            converters=converters,
            shape=shape,
            objects=objects,
        )


_SHAPES: dict[type, str] = {ValuesListIterable: "tuple", FlatValuesListIterable: "flat", ModelIterable: "objects"}


def uuid_text(value: object) -> str:
    """A UUID column's value as text, whether converted (a UUID) or left raw by
    raw_rows(later=...): 32 hex digits on SQLite, a UUID from psycopg. Cheaper than
    making a UUID only to print it."""
    if isinstance(value, str) and len(value) == 32:
        return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"
    return str(value)


def unchanged(row: Any) -> Any:
    """The `finish` of rows that need nothing more."""
    return row


def _holds_clock_value(node: object, seen: set[int]) -> bool:
    """Whether a date, time or duration is among a query's constants: looked for in
    the query itself, since on SQLite the parameters have them as text or numbers."""
    if isinstance(node, _CLOCK_TYPES):
        return True
    if node is None or isinstance(node, (str, bytes, int, float, uuid.UUID, type)) or id(node) in seen:
        return False
    seen.add(id(node))
    parts: Iterable[object]
    if isinstance(node, (list, tuple, set, frozenset)):
        parts = node
    elif isinstance(node, dict):
        parts = node.values()
    elif isinstance(node, Query):
        joins = [getattr(join, "filtered_relation", None) for join in node.alias_map.values()]
        parts = (
            node.where,
            node.annotations,
            node.select,
            node.order_by,
            node.group_by,
            node.extra,
            node.combined_queries,
            joins,
        )
    elif isinstance(node, Lookup):
        parts = (node.lhs, node.rhs)
    elif isinstance(node, tree.Node):  # a WhereNode, or a FilteredRelation's Q
        parts = node.children
    else:
        # Any other expression: its sources, and where Value, Subquery, RawSQL and
        # FilteredRelation keep what they hold.
        sources = getattr(node, "get_source_expressions", None)
        parts = [
            *(sources() if callable(sources) else ()),
            *(getattr(node, name, None) for name in ("value", "query", "params", "condition", "extra")),
        ]
    return any(_holds_clock_value(part, seen) for part in parts)


def _is_clock_constant(param: object) -> bool:
    return isinstance(param, _CLOCK_TYPES) or (isinstance(param, str) and _CLOCK_TEXT.fullmatch(param) is not None)


def _shape_of(value: object) -> Hashable:
    """What a plan depends on besides the values: a Fixed value itself, and the
    number and types of the others (a plan for UUIDs must not be fed strings)."""
    if isinstance(value, Fixed):
        return ("fixed", value.value)
    if isinstance(value, (list, tuple)):
        return ("items", tuple(type(item) for item in value))
    return ("value", type(value))


def _plain(arguments: dict[str, Any]) -> dict[str, Any]:
    return {name: value.value if isinstance(value, Fixed) else value for name, value in arguments.items()}


def _stand_in(value: object, counter: int) -> int | float | str | uuid.UUID | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, uuid.UUID):
        return uuid.UUID(int=_UUID_BASE + counter)
    if isinstance(value, int):
        return _INT_BASE + counter
    if isinstance(value, float):
        return _FLOAT_BASE + counter
    if isinstance(value, str):
        return f"\x1fstand-in {counter}\x1f"
    return None


def _pick(value: Any, index: int | None) -> Any:
    return value if index is None else value[index]


def _as_found(value: Any, form: str) -> Any:
    return value if form == "same" else _UUID_FORMS[form](value)


def _convert(row: Iterable[Any], converters: dict[int, Any], connection: Any) -> tuple[Any, ...]:
    values = list(row)
    for position, (functions, expression) in converters.items():
        value = values[position]
        for function in functions:
            value = function(value, expression, connection)
        values[position] = value
    return tuple(values)
