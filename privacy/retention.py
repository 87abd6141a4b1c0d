"""Retention of referrals (docs/quality.md D5): a closed referral's personal details
are removed REFERRAL_RETENTION_DAYS after it closed.

Run daily by `manage.py anonymise_referrals` (cron, or Celery beat when a
broker is configured). Safe to run twice: anonymised referrals carry
`anonymised_at` and are never picked again.

"Closed" is `states.CLOSED`. A referral closed when its status last changed:
the newest ReferralHistory row whose status differs from the one before it
(rows that only note a business status, like the timebank's first-exchange
note, are not a closing). A closed referral with no such row (not expected:
every change writes one) falls back to its last modification.

What anonymising does, field by field (every PERSONAL_DATA_FIELDS entry is
handled; tests/privacy/test_retention.py fails when a new one is not):

- name: given name "Anonymised", family and preferred name blank, so lists and
  pages still show a row ("Anonymised") instead of an empty link;
- postcode: cut to its district (RG1 7QE -> RG1). A district is an area of
  thousands of households, so it identifies nobody, and the timebank keeps
  districts of erased members for the same reason (privacy/services.py);
- date of birth: removed; phone, e-mail, contact times, preferred contact,
  communication needs, what matters, notes, the reason a link worker gave
  for referring outside a service's age limits or area: blanked; do-not-contact: cleared
  (there is nothing left to contact);
- needs (categories like "befriending-and-loneliness"): removed. They are
  special category data, and no report reads them (brokering/
  reports.py counts referrals by source, status, target and business status,
  and ONS4 scores), so minimisation says they go;
- free text on the referral and its history (`status_reason`, each history
  row's `reason`): blanked, as link workers may write about the person there;
- the link to a timebank member is cut (`member` set to null). The member is a
  separate data subject whose record the timebank manages: the member row,
  their account and the ledger are not touched, but leaving the link would let
  anyone who can see the member put a name back on the referral and its
  outcomes;
- except the member application the referral made, when it was declined and
  the referral is the only reason it exists (no login, no account, no other
  referral still pointing at it): it holds the person's name, phone, e-mail and
  postcode copied from the referral, and nothing else needs it, so it is
  deleted with the referral's details. An application still waiting for a
  coordinator's decision is kept (the person may yet join; deciding is the
  coordinator's job, not the retention job's) and counted, so the command can
  say how many are waiting; once declined, it is an ordinary declined
  application of the timebank.

Kept, because they no longer identify anyone once the above is gone and the
reports need them: the status and business status, priority, dates, the
organisations and target, the history rows' statuses and dates, ONS4 outcome
answers (numbers for the wellbeing report), GP record events (SNOMED codes and
dates, already written to the GP record), and the consent row (scopes, method,
dates, and `recorded_by`, which names the staff member who recorded it, not
the person referred).

Each anonymised referral gets one access-log row with action "anonymise" and
no user, client or organisation: the system did it. Nothing here logs or
returns personal data: callers get counts only. On SQLite the write-ahead log
is checkpointed and truncated after the run (privacy.storage).
"""

import datetime
import uuid
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.errors import ConfigurationError
from core.places.postcodes import postcode_district
from privacy.storage import truncate_write_ahead_log_on_commit
from referrals import states
from referrals.actors import Actor
from referrals.models import AccessAction, AccessOutcome, Referral, ReferralHistory
from referrals.services import access_log_record
from timebank.models import Member, MemberStatus

ANONYMISED_NAME = "Anonymised"
CHUNK_SIZE = 500

# What each personal field becomes. `postcode` (cut to its district) and
# `needs` (many-to-many, removed) are handled separately.
ANONYMISED_VALUES: dict[str, object] = {
    "given_name": ANONYMISED_NAME,
    "family_name": "",
    "preferred_name": "",
    "date_of_birth": None,
    "phone": "",
    "email": "",
    "preferred_contact": "",
    "contact_times": "",
    "communication_needs": [],
    "do_not_contact": False,
    "what_matters": "",
    "notes": "",
    "eligibility_override_reason": "",
}
HANDLED_SEPARATELY = frozenset({"postcode", "needs"})

# The retention job acts for nobody: the access log shows no user, client or organisation.
SYSTEM = Actor()


