"""Getting the raw records out of an Open Referral UK source: a file or a feed.

A file may hold one JSON page (3.0 or v1), a bare list of services, one service,
or ndjson (one service a line, read a line at a time). A feed is given by its base
URL and is paged through /services. List items are summaries, so each is fetched
in full from /services/{id}: always for 3.0 (its list items hold one-to-one fields
only), and for v1 unless the item already carries its children (`v1_item_is_full`:
service_at_locations, regular_schedules and service_taxonomys all given as lists,
not all empty). That is the official validator's rule too: without the detail a
v1 service loses its places, opening times and categories.

Invariants:
* Records come out exactly as the source sent them (any JSON value), in the
  source's order: checking them is `prepare`'s job, not this module's.
* A source that cannot be read at all raises `SourceError` before the first
  record. A detail fetch that fails later (3.0 or v1) becomes a record carrying
  `__error__`, so that one service is reported and skipped, not the whole feed.
  A v1 service is not kept from its summary instead: children are replaced
  wholesale on writing, so a summary would wipe the places, times and categories
  an earlier import stored; skipping keeps them until the next run can fetch it.
  An ndjson line that is not JSON is such a record too ("line 57").
* Memory is bounded whatever the source's size: ndjson is read a line at a time,
  a feed a page at a time, and detail fetches run DETAIL_WORKERS at a time at most
  DETAIL_WINDOW records ahead of the one being imported. (A file holding one JSON
  document is read whole: it cannot be parsed in parts.)
* Every HTTP call has a timeout and a size cap, and paging stops after MAX_PAGES:
  a feed cannot hang or exhaust the import.
* A feed is fetched only from public internet addresses, on ports 80 and 443
  (core/netguard.py: the host is resolved once and that address is the one
  connected to). Redirects are followed by hand, at most MAX_REDIRECTS, each
  hop checked the same way, so a feed cannot send the import to this machine
  or its private network. Detail-fetching threads share the one session: a
  GuardedSession keeps no state between requests (each builds its own pinned
  requests.Session), so it is safe to use from several threads at once.
"""

from __future__ import annotations

import datetime
import json
import re
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import quote, urlencode

import requests
import urllib3

from assets.openreferral.report import SourceError
from core.jsonlimit import json_loads_limited
from core.netguard import AddressRefusedError, GuardedSession

HTTP_TIMEOUT = (3, 10)  # connect, read (docs/quality.md A10)
MAX_RESPONSE_BYTES = 20 * 1024 * 1024
MAX_PAGES = 10_000
PER_PAGE = 50
MAX_REDIRECTS = 5
ALLOWED_SCHEMES = ("http", "https")
ALLOWED_PORTS = (80, 443)
# Detail fetches in flight at once, and how far ahead of the import they may run:
# enough to hide each request's wait, few enough to be polite to a council's server.
DETAIL_WORKERS = 4
DETAIL_WINDOW = 32
# v1 children a list item may already carry in full.
V1_CHILD_LISTS = ("service_at_locations", "regular_schedules", "service_taxonomys")


class Source(NamedTuple):
    """The records of a source, how many there are when it says, and the Open
    Referral version its shape shows ("3.0", "1.0", or "" when it does not say)."""

    records: Iterator[object]
    total: int | None
    version: str


def feed_session() -> GuardedSession:
    """What fetches a feed unless a test gives a stand-in."""
    # keep_alive: thousands of requests to one feed reuse their connections.
    return GuardedSession(schemes=ALLOWED_SCHEMES, ports=ALLOWED_PORTS, max_redirects=MAX_REDIRECTS, keep_alive=True)


def read_source(
    source: str, *, modified_after: datetime.datetime | None = None, session: GuardedSession | None = None
) -> Source:
    """The records in a file or feed, how many the source says there are, and its version."""
    if re.match(r"^https?://", source):
        return _read_url(source.rstrip("/"), modified_after=modified_after, session=session or feed_session())
    return _read_file(source)


def _read_file(source: str) -> Source:
    path = Path(source)
    if not path.is_file():
        raise SourceError(f"There is no file called {source}.")
    if _is_ndjson(path):
        return Source(_ndjson_records(path), _count_lines(path), "")
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        data = json_loads_limited(text)
    except json.JSONDecodeError as exc:
        raise SourceError(f"{source} is not JSON: {exc.msg} (line {exc.lineno}).") from None
    except ValueError as exc:  # nested too deeply
        raise SourceError(f"{source} cannot be read: {exc}") from None
    items, _, _ = _page_items(data)
    return Source(iter(items), len(items), _page_version(data))


def _is_ndjson(path: Path) -> bool:
    """True when the file's first line is a whole JSON object and another line follows."""
    with path.open("rb") as handle:
        lines = (line for line in handle if line.strip())
        first = next(lines, b"")
        if not first.lstrip().startswith(b"{"):
            return False
        try:
            if not isinstance(json_loads_limited(first), dict):
                return False
        except ValueError:
            return False
        return next(lines, None) is not None


