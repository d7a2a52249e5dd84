"""The ingest transaction: dedup by finding id (never backwards), routing outcome, digest
windows. Statements run on the Core connection, and snoozes and digest windows are read
once per transaction and written back at its end (the window rows stay locked meanwhile),
because a storm arrives as thousands of findings per transaction.

A batch's new findings are written once, with their routing outcome: upsert_many() tells
them apart by one SELECT of the batch's keys, gives them their pks from the table's own
sequence (SQLite: max(pk) + 1 under the write lock this transaction holds), and keeps their
rows until routing has placed them; they are then inserted in one statement, with no
UPDATE afterwards. Should another writer store one of them first (PostgreSQL replicas), the
insert skips it and ConcurrentIntake rolls the transaction back: run again, the finding is
known and goes through upsert()."""

from __future__ import annotations

import functools
import json
import operator
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, Integer, String, bindparam, delete, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core.findings.identity import merged, wins
from core.findings.model import Finding
from core.findings.ports import ConcurrentIntake, Digest, StoredFinding
from core.findings.ports import Change
from store.findings.models import FindingDigestRow, FindingIndicatorRow, FindingRow, FindingSnoozeRow
from store.findings.rows import MAX_ID, aware, clean, natural_key, snooze_key, to_stored, values_of

FINDINGS, DIGESTS, INDICATORS = FindingRow.__table__, FindingDigestRow.__table__, FindingIndicatorRow.__table__
_COLUMNS = tuple(c.name for c in FINDINGS.columns)
_COLUMN_SET = frozenset(_COLUMNS)
_ROW = operator.itemgetter(*_COLUMNS)
_KEYS_PER_SELECT = 500  # natural keys per lookup, well under SQLite's limit on parameters
_STORED_FIELDS = tuple(StoredFinding.__dataclass_fields__)[1:]  # after pk, in order (positional: faster)
assert tuple(StoredFinding.__dataclass_fields__)[0] == "pk"


