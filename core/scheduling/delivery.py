"""Deliver a notice once per natural key, across restarts and a second clock.

A delivery is claimed in the ledger before it is sent and marked sent after, so a restart
or a failover finds the key and sends nothing twice. A failed send gives the claim back
(the next sweep retries). A clock that dies between claim and send leaves a claim that
is taken over after CLAIM_STALE: we would rather repeat a notice in that rare window (it
died after Slack accepted it but before the commit) than lose an escalation."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Callable

from core.clock import Clock
from core.errors import NotConnected
from core.scheduling.ports import NoticeRepository

CLAIM_STALE = timedelta(minutes=5)
log = logging.getLogger("firebreak.clock")


class Deliverer:
    def __init__(self, ledger: NoticeRepository, holder: str, clock: Clock):
        self.ledger = ledger
        self.holder = holder
        self.clock = clock

    def __call__(self, key: str, incident_id: int | None, send: Callable[[], object]) -> bool:
        """True when this call delivered it; False when done before, claimed elsewhere or failed."""
        if not self.ledger.claim(key, incident_id, self.holder, self.clock.now(), CLAIM_STALE):
            return False
        try:
            send()
        except NotConnected as exc:  # nothing to send it with in this process (no Slack, no topic): still due
            self.ledger.release(key, self.holder)
            log.debug("%s not delivered here: %s", key, exc.message)
            return False
        except Exception:  # noqa: BLE001 - Slack or SNS down: keep the other notices going
            self.ledger.release(key, self.holder)
            log.exception("could not deliver %s; the next sweep tries again", key)
            return False
        self.ledger.sent(key, self.holder, self.clock.now())
        return True
