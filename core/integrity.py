"""MACs that bind what Firebreak writes to its database to a key the database never holds.

A row in `jobs` is acted on as the person it names, and a request's plan (its target,
account, options and the facts core gathered) is what the executor applies; a database
writer could otherwise insert or edit either and act as any responder. With
FIREBREAK_AUDIT_KEY set, each is sealed when Firebreak creates it (a key derived from the
audit key, one per purpose) and refused when its seal does not verify. Without a key there
is nothing to check against: `check-config` says so."""

from __future__ import annotations

import hmac
import json
from typing import Any, Mapping

from core.audit.chain import AuditKey, audit_key

JOBS, PLANS, APPROVALS, MEMORY = "jobs", "plans", "approvals", "memory"


class Seal:
    """Signs and checks one kind of row. Unkeyed, it signs nothing and every row holds."""

    def __init__(self, key: AuditKey | None, purpose: str):
        self.purpose = purpose
        self._key = key.derive(purpose) if key is not None else None

    @property
    def keyed(self) -> bool:
        return self._key is not None

    def sign(self, body: Mapping[str, Any]) -> str | None:
        return self._key.mac(canonical(body)) if self._key is not None else None

    def holds(self, body: Mapping[str, Any], mac: str | None) -> bool:
        """True when the row is as Firebreak sealed it (always, without a key). A keyed
        process refuses a row with no seal: leaving the seal out is the easiest forgery."""
        if self._key is None:
            return True
        return bool(mac) and hmac.compare_digest(self._key.mac(canonical(body)), mac)

    def __repr__(self) -> str:
        return f"Seal({self.purpose}, {'keyed' if self.keyed else 'unkeyed'})"


def seal(secret: str | None, purpose: str) -> Seal:
    """The seal for `purpose` from FIREBREAK_AUDIT_KEY's value (None: unkeyed)."""
    return Seal(audit_key(secret), purpose)


def canonical(body: Mapping[str, Any]) -> bytes:
    """The same bytes for the same data, before it was stored and after it is read back."""
    return json.dumps(body, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False).encode()
