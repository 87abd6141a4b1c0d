"""Idempotency-Key on POST (docs/quality.md L8): a retry gets the first answer,
never a second object.

The first request with a key claims it by inserting a row (the unique
constraint decides the race, on PostgreSQL and SQLite alike) and commits that
claim before doing the work. The work and the stored response then commit
together, in one transaction: a key is never "done" without its object, and an
object is never made without its key being done. A later request with the same
key and owner gets:
- the stored response again, if the body matches (header Idempotent-Replayed: true);
- 422 if the body differs (the key was reused for something else);
- 409 with Retry-After if the first request is still running.

A claim is a lease of settings.API_IDEMPOTENCY_LEASE_SECONDS, longer than
gunicorn's worker timeout (gunicorn.conf.py): a worker that dies mid-request
rolls its work back and leaves its claim in progress, and once the lease has
run out (so that worker has surely been killed) a retry takes the claim over
with one conditional UPDATE, which only one retry can win. A request that lost
its claim that way, being slower than the lease, rolls its work back rather
than store its answer. A 5xx releases the key so the client can try again.
Keys are scoped per client or user and kept settings.API_IDEMPOTENCY_KEY_HOURS
(>= 24 h) after their last claim.
"""

import datetime
import hashlib
import json
import math
import sys

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
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
    # The body as the view will read it (the API's parser, with its size and depth
    # limits: a bad body is the parser's 400 here), written canonically so that
    # key order and spacing do not make the same request look different.
    canonical = json.dumps(request.data, sort_keys=True, separators=(",", ":"), default=str).encode()
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
    deleted, _by_model = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def claim(request) -> IdempotencyKey | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not _valid_key(key):
        raise InvalidInputError(
            _("The Idempotency-Key header must be 1 to 255 visible characters, such as a UUID."), field=HEADER
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
        # Released by a 5xx a moment ago: the client may simply try again.
        raise _in_flight(retry_after=1)
    if existing.request_hash != request_hash:
        raise IdempotencyKeyMismatchError(
            _("This Idempotency-Key was already used for a different request. Use a new key for a new request.")
        )
    if existing.state != IdempotencyState.DONE:
        lease_ends = existing.created_at + datetime.timedelta(seconds=settings.API_IDEMPOTENCY_LEASE_SECONDS)
        if lease_ends <= timezone.now() and claim_take_over(record=existing):
            return existing
        raise _in_flight(retry_after=(lease_ends - timezone.now()).total_seconds())
    raise _Replay(existing)


def _in_flight(*, retry_after: float) -> IdempotencyKeyInFlightError:
    error = IdempotencyKeyInFlightError(
        _("A request with this Idempotency-Key is still being handled. Try again shortly.")
    )
    error.retry_after = max(1, math.ceil(retry_after))
    return error


def _still_ours(record: IdempotencyKey):
    """The claim row as this request took it: still in progress, not taken over
    since (a takeover moves created_at on)."""
    return IdempotencyKey.objects.filter(pk=record.pk, state=IdempotencyState.IN_PROGRESS, created_at=record.created_at)


def claim_take_over(*, record: IdempotencyKey) -> bool:
    """Take over an in-progress claim whose lease has run out; True if this caller
    won. Conditional on the claim being exactly as read: of two retries that both
    saw it stale, the database lets only the first UPDATE match."""
    now = timezone.now()
    if not _still_ours(record).update(created_at=now):
        return False
    record.created_at = now
    return True


def finish(record: IdempotencyKey, response) -> bool:
    """Store the answer on the claim, if the claim is still this request's; False
    when it was taken over meanwhile (the caller must then roll its work back)."""
    data = getattr(response, "data", None)
    body = json.loads(JSONRenderer().render(data)) if data is not None else None
    return bool(
        _still_ours(record).update(
            state=IdempotencyState.DONE, response_status=response.status_code, response_body=body
        )
    )


def release(record: IdempotencyKey) -> None:
    """Give the key back (after a 5xx) so the client can try again."""
    _still_ours(record).delete()


class IdempotentPostMixin:
    """For API views: honours Idempotency-Key on POST, after authentication
    (keys belong to a caller) and before the work. With a key, the handler runs
    in a transaction that also stores the answer (see the module's docstring)."""

    _idempotency_record: IdempotencyKey | None = None
    _idempotency_work: transaction.Atomic | None = None

    def dispatch(self, request, *args, **kwargs):
        try:
            return super().dispatch(request, *args, **kwargs)
        finally:
            if self._idempotency_work is not None:
                # Something escaped DRF's handling before finalize_response:
                # nothing of the work may commit without its answer.
                self._end_work(commit=False)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self._idempotency_record = None
        if request.method == "POST":
            self._idempotency_record = claim(request)
            if self._idempotency_record is not None:
                # Entered here and left in finalize_response (or dispatch's
                # finally): DRF runs the handler and its error handling in between.
                self._idempotency_work = transaction.atomic()
                self._idempotency_work.__enter__()

    def handle_exception(self, exc):
        if isinstance(exc, _Replay):
            response = Response(exc.record.response_body, status=exc.record.response_status)
            response["Idempotent-Replayed"] = "true"
            return response
        return super().handle_exception(exc)

    def _end_work(self, *, commit: bool) -> None:
        work, self._idempotency_work = self._idempotency_work, None
        if work is None:
            return
        if not commit:
            transaction.set_rollback(True)
        work.__exit__(None, None, None)

    def finalize_response(self, request, response, *args, **kwargs):
        record, self._idempotency_record = self._idempotency_record, None
        if record is not None:
            response = self._finish_work(record, response)
        return super().finalize_response(request, response, *args, **kwargs)

    def _finish_work(self, record: IdempotencyKey, response):
        failed = response.status_code >= 500
        try:
            stored = not failed and finish(record, response)
            self._end_work(commit=stored)
        except BaseException:
            # Storing the answer or committing failed: the work is rolled back
            # (leaving the atomic block with the error does that), so free the key.
            if self._idempotency_work is not None:
                work, self._idempotency_work = self._idempotency_work, None
                work.__exit__(*sys.exc_info())
            release(record)
            raise
        if failed:
            release(record)
        elif not stored:
            # Slower than the lease: a retry took the claim over and does the work.
            return self.handle_exception(_in_flight(retry_after=settings.API_IDEMPOTENCY_LEASE_SECONDS))
        return response
