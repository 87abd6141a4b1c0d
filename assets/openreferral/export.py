"""The directory going out as Open Referral UK 3.0: the fully nested service
queryset (a fixed number of queries per chunk) and ndjson lines, one service
per line, streamed so memory stays flat whatever the directory's size. The
feed's `?format=ndjson` and `manage.py export_openreferral` both use it."""

from __future__ import annotations

import json
from collections.abc import Iterator

from django.db.models import QuerySet

from assets.models import Service
from assets.openreferral.mapping import FULL_SERVICE_PREFETCH, LIST_SERVICE_RELATED, service_full_data

NDJSON_CHUNK = 500


def full_services_queryset() -> QuerySet[Service]:
    return Service.objects.select_related(*LIST_SERVICE_RELATED).prefetch_related(*FULL_SERVICE_PREFETCH)


def ndjson_lines(services: QuerySet[Service]) -> Iterator[str]:
    # iterator() with a chunk size keeps memory flat; prefetches run per chunk.
    for service in services.iterator(chunk_size=NDJSON_CHUNK):
        yield json.dumps(service_full_data(service), separators=(",", ":")) + "\n"
