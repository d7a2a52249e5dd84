"""The ingest transaction: dedup by finding id (never backwards), routing outcome, digest
windows. Statements run on the Core connection, and snoozes and digest windows are read
once per transaction and written back at its end (the window rows stay locked meanwhile),
because a storm arrives as thousands of findings per transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, bindparam, delete, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core.findings.model import Finding
from core.findings.ports import Digest, StoredFinding
from core.repositories import Change
from store.finding_models import FindingDigestRow, FindingIndicatorRow, FindingRow, FindingSnoozeRow
from store.finding_rows import MAX_ID, aware, clean, natural_key, snooze_key, to_stored, values_of

FINDINGS, DIGESTS, INDICATORS = FindingRow.__table__, FindingDigestRow.__table__, FindingIndicatorRow.__table__


class IngestTx:
    """One transaction of the ingest pipeline; core calls these in order per finding."""

    def __init__(self, session: Session, now: datetime):
        self.conn = session.connection()
        self.now = now
        self._postgres = self.conn.dialect.name == "postgresql"
        self._insert = postgresql.insert if self._postgres else sqlite.insert
        self._windows: dict[tuple, dict[str, Any]] = {}
        self._snoozes: dict[str, datetime] | None = None
        self._placed: dict[int, dict[str, Any]] = {}  # pk -> routing outcome not yet written (see place)
        self._seen: set[str] = set()  # natural keys stored in this transaction (their placement may be pending)

    def _fresh(self, finding: Finding, values: dict[str, Any], key: str) -> dict[str, Any]:
        return dict(values, natural_key=key, finding_id=finding.id, received_at=self.now, changed_at=self.now,
                    status="open", activity=[], revision=1, slack_revision=0, route=None, channel=None,
                    slack_channel=None, slack_ts=None, thread_ts=None, digest_id=None, incident_id=None)

    def upsert_many(self, findings: list[Finding]) -> list[Change | None]:
        """The new findings of a batch in one bulk INSERT … ON CONFLICT DO NOTHING, their
        indicators in one more statement. The result is in the batch's order: the Change of
        each finding inserted here, None for the rest (an id already stored, or a second copy
        in the batch): the caller runs those through upsert(), in order, after the copies
        before them were placed, exactly as if every finding had gone one by one.
        Call it before upsert() in a transaction (PostgreSQL tells this transaction's rows by
        their xmin)."""
        prepared, first = [], {}
        for index, finding in enumerate(findings):
            values, key = values_of(finding), natural_key(finding)
            prepared.append((finding, values, key))
            first.setdefault(key, index)
        fresh = {key: self._fresh(findings[i], prepared[i][1], key) for key, i in first.items()}
        if not fresh:
            return []
        statement = self._insert(FINDINGS).on_conflict_do_nothing(index_elements=["natural_key"])
        if self._postgres:
            # psycopg's pipelined executemany is 3x faster than a multi-row INSERT … RETURNING
            # of the same rows; the rows this transaction inserted are then the ones whose xmin
            # is its own id (a conflicting row, already there or another worker's, has another).
            self.conn.execute(statement, list(fresh.values()))
            result = self.conn.execute(select(FINDINGS.c.pk, FINDINGS.c.natural_key).where(
                FINDINGS.c.natural_key.in_(list(fresh)), text("xmin = pg_current_xact_id()::xid")))
        else:
            result = self.conn.execute(statement.returning(FINDINGS.c.pk, FINDINGS.c.natural_key),
                                       list(fresh.values()))
        inserted = {key: pk for pk, key in result}
        self._seen.update(inserted)
        changes: list[Change | None] = []
        indicators: list[tuple[int, str, str]] = []
        for index, (finding, _values, key) in enumerate(prepared):
            pk = inserted.get(key) if first[key] == index else None
            if pk is None:
                changes.append(None)
                continue
            row = fresh[key]
            indicators += self._indicator_rows(pk, finding)
            changes.append(Change("new", StoredFinding(**{k: row.get(k) for k in StoredFinding.__dataclass_fields__
                                                          if k != "pk"}, pk=pk)))
        self._insert_indicators(indicators)
        return changes

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
        pk = self.conn.execute(self._insert(FINDINGS).values(**fresh).on_conflict_do_nothing(
            index_elements=["natural_key"]).returning(FINDINGS.c.pk)).scalar()
        if pk is not None:
            self._indicators(pk, finding)
            return Change("new", StoredFinding(**{k: fresh.get(k) for k in StoredFinding.__dataclass_fields__
                                                  if k != "pk"}, pk=pk))
        row = self.conn.execute(update(FINDINGS).where(FINDINGS.c.natural_key == key,
                                                       FINDINGS.c.updated_at < values["updated_at"])
                                .values(**values, changed_at=self.now, revision=FINDINGS.c.revision + 1)
                                .returning(*FINDINGS.c)).first()
        if row is None:
            return Change("unchanged", None)
        self.conn.execute(delete(INDICATORS).where(INDICATORS.c.finding_pk == row.pk))
        self._indicators(row.pk, finding)
        return Change("updated", to_stored(row))

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
                                      "unnest(%(pk)s::integer[], %(kind)s::text[], %(value)s::text[])",
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
        """Record the routing outcome (status, route, channel, digest_id, ...). Written with
        the others of the transaction in a few executemany UPDATEs (before anything here
        reads the row back, and at flush), not one statement per finding."""
        self._placed.setdefault(finding.pk, {}).update(values)
        return StoredFinding(**{**finding.__dict__, **values})  # dataclasses.replace, without its per-call introspection

    def _write_placed(self) -> None:
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
        key = (route, channel, window_start)
        window = self._windows.get(key)
        if window is None:
            self.conn.execute(self._insert(DIGESTS).values(
                route=route, channel=channel, window_start=window_start, individual=0, size=0, revision=0,
                slack_revision=0).on_conflict_do_nothing())
            window = self._windows[key] = dict(self._lock(
                DIGESTS.c.route == route, DIGESTS.c.channel == channel, DIGESTS.c.window_start == window_start)._mapping)
        if window["individual"] < after:
            window["individual"] += 1
            return None
        window["size"] += 1
        window["revision"] += 1
        return _digest(window)

    def _lock(self, *where: Any):
        query = select(DIGESTS).where(*where)
        return self.conn.execute(query.with_for_update() if self._postgres else query).one()

    def flush(self) -> None:
        """Write the routing outcomes and the digest windows back (before commit)."""
        self._write_placed()
        for window in self._windows.values():
            self.conn.execute(update(DIGESTS).where(DIGESTS.c.id == window["id"]).values(
                individual=window["individual"], size=window["size"], revision=window["revision"]))


_DIGEST_FIELDS = tuple(Digest.__dataclass_fields__)


def _digest(window: dict[str, Any]) -> Digest:
    """to_digest without building an ORM row: a storm claims a window thousands of times."""
    return Digest(**{name: window[name] for name in _DIGEST_FIELDS if name != "window_start"},
                  window_start=aware(window["window_start"]))
