"""The act being carried out: the natural key of the request a job runs for.

A job may run more than once (its worker died and the lease ran out), so what it writes is
keyed by the act: the n-th change the act makes to an incident carries `<key>#n` on its
timeline entry, and a second run finds that entry and does not apply the change again.
The key is set around a job's work by whoever runs it (handlers/jobs.py) and read where
the change is made (core/incident_updates.py); outside a job there is none and every
change applies as before."""

from __future__ import annotations

import contextlib
import itertools
from contextvars import ContextVar
from typing import Iterator

_current: ContextVar[tuple[str, itertools.count] | None] = ContextVar("firebreak_act", default=None)


@contextlib.contextmanager
def acting(key: str) -> Iterator[None]:
    token = _current.set((key, itertools.count(1)))
    try:
        yield
    finally:
        _current.reset(token)


def next_change_key() -> str | None:
    """A key for the next change this act makes, the same on every run of it; None outside an act."""
    current = _current.get()
    if current is None:
        return None
    key, counter = current
    return f"{key[:180]}#{next(counter)}"
