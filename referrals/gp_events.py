"""GP record events: coded entries the referrer writes back to the person's
GP record, at the moments the NHS social-prescribing codes describe
(referrals/snomed.py holds the codes).

`record_moment` is called inside the transaction that made the moment happen;
each moment is written once per referral.
"""

import datetime

from django.utils import timezone

from referrals import snomed
from referrals.models import GpRecordEvent, Referral


def record_moment(referral: Referral, moment: str, *, on: datetime.date | None = None) -> GpRecordEvent | None:
    concept = snomed.CONCEPTS.get(moment)
    if concept is None:
        return None
    event, _ = GpRecordEvent.objects.get_or_create(
        referral=referral, snomed_code=concept.code, defaults={"occurred_on": on or timezone.localdate()}
    )
    return event