class IngestTx:
    """One transaction of the ingest pipeline; core calls these in order per finding."""

    def __init__(self, session: Session, now: datetime):
        self.conn = session.connection()
        self.now = now
        self._postgres = self.conn.dialect.name == "postgresql"
        self._insert = postgresql.insert if self._postgres else sqlite.insert
        self._windows: dict[tuple, dict[str, Any]] = {}
        self._snoozes: dict[str, datetime] | None = None
        self._pending: dict[int, dict[str, Any]] = {}  # pk -> new row not yet inserted (placed in place)
        self._pending_indicators: list[tuple[int, str, str]] = []
        self._placed: dict[int, dict[str, Any]] = {}  # pk -> routing outcome of a written row, not yet written
        self._seen: set[str] = set()  # natural keys stored in this transaction (their row may be pending)
        self._next_pk: int | None = None  # SQLite: the next free pk (this transaction holds the write lock)

    def _fresh(self, finding: Finding, values: dict[str, Any], key: str) -> dict[str, Any]:
        return dict(values, natural_key=key, finding_id=finding.id, received_at=self.now, changed_at=self.now,
                    status="open", activity=[], revision=1, slack_revision=0, route=None, channel=None,
                    slack_channel=None, slack_ts=None, thread_ts=None, digest_id=None, incident_id=None)

    def upsert_many(self, findings: list[Finding]) -> list[Change | None]:
        """The new findings of a batch: one SELECT tells them from the ids already stored, and
        their rows wait, with their pks, until routing has placed them (see the module). The
        result is in the batch's order: the Change of each new finding, None for the rest (an
        id already stored, or a second copy in the batch): the caller runs those through
        upsert(), in order, after the copies before them were placed, exactly as if every
        finding had gone one by one."""
        prepared, first = [], {}
        for index, finding in enumerate(findings):
            values, key = values_of(finding), natural_key(finding)
            prepared.append((finding, values, key))
            first.setdefault(key, index)
        candidates = [key for key in first if key not in self._seen]
        stored = self._stored_keys(candidates)
        new = [key for key in candidates if key not in stored]
        if not new:
            return [None] * len(findings)
        pks = dict(zip(new, self._allocate(len(new))))
        self._seen.update(new)
        changes: list[Change | None] = []
        for index, (finding, values, key) in enumerate(prepared):
            pk = pks.get(key) if first[key] == index else None
            if pk is None:
                changes.append(None)
                continue
            row = self._pending[pk] = self._fresh(finding, values, key)
            row["pk"] = pk
            self._pending_indicators += self._indicator_rows(pk, finding)
            changes.append(Change("new", StoredFinding(pk, *[row[name] for name in _STORED_FIELDS])))
        return changes

    def _stored_keys(self, keys: list[str]) -> set[str]:
        """Which of these natural keys are stored, by statements built here rather than through
        SQLAlchemy's expanding IN (which compiled one of 200 parameters per batch): PostgreSQL
        gets one array; SQLite plain placeholders (json_each would not find a key holding NUL)."""
        found: set[str] = set()
        for start in range(0, len(keys), _KEYS_PER_SELECT):
            part = keys[start:start + _KEYS_PER_SELECT]
            if self._postgres:
                rows = self.conn.exec_driver_sql(f"SELECT natural_key FROM {FINDINGS.name} "
                                                 "WHERE natural_key = ANY(%(keys)b::text[])", {"keys": part})
            else:
                rows = self.conn.exec_driver_sql(f"SELECT natural_key FROM {FINDINGS.name} WHERE natural_key "
                                                 f"IN ({', '.join('?' * len(part))})", tuple(part))
            found.update(key for key, in rows)
        return found

    def _allocate(self, n: int) -> list[int]:
        """n pks for rows this transaction will insert."""
        if self._postgres:
            return list(self.conn.execute(text("SELECT nextval(pg_get_serial_sequence('findings', 'pk')) "
                                               "FROM generate_series(1, :n)"), {"n": n}).scalars())
        if self._next_pk is None:
            self._next_pk = (self.conn.execute(text("SELECT max(pk) FROM findings")).scalar() or 0) + 1
        first, self._next_pk = self._next_pk, self._next_pk + n
        return list(range(first, first + n))

    def _write_pending(self) -> None:
        """Insert the new rows kept so far, each with its routing outcome, then their indicators."""
        if not self._pending:
            return
        rows, self._pending = list(self._pending.values()), {}
        indicators, self._pending_indicators = self._pending_indicators, []
        if self._postgres:
            inserted = _insert_postgres(self.conn, rows)
        else:
            inserted = _insert_sqlite(self.conn, rows)
        if inserted != len(rows):  # another writer stored one of them meanwhile: see the module
            raise ConcurrentIntake(f"{len(rows) - inserted} of {len(rows)} new findings were stored meanwhile")
        self._insert_indicators(indicators)

    def upsert(self, finding: Finding) -> Change:
        """Insert a new id; otherwise apply the copy only if its updated_at is strictly newer.

        ON CONFLICT DO NOTHING plus a conditional UPDATE: two workers racing on one id make
        one row, and an older or equal copy (redelivery, out of order) changes nothing."""
        values = values_of(finding)
        key = natural_key(finding)
        if key in self._seen:  # a later copy of a finding this transaction stored: see its routing
            self._write_placed()
        self._seen.add(key)
        fresh = self._fresh(finding, values, key)
        if not self._postgres and self._next_pk is not None:
            fresh["pk"] = self._next_pk  # SQLite would pick max(pk) + 1: maybe a pending row's pk
        pk = self.conn.execute(self._insert(FINDINGS).values(**fresh).on_conflict_do_nothing(
            index_elements=["natural_key"]).returning(FINDINGS.c.pk)).scalar()
        if pk is not None:
            if "pk" in fresh:
                self._next_pk = pk + 1
            self._indicators(pk, finding)
            return Change("new", StoredFinding(pk, *[fresh[name] for name in _STORED_FIELDS]))
        row = self._apply_copy(key, values)
        if row is None:
            return Change("unchanged", None)
        self.conn.execute(delete(INDICATORS).where(INDICATORS.c.finding_pk == row.pk))
        self._indicators(row.pk, finding)
        return Change("updated", to_stored(row))

    def _apply_copy(self, key: str, values: dict[str, Any]):
        """A copy of a stored finding (a redelivery, an update, or the same finding in another
        format): its fields replace the stored ones when it is newer, or as new and richer
        (core/findings/identity.py); its write-back identity is remembered either way. The
        row is locked first, so replicas taking copies at once apply them one after another."""
        query = select(FINDINGS.c.updated_at, FINDINGS.c.raw_format, FINDINGS.c.origins).where(
            FINDINGS.c.natural_key == key)
        stored = self.conn.execute(query.with_for_update() if self._postgres else query).first()
        if stored is None:
            return None
        origins = merged(stored.origins, values["origins"])
        if wins(values["updated_at"], values["raw_format"], stored.updated_at, stored.raw_format):
            return self.conn.execute(update(FINDINGS).where(FINDINGS.c.natural_key == key)
                                     .values(**dict(values, origins=origins), changed_at=self.now,
                                             revision=FINDINGS.c.revision + 1)
                                     .returning(*FINDINGS.c)).first()
        if origins != (stored.origins or {}):
            self.conn.execute(update(FINDINGS).where(FINDINGS.c.natural_key == key).values(origins=origins))
        return None

    def _indicators(self, pk: int, finding: Finding) -> None:
        self._insert_indicators(self._indicator_rows(pk, finding))

    @staticmethod
    def _indicator_rows(pk: int, finding: Finding) -> list[tuple[int, str, str]]:
        rows = {(kind, clean(value)[:MAX_ID]) for kind, values in finding.indicators.items() for value in values}
        return [(pk, k, v) for k, v in sorted(rows)]

    def _insert_indicators(self, rows: list[tuple[int, str, str]]) -> None:
        if not rows:
            return
        if self._postgres:  # one statement for the whole batch: arrays, unnested server-side
            pks, kinds, values = (list(column) for column in zip(*rows))
            self.conn.exec_driver_sql(f"INSERT INTO {INDICATORS.name} (finding_pk, kind, value) SELECT * FROM "
                                      "unnest(%(pk)b::integer[], %(kind)b::text[], %(value)b::text[])",
                                      {"pk": pks, "kind": kinds, "value": values})
        else:  # plain values straight to sqlite3's executemany (SQLAlchemy's per-row processing costs more)
            self.conn.exec_driver_sql(f"INSERT INTO {INDICATORS.name} (finding_pk, kind, value) VALUES (?, ?, ?)",
                                      rows)

    def get(self, pk: int) -> StoredFinding:
        self._write_placed()
        return to_stored(self.conn.execute(select(FINDINGS).where(FINDINGS.c.pk == pk)).one())

    def snoozed_until(self, finding: StoredFinding) -> datetime | None:
        if self._snoozes is None:  # active snoozes are few; read them once
            rows = self.conn.execute(select(FindingSnoozeRow.key, FindingSnoozeRow.until)
                                     .where(FindingSnoozeRow.until > self.now))
            self._snoozes = {key: aware(until) for key, until in rows}
        if not self._snoozes:
            return None
        found = [self._snoozes.get(snooze_key("finding", finding.finding_id)),
                 self._snoozes.get(snooze_key("type", finding.type, finding.primary_resource))]
        return max((u for u in found if u is not None), default=None)

    def place(self, finding: StoredFinding, **values: Any) -> StoredFinding:
        """Record the routing outcome (status, route, channel, digest_id, ...): in the row of
        a new finding before it is inserted; for a stored one, written with the others of the
        transaction in a few executemany UPDATEs (before anything here reads the row back, and
        at flush), not one statement per finding."""
        unknown = values.keys() - _COLUMN_SET
        if unknown:
            raise KeyError(sorted(unknown))
        pending = self._pending.get(finding.pk)
        if pending is not None:
            pending.update(values)
        else:
            self._placed.setdefault(finding.pk, {}).update(values)
        return _replace(finding, values)

    def _write_placed(self) -> None:
        """Write everything routing decided so far: new rows (inserted placed), then outcomes."""
        self._write_pending()
        groups: dict[tuple[str, ...], list[tuple[int, ...]]] = {}
        for pk, values in self._placed.items():
            names = tuple(sorted(values))
            groups.setdefault(names, []).append((pk, *(values[n] for n in names)))
        self._placed = {}
        for names, rows in groups.items():
            columns = [FINDINGS.c[n] for n in names]  # KeyError for a name that is no column
            if self._postgres and all(isinstance(c.type, (Integer, String)) for c in columns):
                # one UPDATE … FROM unnest(arrays) for the whole group
                arrays = [list(column) for column in zip(*rows)]
                types = ["integer"] + ["integer" if isinstance(c.type, Integer) else "text" for c in columns]
                self.conn.exec_driver_sql(
                    f"UPDATE {FINDINGS.name} AS f SET " + ", ".join(f"{c.name} = v.{c.name}" for c in columns)
                    + " FROM unnest(" + ", ".join(f"%(a{i})s::{t}[]" for i, t in enumerate(types))
                    + ") AS v(pk, " + ", ".join(c.name for c in columns) + ") WHERE f.pk = v.pk",
                    {f"a{i}": array for i, array in enumerate(arrays)})
            elif self._postgres:
                self.conn.execute(update(FINDINGS).where(FINDINGS.c.pk == bindparam("p_pk"))
                                  .values({c.name: bindparam(f"p_{c.name}") for c in columns}),
                                  [{"p_pk": row[0], **{f"p_{c.name}": v for c, v in zip(columns, row[1:])}}
                                   for row in rows])
            else:  # sqlite3's executemany with plain values
                self.conn.exec_driver_sql(f"UPDATE {FINDINGS.name} SET " + ", ".join(f"{c.name} = ?" for c in columns)
                                          + " WHERE pk = ?", [(*row[1:], row[0]) for row in rows])

    def touch_digest(self, digest_id: int) -> Digest:
        """A finding inside the digest changed: the digest message is due for an edit."""
        window = next((w for w in self._windows.values() if w["id"] == digest_id), None)
        if window is None:
            row = self._lock(DIGESTS.c.id == digest_id)
            window = self._windows[(row.route, row.channel, aware(row.window_start))] = dict(row._mapping)
        window["revision"] += 1
        return _digest(window)

    def claim_window(self, route: str, channel: str, window_start: datetime, after: int) -> Digest | None:
        """None: post this finding on its own (one of the window's first `after`);
        else the window's digest, grown by one."""
        window = self._window(route, channel, window_start)
        if window["individual"] < after:
            window["individual"] += 1
            return None
        window["size"] += 1
        window["revision"] += 1
        return _digest(window)

    def lock_windows(self, keys: list[tuple[str, str, datetime]]) -> None:
        """Take the windows' row locks up front in one order (sorted): two writers whose
        batches reach the same windows in different orders then wait for each other
        instead of deadlocking (PostgreSQL broke the tie after a second, failing a batch)."""
        for route, channel, window_start in sorted(set(keys)):
            self._window(route, channel, window_start)

    def _window(self, route: str, channel: str, window_start: datetime) -> dict:
        """The digest window, made if new and locked for this transaction (once)."""
        key = (route, channel, window_start)
        window = self._windows.get(key)
        if window is None:
            self.conn.execute(self._insert(DIGESTS).values(
                route=route, channel=channel, window_start=window_start, individual=0, size=0, revision=0,
                slack_revision=0).on_conflict_do_nothing())
            window = self._windows[key] = dict(self._lock(
                DIGESTS.c.route == route, DIGESTS.c.channel == channel, DIGESTS.c.window_start == window_start)._mapping)
        return window

    def _lock(self, *where: Any):
        query = select(DIGESTS).where(*where)
        return self.conn.execute(query.with_for_update() if self._postgres else query).one()

    def flush(self) -> None:
        """Write the routing outcomes and the digest windows back (before commit)."""
        self._write_placed()
        for window in self._windows.values():
            self.conn.execute(update(DIGESTS).where(DIGESTS.c.id == window["id"]).values(
                individual=window["individual"], size=window["size"], revision=window["revision"]))


