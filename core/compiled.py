"""A hot query's SQL, compiled by the ORM once per shape and then run with new values.

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
"""
import uuid
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from django.db import connections
from django.db.models import QuerySet
from django.db.models.query import FlatValuesListIterable, ModelIterable, ValuesListIterable, get_related_populators

# Stand-ins no real input produces: latitudes and longitudes are within ±180,
# grid cells below 10**8, slugs and postcode prefixes printable.
_INT_BASE = 1_900_000_000  # within a 32-bit integer column
_FLOAT_BASE = 7_000_000.5
_UUID_BASE = 0x5EA4C4_0000_0000_0000_0000_0000_0000
# How a UUID input reaches the SQL parameters, by the form found there.
_UUID_FORMS = {"uuid": lambda value: value, "hex": lambda value: value.hex, "str": str}


@dataclass(frozen=True)
class _Plan:
    alias: str
    sql: str
    # One per SQL parameter: (name, index in a list or None, form) for an input, or
    # None to keep the ORM's own constant (a status, True, a LIMIT) from `constants`.
    slots: tuple
    constants: tuple
    converters: dict
    # How a converted row becomes what the ORM gives: a tuple as it is, a flat
    # values_list's one value, or a model instance (_Objects).
    shape: str
    objects: "_Objects | None" = None


@dataclass(frozen=True)
class _Objects:
    """What ModelIterable needs to build an instance (and its select_related ones) from a row."""

    model: type
    init_list: tuple
    start: int
    end: int
    related_populators: tuple
    annotations: tuple

    def build(self, alias: str, row: tuple):
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


class CompiledQuery:
    def __init__(self, build: Callable[..., QuerySet]):
        """`build(**arguments)` returns the values_list() queryset for those arguments."""
        self._build = build
        self._plans: dict[Hashable, _Plan | None] = {}

    def rows(self, **arguments) -> list:
        """build(**arguments)'s rows (or instances). Plain values are stand-ins in the
        plan; wrap in Fixed anything that changes the SQL text."""
        fetched, finish = self.raw_rows(**arguments)
        return [finish(row) for row in fetched]

    def raw_rows(self, *, later: tuple[int, ...] = (), **arguments) -> tuple[list, Callable]:
        """(rows, finish): rows of a values_list() query with the columns at positions
        `later` as the database gave them (the rest converted), and `finish(row)`,
        which converts those too, giving the row `rows()` would. Through the ORM (a
        shape with no plan) the rows are finished already and `finish` returns them."""
        key = tuple(sorted((name, _shape_of(value)) for name, value in arguments.items()))
        if key not in self._plans:
            self._plans[key] = self._plan(arguments)
        plan = self._plans[key]
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
        if plan.shape == "objects":
            return fetched, lambda row: plan.objects.build(plan.alias, row)
        if plan.shape == "flat":
            return fetched, lambda row: row[0]
        if deferred:
            return fetched, lambda row: _convert(row, deferred, connection)
        return fetched, unchanged

    def _plan(self, arguments: dict) -> _Plan | None:
        stand_ins, found = {}, {}
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
        lookup = {}
        for stand_in, (name, index) in found.items():
            forms = _UUID_FORMS if isinstance(stand_in, uuid.UUID) else {"same": None}
            for form in forms:
                lookup[_as_found(stand_in, form)] = (name, index, form)
        try:
            queryset = self._build(**stand_ins)
            shape = _SHAPES.get(queryset._iterable_class)
            if shape is None or queryset._prefetch_related_lookups or queryset._known_related_objects:
                return None  # dicts, named tuples, prefetching: left to the ORM
            compiler = queryset.query.get_compiler(using=queryset.db)
            sql, params = compiler.as_sql()
        except Exception:  # noqa: BLE001 - a stand-in the ORM refuses: this shape stays with the ORM
            return None
        slots, used = [], []
        for param in params:
            hashable = isinstance(param, (int, float, str, uuid.UUID)) and not isinstance(param, bool)
            slot = lookup.get(param) if hashable else None
            slots.append(slot)
            if slot is not None:
                used.append(slot[:2])
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
                related_populators=tuple(get_related_populators(info, compiler.select, queryset.db)),
                annotations=tuple(compiler.annotation_col_map.items()),
            )
        return _Plan(
            alias=queryset.db, sql=sql, slots=tuple(slots), constants=tuple(params), converters=converters,
            shape=shape, objects=objects,
        )


_SHAPES = {ValuesListIterable: "tuple", FlatValuesListIterable: "flat", ModelIterable: "objects"}


def uuid_text(value) -> str:
    """A UUID column's value as text, whether converted (a UUID) or left raw by
    raw_rows(later=...): 32 hex digits on SQLite, a UUID from psycopg. Cheaper than
    making a UUID only to print it."""
    if isinstance(value, str) and len(value) == 32:
        return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"
    return str(value)


def unchanged(row):
    """The `finish` of rows that need nothing more."""
    return row


def _shape_of(value):
    """What a plan depends on besides the values: a Fixed value itself, and the
    number and types of the others (a plan for UUIDs must not be fed strings)."""
    if isinstance(value, Fixed):
        return ("fixed", value.value)
    if isinstance(value, (list, tuple)):
        return ("items", tuple(type(item) for item in value))
    return ("value", type(value))


def _plain(arguments: dict) -> dict:
    return {name: value.value if isinstance(value, Fixed) else value for name, value in arguments.items()}


def _stand_in(value, counter: int):
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


def _pick(value, index):
    return value if index is None else value[index]


def _as_found(value, form: str):
    return value if form == "same" else _UUID_FORMS[form](value)


def _convert(row, converters: dict, connection) -> tuple:
    row = list(row)
    for position, (functions, expression) in converters.items():
        value = row[position]
        for function in functions:
            value = function(value, expression, connection)
        row[position] = value
    return tuple(row)
