"""Hooks: how the timebank tells higher layers that something happened,
without importing them (docs/architecture.md, "One direction").

A higher app connects a receiver in its `AppConfig.ready()`; the timebank
calls `hook.send(...)` at the moment the event happens, inside the caller's
transaction, so a receiver's writes commit or roll back with the change that
caused them. Receivers take keyword arguments only. A receiver that raises
aborts the change: a hook is part of the write, not a notification after it.

- `first_exchange_posted(member=)`: a member's first exchange was posted to
  the ledger (referrals marks the referral that brought them).
- `exchange_posted(giver=, minutes=)`: an exchange was posted to the ledger;
  `giver` is the member who gave the time, `minutes` what they gave. Sent for
  every posted exchange, after `first_exchange_posted`, so it carries no sums:
  a receiver that needs a member's totals works them out only for the few
  members it cares about (referrals: someone referred who has not yet given
  their first hour).
- `member_approved(member=, by_user=)`: a coordinator approved an application
  (referrals accepts the referral that made it).
- `member_declined(member=, by_user=, note=)`: a coordinator declined an
  application; `note` is their reason, maybe empty (referrals rejects the
  referral that made it).
- `demo_seeders`: functions `seed(*, stdout) -> logins` that `seed_demo` runs
  after the timebank's own demo, in the order the apps are installed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class Hook:
    """A named list of receivers, connected once each at start-up."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._receivers: list[Callable[..., Any]] = []

    def connect(self, receiver: Callable[..., Any]) -> None:
        # ready() can run more than once (tests, reloads): connect once.
        if receiver not in self._receivers:
            self._receivers.append(receiver)

    @property
    def receivers(self) -> tuple[Callable[..., Any], ...]:
        return tuple(self._receivers)

    def send(self, **kwargs: Any) -> None:
        for receiver in self._receivers:
            receiver(**kwargs)


first_exchange_posted = Hook("first_exchange_posted")
exchange_posted = Hook("exchange_posted")
member_approved = Hook("member_approved")
member_declined = Hook("member_declined")
demo_seeders = Hook("demo_seeders")