def _count_lines(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(1 for line in handle if line.strip())


def _ndjson_records(path: Path) -> Iterator[object]:
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield json_loads_limited(line)
            except ValueError as exc:  # not JSON, not UTF-8, or nested too deeply
                reason = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
                yield {"id": f"line {number}", "__error__": f"line {number} is not JSON we can read ({reason})"}


def _page_version(page: object) -> str:
    if isinstance(page, dict) and "contents" in page:
        return "3.0"
    if isinstance(page, dict) and "content" in page:
        return "1.0"
    return ""


def _page_items(page: object) -> tuple[list[Any], int | None, bool]:
    """(items, total, is_last) from a 3.0 page, a v1 page or a bare list."""
    if isinstance(page, list):
        return page, len(page), True
    if not isinstance(page, dict):
        raise SourceError("The feed sent something that is not a page of services.")
    if "contents" in page:
        items = page.get("contents") or []
        return items, page.get("total_items"), bool(page.get("last_page", True)) or not items
    if "content" in page:
        items = page.get("content") or []
        return items, page.get("totalElements"), bool(page.get("last", True)) or not items
    return [page], 1, True


def _get_json(session: GuardedSession, url: str) -> object:
    """One JSON document from `url`, within HTTP_TIMEOUT and MAX_RESPONSE_BYTES."""
    try:
        response = session.get(url, timeout=HTTP_TIMEOUT, stream=True, headers={"Accept": "application/json"})
        body = b""
        try:
            response.raise_for_status()
            body = response.raw.read(MAX_RESPONSE_BYTES + 1, decode_content=True)
        finally:
            if body and len(body) <= MAX_RESPONSE_BYTES:
                response.raw.release_conn()  # read to the end: the connection can be reused
            else:
                response.close()
    except AddressRefusedError as exc:
        raise SourceError(f"Refused to fetch {url} or a page it redirected to: {exc.message}") from None
    except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
        # urllib3's own errors (a read timing out half way through the body) are not
        # wrapped by requests when the body is read from `raw`.
        raise SourceError(f"Could not fetch {url}: {type(exc).__name__}.") from None
    if len(body) > MAX_RESPONSE_BYTES:
        raise SourceError(f"{url} sent more than {MAX_RESPONSE_BYTES // (1024 * 1024)} MB.")
    try:
        return json_loads_limited(body)
    except ValueError as exc:  # not JSON, not UTF-8, or nested too deeply
        raise SourceError(f"{url} did not send JSON we can read: {exc}") from None


def _read_url(base: str, *, modified_after: datetime.datetime | None, session: GuardedSession) -> Source:
    params: dict[str, str | int] = {"page": 1, "per_page": PER_PAGE}
    if modified_after:
        params["modified_after"] = modified_after.isoformat()
    # The first page is fetched now, so an unreachable feed fails before any record.
    first = _get_json(session, f"{base}/services?{urlencode(params)}")
    items, total, last = _page_items(first)
    version = _page_version(first)
    listed = _listed_items(session, base, params, items=items, is_last=last)
    if version == "3.0":
        needs_detail: Callable[[object], bool] = _has_id
    else:
        needs_detail = _v1_needs_detail
    records = _in_feed_order(listed, needs_detail=needs_detail, fetch=lambda item: _full_record(session, base, item))
    return Source(records, total, version)


def _listed_items(
    session: GuardedSession, base: str, params: dict[str, str | int], *, items: list[Any], is_last: bool
) -> Iterator[object]:
    """Every list item of the feed, a page at a time."""
    page = 1
    while True:
        yield from items
        if is_last or page >= MAX_PAGES:
            return
        page += 1
        data = _get_json(session, f"{base}/services?{urlencode(params | {'page': page})}")
        items, _, is_last = _page_items(data)


def _has_id(item: object) -> bool:
    return isinstance(item, dict) and bool(item.get("id"))


def v1_item_is_full(item: object) -> bool:
    """A v1 list item that already carries its places, opening times and categories:
    all three lists given, not all empty (an empty list in a summary often means
    "not included here", so one with nothing in any of them is fetched to be sure)."""
    if not isinstance(item, dict):
        return False
    children = [item.get(key) for key in V1_CHILD_LISTS]
    return all(isinstance(child, list) for child in children) and any(children)


def _v1_needs_detail(item: object) -> bool:
    return _has_id(item) and not v1_item_is_full(item)


def _in_feed_order(
    items: Iterator[object], *, needs_detail: Callable[[object], bool], fetch: Callable[[object], object]
) -> Iterator[object]:
    """Each item, or its detail when it needs one, in the feed's order. Details are
    fetched by DETAIL_WORKERS threads, at most DETAIL_WINDOW records ahead."""
    pool = ThreadPoolExecutor(max_workers=DETAIL_WORKERS, thread_name_prefix="oruk-detail")
    window: deque[Future[object] | tuple[object]] = deque()
    try:
        for item in items:
            window.append(pool.submit(fetch, item) if needs_detail(item) else (item,))
            if len(window) >= DETAIL_WINDOW:
                yield _outcome(window.popleft())
        while window:
            yield _outcome(window.popleft())
    finally:
        # An import stopped part way leaves no fetches running behind it.
        pool.shutdown(wait=False, cancel_futures=True)


def _outcome(entry: Future[object] | tuple[object]) -> object:
    return entry[0] if isinstance(entry, tuple) else entry.result()


def _full_record(session: GuardedSession, base: str, item: object) -> object:
    """A list item's full record (3.0 nested, v1 with its children); the item itself
    when it has no id to fetch by; a record carrying `__error__` when the fetch fails."""
    if not _has_id(item):
        return item
    assert isinstance(item, dict)
    try:
        return _get_json(session, f"{base}/services/{quote(str(item['id']), safe='')}")
    except SourceError as exc:
        return {"id": item.get("id"), "__error__": exc.message}