def _replace(finding: StoredFinding, values: dict[str, Any]) -> StoredFinding:
    """dataclasses.replace for a frozen dataclass without __post_init__, minus its per-call
    introspection and the keyword unpacking of every field: called for every finding placed."""
    placed = object.__new__(StoredFinding)
    placed.__dict__.update(finding.__dict__)
    placed.__dict__.update(values)
    return placed


_DIGEST_FIELDS = tuple(Digest.__dataclass_fields__)


def _digest(window: dict[str, Any]) -> Digest:
    """to_digest without building an ORM row: a storm claims a window thousands of times."""
    return Digest(**{name: window[name] for name in _DIGEST_FIELDS if name != "window_start"},
                  window_start=aware(window["window_start"]))


def _insert_sqlite(conn, rows: list[dict[str, Any]]) -> int:
    """Plain values straight to sqlite3's executemany (SQLAlchemy's per-row processing costs
    more than the insert), each converted as SQLAlchemy's column type would: JSON serialized,
    datetimes (the same few in a batch) formatted once each."""
    dumps = conn.dialect._json_serializer or json.dumps
    converters = []
    for index, name in enumerate(_COLUMNS):
        kind = FINDINGS.c[name].type
        if isinstance(kind, JSON):
            converters.append((index, dumps))
        elif (process := kind.dialect_impl(conn.dialect).bind_processor(conn.dialect)) is not None:
            converters.append((index, functools.lru_cache(maxsize=16)(process) if isinstance(kind, DateTime)
                               else process))
    values = []
    for row in rows:
        value = list(_ROW(row))
        for index, convert in converters:
            if value[index] is not None or convert is dumps:  # JSON stores None as 'null', as SQLAlchemy does
                value[index] = convert(value[index])
        values.append(tuple(value))
    result = conn.exec_driver_sql(
        f"INSERT INTO {FINDINGS.name} ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))}) "
        "ON CONFLICT (natural_key) DO NOTHING", values)
    return result.rowcount