def retention_cutoff(*, now: datetime.datetime | None = None) -> datetime.datetime:
    """Referrals that closed before this moment are due for anonymising: the
    start (local midnight) of the day REFERRAL_RETENTION_DAYS before today.
    Whole days make the job's result the same whatever hour it runs, and keep
    a referral at least the full period, never less."""
    days = settings.REFERRAL_RETENTION_DAYS
    if not isinstance(days, int) or days < 1:
        raise ConfigurationError("REFERRAL_RETENTION_DAYS must be a whole number of days, at least 1.")
    day = timezone.localdate(now or timezone.now()) - datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def referrals_due_for_anonymising(*, now: datetime.datetime | None = None) -> QuerySet:
    """Closed, not yet anonymised, and closed before the retention cutoff."""
    cutoff = retention_cutoff(now=now)
    last_status_change = (
        ReferralHistory.objects.filter(referral=OuterRef("pk"))
        .exclude(from_status=F("to_status"))
        .order_by("-at", "-pk")
        .values("at")[:1]
    )
    return (
        Referral.objects.filter(status__in=states.CLOSED, anonymised_at__isnull=True)
        .annotate(closed_at=Coalesce(Subquery(last_status_change), F("modified_at")))
        .filter(closed_at__lt=cutoff)
    )


@dataclass(frozen=True)
class RetentionResult:
    """Counts only: what one run did."""

    referrals: int
    applications_removed: int
    applications_waiting: int


def referrals_anonymise(*, now: datetime.datetime | None = None, chunk_size: int = CHUNK_SIZE) -> int:
    """Anonymise every referral due (see the module's docstring); returns how many."""
    return referrals_retention_run(now=now, chunk_size=chunk_size).referrals


def _applications_from_referrals(member_ids: set[int], referral_ids: list[uuid.UUID]) -> tuple[int, int]:
    """Delete the declined applications that only these referrals made; count those still waiting."""
    only_from_these = (
        Member.objects.filter(pk__in=member_ids, user__isnull=True, account__isnull=True)
        # Another referral still pointing at it keeps it (that one has its own retention).
        .exclude(
            pk__in=Referral.objects.filter(member_id__in=member_ids).exclude(pk__in=referral_ids).values("member_id")
        )
    )
    declined = list(only_from_these.filter(status=MemberStatus.DECLINED).values_list("pk", flat=True))
    if declined:
        Member.objects.filter(pk__in=declined).delete()
    waiting = Member.objects.filter(pk__in=member_ids, status=MemberStatus.APPLIED).count()
    return len(declined), waiting


def referrals_retention_run(*, now: datetime.datetime | None = None, chunk_size: int = CHUNK_SIZE) -> RetentionResult:
    """Anonymise every referral due and remove the declined applications they alone made."""
    now = now or timezone.now()
    removed = waiting = 0
    due = referrals_due_for_anonymising(now=now)
    ids = list(due.order_by("pk").values_list("pk", flat=True))
    done = 0
    for start in range(0, len(ids), chunk_size):
        chunk = ids[start : start + chunk_size]
        # Why atomic + lock: a chunk is anonymised and logged together or not at
        # all, and a referral being moved at the same moment (e.g. to entered
        # in error) is either anonymised first, or re-checked here and skipped.
        with transaction.atomic():
            rows = list(due.filter(pk__in=chunk).select_for_update().only("pk", "postcode", "member_id"))
            if not rows:
                continue
            locked = [row.pk for row in rows]
            member_ids = {row.member_id for row in rows if row.member_id is not None}
            Referral.objects.filter(pk__in=locked).update(
                **ANONYMISED_VALUES, status_reason="", member=None, anonymised_at=now, modified_at=now
            )
            by_district: dict[str, list] = defaultdict(list)
            for row in rows:
                by_district[postcode_district(row.postcode)].append(row.pk)
            for district, pks in by_district.items():
                Referral.objects.filter(pk__in=pks).update(postcode=district)
            Referral.needs.through.objects.filter(referral_id__in=locked).delete()
            ReferralHistory.objects.filter(referral_id__in=locked).exclude(reason="").update(reason="")
            if member_ids:
                gone, left = _applications_from_referrals(member_ids, locked)
                removed, waiting = removed + gone, waiting + left
            access_log_record(
                actor=SYSTEM, action=AccessAction.ANONYMISE, outcome=AccessOutcome.ALLOWED, referral_ids=locked
            )
        done += len(locked)
    if done:
        truncate_write_ahead_log_on_commit()
    return RetentionResult(referrals=done, applications_removed=removed, applications_waiting=waiting)
