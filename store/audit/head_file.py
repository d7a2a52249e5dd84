"""The audit chain's head kept outside the database: a small JSON file (seq, hash, when, and
an HMAC with a key derived from FIREBREAK_AUDIT_KEY), moved forward after every committed
append. A database writer who deletes or cuts the chain cannot move the file back, and
cannot forge it without the key, so `audit verify` catches it with the key alone (the S3
anchor, when configured, does the same across hosts).

The file is per host: processes on one host share it (an exclusive lock orders their writes
and it never moves backwards); on several hosts each keeps its own, and each is checked."""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy.engine import make_url

from core.audit.chain import Anchored, AuditKey, head_mac
from store.db import normalize_url


def default_path(database_url: str) -> Path:
    """Next to a SQLite database file; else under var/, named after the database (no password).
    `postgres://`, `postgresql://` and `postgresql+psycopg://` name one database, so one file."""
    url = make_url(normalize_url(database_url))
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).with_name(Path(url.database).name + ".audit-head")
    name = hashlib.sha256(url.render_as_string(hide_password=True).encode()).hexdigest()[:16]
    return Path("var") / f"audit-head-{name}.json"


class HeadFile:
    def __init__(self, path: Path, key: AuditKey):
        self.path, self._key = Path(path), key

    def advance(self, seq: int, hash_: str, at: datetime) -> None:
        """Record the committed head `seq`, unless the file already holds a later one."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(self.path.name + ".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            current = self._raw()
            if current is not None and isinstance(current.get("seq"), int) and current["seq"] >= seq:
                return
            body = {"seq": seq, "hash": hash_, "at": at.astimezone(timezone.utc).isoformat(),
                    "mac": head_mac(self._key, seq, hash_)}
            temporary = self.path.with_name(self.path.name + f".{os.getpid()}.tmp")
            temporary.write_text(json.dumps(body), encoding="utf-8")
            os.replace(temporary, self.path)

    def read(self) -> tuple[Anchored | None, str | None]:
        """(the recorded head, None), (None, None) before the first keyed append, or (None, why)
        when the file is not one this key wrote."""
        raw = self._raw()
        if raw is None:
            return None, None
        try:
            seq, hash_, at, mac = int(raw["seq"]), str(raw["hash"]), datetime.fromisoformat(raw["at"]), str(raw["mac"])
        except (KeyError, TypeError, ValueError):
            return None, f"the audit head file {self.path} is not readable"
        if not hmac.compare_digest(head_mac(self._key, seq, hash_), mac):
            return None, (f"the audit head file {self.path} was not written with FIREBREAK_AUDIT_KEY "
                          "(forged, or written with another key)")
        return Anchored(seq, hash_, at), None

    def _raw(self) -> dict | None:
        try:
            return json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except ValueError:
            return {}
