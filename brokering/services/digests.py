"""Scheduled e-mails to members: the weekly digest of new listings that match
what they offer or asked for, and reminders to confirm a finished exchange.

Each run loads its rows in a fixed number of queries, marks what it sent in
the same transaction, and sends through timebank.notifications (after commit
only), so a failed run sends nothing and a second run does not repeat.
"""

import datetime
from collections import defaultdict

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from brokering.selectors.matching import CAN_EXCHANGE
from timebank.models import Exchange, ExchangeStatus, Listing, ListingKind, ListingStatus, Member
from timebank.models.members import DigestFrequency
from timebank.notifications import notify

DIGEST_EVERY = datetime.timedelta(days=7)
DIGEST_LIMIT = 10


def confirm_reminder_days() -> int:
    return settings.CONFIRM_REMINDER_AFTER_DAYS


def digests_send(*, now: datetime.datetime | None = None) -> int:
    """Send each weekly-digest member the new listings (from the last week, or
    since their last digest) in their categories. Returns how many were sent."""
    now = now or timezone.now()
    due_before = now - DIGEST_EVERY
    # Why atomic + select_for_update: two overlapping runs must not both send.
    with transaction.atomic():
        members = list(
            Member.objects.select_for_update(of=("self",))
            .filter(digest=DigestFrequency.WEEKLY, status__in=CAN_EXCHANGE)
            .exclude(last_digest_sent_at__gt=due_before)
            .select_related("user")
        )
        if not members:
            return 0
        ids = [m.pk for m in members]
        # Each member's categories with an open offer, and with an open request, by listing kind.
        own: defaultdict[int, dict[str, set[int]]] = defaultdict(
            lambda: {ListingKind.OFFER: set(), ListingKind.REQUEST: set()}
        )
        for member_id, kind, category_id in Listing.objects.filter(
            member_id__in=ids, status=ListingStatus.OPEN
        ).values_list("member_id", "kind", "category_id"):
            own[member_id][kind].add(category_id)
        fresh = list(
            Listing.objects.filter(status=ListingStatus.OPEN, created_at__gte=due_before, expires_on__gte=now.date())
            .select_related("category", "member")
            .order_by("-created_at", "pk")
        )
        sent = []
        for member in members:
            since = max(member.last_digest_sent_at or due_before, due_before)
            mine = own.get(member.pk)
            if not mine:
                continue
            new = [
                lst
                for lst in fresh
                if lst.created_at > since and lst.member_id != member.pk and lst.timebank_id == member.timebank_id
            ]
            requests = [
                lst for lst in new if lst.kind == ListingKind.REQUEST and lst.category_id in mine[ListingKind.OFFER]
            ][:DIGEST_LIMIT]
            offers = [
                lst for lst in new if lst.kind == ListingKind.OFFER and lst.category_id in mine[ListingKind.REQUEST]
            ][:DIGEST_LIMIT]
            if not (requests or offers):
                continue
            if notify(
                to_member=member,
                subject=gettext_lazy("New offers and requests for you this week"),
                template="emails/brokering/digest.txt",
                context={"requests": requests, "offers": offers},
            ):
                sent.append(member.pk)
        Member.objects.filter(pk__in=sent).update(last_digest_sent_at=now)
    return len(sent)


def confirm_reminders_send(*, now: datetime.datetime | None = None) -> int:
    """Ask receivers to confirm exchanges marked done a while ago, once each."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=confirm_reminder_days())
    # Why atomic + select_for_update: two overlapping runs must not both remind.
    with transaction.atomic():
        exchanges = list(
            Exchange.objects.select_for_update(of=("self",))
            .filter(status=ExchangeStatus.DONE, done_at__lte=cutoff, confirm_reminded_at__isnull=True)
            .select_related("provider")
            .prefetch_related("receivers")
            .order_by("pk")
        )
        for exchange in exchanges:
            for receiver in exchange.receivers.all():
                notify(
                    to_member=receiver,
                    subject=gettext_lazy("Please confirm the help you received"),
                    template="emails/brokering/confirm_reminder.txt",
                    context={"exchange": exchange},
                )
        Exchange.objects.filter(pk__in=[e.pk for e in exchanges]).update(confirm_reminded_at=now)
    return len(exchanges)