def _pg_array_type(column) -> str:
    kind = column.type
    if isinstance(kind, JSON):
        return "text"  # serialized here, cast back to the column's type in the SELECT
    if isinstance(kind, DateTime):
        return "timestamptz" if kind.timezone else "timestamp"
    if isinstance(kind, Float):
        return "float8"
    if isinstance(kind, Integer):
        return "integer"
    if isinstance(kind, String):  # Text too
        return "text"
    raise TypeError(f"findings.{column.name}: no array type for {kind!r}")


_PG_INSERT = (
    f"INSERT INTO {FINDINGS.name} ({', '.join(_COLUMNS)}) SELECT "
    + ", ".join(f"{name}::json" if isinstance(FINDINGS.c[name].type, JSON) else name for name in _COLUMNS)
    + " FROM unnest(" + ", ".join(f"%({name})b::{_pg_array_type(FINDINGS.c[name])}[]" for name in _COLUMNS)
    + f") AS v({', '.join(_COLUMNS)}) ON CONFLICT (natural_key) DO NOTHING")
_JSON_COLUMNS = frozenset(c.name for c in FINDINGS.columns if isinstance(c.type, JSON))


def _insert_postgres(conn, rows: list[dict[str, Any]]) -> int:
    """One INSERT … SELECT FROM unnest(one array per column) for the whole batch: a single
    statement to parse and plan, however many rows. The arrays go in binary (%(name)b): in
    text, every quote of the JSON documents is escaped and parsed again, which cost more
    than psycopg's pipelined executemany."""
    dumps = conn.dialect._json_serializer or json.dumps
    arrays = {name: [dumps(row[name]) for row in rows] if name in _JSON_COLUMNS else [row[name] for row in rows]
              for name in _COLUMNS}
    return conn.exec_driver_sql(_PG_INSERT, arrays).rowcount
