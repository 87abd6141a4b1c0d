"""Hooks: how the timebank tells higher layers that something happened,
without importing them (docs/architecture.md, "One direction").

A higher app connects a receiver in its `AppConfig.ready()`; the timebank
calls `hook.send(...)` at the moment the event happens, inside the caller's
transaction, so a receiver's writes commit or roll back with the change that
caused them. Receivers take keyword arguments only. A receiver that raises
aborts the change: a hook is part of the write, not a notification after it.

- `first_exchange_posted(member=)`: a member's first exchange was posted to
  the ledger (referrals marks the referral that brought them).
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
demo_seeders = Hook("demo_seeders")
