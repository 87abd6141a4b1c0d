"""Getting the raw records out of an Open Referral UK source: a file or a feed.

A file may hold one JSON page (3.0 or v1), a bare list of services, one service,
or ndjson (one service a line). A feed is given by its base URL and is paged
through /services; a 3.0 feed's list items hold only one-to-one fields, so each
is fetched in full from /services/{id}.

Invariants:
* Records come out exactly as the source sent them (any JSON value): checking
  them is `prepare`'s job, not this module's.
* A source that cannot be read at all raises `SourceError` before the first
  record. A 3.0 detail fetch that fails later becomes a record carrying
  `__error__`, so that one service is reported and skipped, not the whole feed.
* Every HTTP call has a timeout and a size cap, and paging stops after MAX_PAGES:
  a feed cannot hang or exhaust the import.
* A feed is fetched only from public internet addresses, on ports 80 and 443
  (core/netguard.py: the host is resolved once and that address is the one
  connected to). Redirects are followed by hand, at most MAX_REDIRECTS, each
  hop checked the same way, so a feed cannot send the import to this machine
  or its private network.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import requests

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


def feed_session() -> GuardedSession:
    """What fetches a feed unless a test gives a stand-in."""
    return GuardedSession(schemes=ALLOWED_SCHEMES, ports=ALLOWED_PORTS, max_redirects=MAX_REDIRECTS)


def read_source(
    source: str, *, modified_after: datetime.datetime | None = None, session: GuardedSession | None = None
) -> tuple[Iterator[object], int | None]:
    """The records in a file or feed, and how many there are when the source says."""
    if re.match(r"^https?://", source):
        return _read_url(source.rstrip("/"), modified_after=modified_after, session=session or feed_session())
    return _read_file(source)


def _read_file(source: str) -> tuple[Iterator[object], int | None]:
    path = Path(source)
    if not path.is_file():
        raise SourceError(f"There is no file called {source}.")
    text = path.read_text(encoding="utf-8")
    if (records := _ndjson_records(text)) is not None:
        return iter(records), len(records)
    try:
        data = json_loads_limited(text)
    except json.JSONDecodeError as exc:
        raise SourceError(f"{source} is not JSON: {exc.msg} (line {exc.lineno}).") from None
    except ValueError as exc:  # nested too deeply
        raise SourceError(f"{source} cannot be read: {exc}") from None
    items, _, _ = _page_items(data)
    return iter(items), len(items)


def _ndjson_records(text: str) -> list[object] | None:
    """The records when `text` is ndjson (several objects, one a line), else None."""
    stripped = text.lstrip()
    if not (stripped.startswith("{") and "\n{" in stripped.rstrip()):
        return None
    try:
        return [json_loads_limited(line) for line in text.splitlines() if line.strip()]
    except ValueError:
        return None


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
        response.raise_for_status()
        body = response.raw.read(MAX_RESPONSE_BYTES + 1, decode_content=True)
    except AddressRefusedError as exc:
        raise SourceError(f"Refused to fetch {url} or a page it redirected to: {exc.message}") from None
    except requests.RequestException as exc:
        raise SourceError(f"Could not fetch {url}: {type(exc).__name__}.") from None
    if len(body) > MAX_RESPONSE_BYTES:
        raise SourceError(f"{url} sent more than {MAX_RESPONSE_BYTES // (1024 * 1024)} MB.")
    try:
        return json_loads_limited(body)
    except ValueError as exc:  # not JSON, not UTF-8, or nested too deeply
        raise SourceError(f"{url} did not send JSON we can read: {exc}") from None


def _read_url(
    base: str, *, modified_after: datetime.datetime | None, session: GuardedSession
) -> tuple[Iterator[object], int | None]:
    params: dict[str, str | int] = {"page": 1, "per_page": PER_PAGE}
    if modified_after:
        params["modified_after"] = modified_after.isoformat()
    # The first page is fetched now, so an unreachable feed fails before any record.
    first = _get_json(session, f"{base}/services?{urlencode(params)}")
    items, total, last = _page_items(first)
    is_v3 = isinstance(first, dict) and "contents" in first
    return _feed_records(session, base, params, items=items, is_last=last, is_v3=is_v3), total


def _feed_records(
    session: GuardedSession, base: str, params: dict[str, str | int], *, items: list[Any], is_last: bool, is_v3: bool
) -> Iterator[object]:
    page = 1
    while True:
        for item in items:
            yield _full_record(session, base, item) if is_v3 else item
        if is_last or page >= MAX_PAGES:
            return
        page += 1
        data = _get_json(session, f"{base}/services?{urlencode(params | {'page': page})}")
        items, _, is_last = _page_items(data)


def _full_record(session: GuardedSession, base: str, item: object) -> object:
    """A 3.0 list item's nested record; the item itself when it has no id to fetch by."""
    if not (isinstance(item, dict) and item.get("id")):
        return item
    # 3.0 list items hold one-to-one fields only: fetch the nested record.
    try:
        return _get_json(session, f"{base}/services/{item['id']}")
    except SourceError as exc:
        return {"id": item.get("id"), "__error__": exc.message}
