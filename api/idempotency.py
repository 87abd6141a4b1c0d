"""Idempotency-Key on POST (docs/quality.md L8): a retry gets the first answer,
never a second object.

The first request with a key claims it by inserting a row (the unique
constraint decides the race, on PostgreSQL and SQLite alike) and commits that
claim before doing the work; when it finishes, the response is stored on the
row. A later request with the same key and owner then gets:
- the stored response again, if the body matches (header Idempotent-Replayed: true);
- 422 if the body differs (the key was reused for something else);
- 409 if the first request is still running.
A 5xx releases the key so the client can try again. Keys are scoped per
client or user and kept settings.API_IDEMPOTENCY_KEY_HOURS (>= 24 h).
"""

import datetime
import hashlib
import json

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from api.authentication import ApiClientPrincipal
from api.errors import IdempotencyKeyInFlightError, IdempotencyKeyMismatchError
from api.models import IdempotencyKey, IdempotencyState
from core.errors import InvalidInputError

HEADER = "Idempotency-Key"


class _Replay(Exception):
    def __init__(self, record: IdempotencyKey):
        self.record = record


def _owner(request) -> str:
    user = request.user
    if isinstance(user, ApiClientPrincipal):
        return f"client:{user.client.application_id}"
    return f"user:{user.pk}"


def _request_hash(request) -> str:
    body = request._request.body
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, UnicodeDecodeError):
        canonical = body
    digest = hashlib.sha256()
    digest.update(request.path.encode())
    digest.update(b"\0")
    digest.update(canonical)
    return digest.hexdigest()


def _valid_key(key: str) -> bool:
    return 0 < len(key) <= 255 and all(33 <= ord(ch) <= 126 for ch in key)


def idempotency_keys_purge() -> int:
    """Delete keys older than the retention period; returns how many."""
    cutoff = timezone.now() - datetime.timedelta(hours=settings.API_IDEMPOTENCY_KEY_HOURS)
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def claim(request) -> IdempotencyKey | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not _valid_key(key):
        raise InvalidInputError(
            "The Idempotency-Key header must be 1 to 255 visible characters, such as a UUID.", field=HEADER
        )
    owner, request_hash = _owner(request), _request_hash(request)
    cutoff = timezone.now() - datetime.timedelta(hours=settings.API_IDEMPOTENCY_KEY_HOURS)
    # Expired keys may be used again; removing the old row first lets the insert below decide.
    IdempotencyKey.objects.filter(owner=owner, key=key, created_at__lt=cutoff).delete()
    try:
        # Savepoint: a lost race must not break a surrounding transaction.
        with transaction.atomic():
            return IdempotencyKey.objects.create(owner=owner, key=key, request_hash=request_hash)
    except IntegrityError:
        pass
    existing = IdempotencyKey.objects.filter(owner=owner, key=key).first()
    if existing is None:
        raise IdempotencyKeyInFlightError(
            "A request with this Idempotency-Key is still being handled. Try again shortly."
        )
    if existing.request_hash != request_hash:
        raise IdempotencyKeyMismatchError(
            "This Idempotency-Key was already used for a different request. Use a new key for a new request."
        )
    if existing.state != IdempotencyState.DONE:
        raise IdempotencyKeyInFlightError(
            "A request with this Idempotency-Key is still being handled. Try again shortly."
        )
    raise _Replay(existing)


def finish(record: IdempotencyKey, response) -> None:
    if response.status_code >= 500:
        IdempotencyKey.objects.filter(pk=record.pk).delete()
        return
    data = getattr(response, "data", None)
    body = json.loads(JSONRenderer().render(data)) if data is not None else None
    IdempotencyKey.objects.filter(pk=record.pk).update(
        state=IdempotencyState.DONE, response_status=response.status_code, response_body=body
    )


class IdempotentPostMixin:
    """For API views: honours Idempotency-Key on POST, after authentication
    (keys belong to a caller) and before the work."""

    _idempotency_record: IdempotencyKey | None = None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self._idempotency_record = None
        if request.method == "POST":
            self._idempotency_record = claim(request)

    def handle_exception(self, exc):
        if isinstance(exc, _Replay):
            response = Response(exc.record.response_body, status=exc.record.response_status)
            response["Idempotent-Replayed"] = "true"
            return response
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        record, self._idempotency_record = self._idempotency_record, None
        if record is not None:
            finish(record, response)
        return super().finalize_response(request, response, *args, **kwargs)
