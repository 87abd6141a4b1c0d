"""Celery tasks of the directory (used only when a broker is configured; without one
`manage.py import_feeds` runs queued feeds). Arguments are ids, never records."""

from __future__ import annotations

from celery import shared_task

from assets.models import FeedSource
from assets.services.feeds import run_feed
from core.errors import ConflictError


# The name is fixed so that a move of this module never strands messages already queued.
@shared_task(ignore_result=True, name="assets.run_feed")
def run_feed_task(feed_id: str) -> None:
    """Run one feed source now. A source that was removed, or that another worker is
    already running, is left alone: its report shows what happened."""
    feed = FeedSource.objects.filter(pk=feed_id).first()
    if feed is None:
        return
    try:
        run_feed(feed)
    except ConflictError:
        return
