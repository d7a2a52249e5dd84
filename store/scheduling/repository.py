"""Persistence of the clock: the leader lease, the ledger of notices, the reads the sweeps
and statistics need, and APScheduler's job store on the same database."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Iterable

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from sqlalchemy import case, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core.findings.timeutil import parse_timestamp
from core.incidents.model import ACTIVE_PHASES, Incident, TimelineEntry
from store.db import Database, make_engine
from store.findings.models import FindingRow
from store.incidents.repository import _entry, _incident
from store.models import IncidentRoleRow, IncidentRow, TimelineEntryRow
from store.scheduling.models import ScheduledNoticeRow, SchedulerLeaseRow

JOBS_TABLE = "apscheduler_jobs"


def job_store(db: Database) -> SQLAlchemyJobStore:
    """APScheduler's store on its own engine: the store disposes it on shutdown."""
    return SQLAlchemyJobStore(engine=make_engine(db.url), tablename=JOBS_TABLE)


def _insert_if_absent(db: Database, session: Session, row_type, **values) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING (both dialects); True when this call inserted."""
    table = row_type.__table__
    insert = (sqlite.insert if db.is_sqlite else postgresql.insert)(table).values(**values)
    # RETURNING, not rowcount: psycopg reports -1 for INSERT ... ON CONFLICT here.
    returning = insert.on_conflict_do_nothing().returning(*table.primary_key.columns)
    return session.execute(returning).first() is not None


class SqlClockLeaseRepository:
    """A named lease: at most one holder until it expires. Renewal and takeover are one
    conditional UPDATE, which PostgreSQL re-checks after a row lock and SQLite runs under
    its write lock, so two contenders can never both succeed."""

    def __init__(self, db: Database):
        self.db = db

    def _now(self, session: Session) -> datetime:
        # PostgreSQL's clock for every replica, so skew between hosts cannot shorten a lease;
        # SQLite lives on one host, whose clock every process shares.
        if self.db.is_sqlite:
            return datetime.now(timezone.utc)
        return session.scalar(select(func.now()))

    def acquire(self, name: str, holder: str, ttl: timedelta, now: datetime | None = None) -> bool:
        """Take or renew the lease for `ttl`; False while another holder's lease runs."""
        with self.db.session() as session:
            now = now or self._now(session)
            row = SchedulerLeaseRow
            taken = session.execute(
                update(row).where(row.name == name, or_(row.holder == holder, row.expires_at <= now))
                .values(holder=holder, expires_at=now + ttl,
                        acquired_at=case((row.holder == holder, row.acquired_at), else_=now))
                .execution_options(synchronize_session=False)).rowcount == 1
            return taken or _insert_if_absent(self.db, session, row, name=name, holder=holder, acquired_at=now,
                                              expires_at=now + ttl)

    def release(self, name: str, holder: str) -> None:
        with self.db.session() as session:
            session.execute(delete(SchedulerLeaseRow).where(SchedulerLeaseRow.name == name,
                                                            SchedulerLeaseRow.holder == holder))

    def holder(self, name: str) -> str | None:
        with self.db.read() as session:
            return session.scalar(select(SchedulerLeaseRow.holder).where(SchedulerLeaseRow.name == name))


class SqlNoticeRepository:
    """Decisions (`met`, `breached`) and deliveries (`claimed` → `sent`) by natural key."""

    def __init__(self, db: Database):
        self.db = db

    def states(self, keys: Iterable[str]) -> dict[str, str]:
        keys = list(keys)
        found: dict[str, str] = {}
        with self.db.read() as session:
            for start in range(0, len(keys), 500):
                rows = session.execute(select(ScheduledNoticeRow.key, ScheduledNoticeRow.state)
                                       .where(ScheduledNoticeRow.key.in_(keys[start:start + 500])))
                found.update({key: state for key, state in rows})
        return found

    def decide(self, key: str, incident_id: int | None, state: str, at: datetime) -> str:
        """Record a decision once; the state on record (the first decision) is returned."""
        with self.db.session() as session:
            if _insert_if_absent(self.db, session, ScheduledNoticeRow, key=key, incident_id=incident_id,
                                 state=state, holder=None, at=at):
                return state
            return session.scalar(select(ScheduledNoticeRow.state).where(ScheduledNoticeRow.key == key))

    def claim(self, key: str, incident_id: int | None, holder: str, now: datetime, stale: timedelta) -> bool:
        """Claim a delivery; a claim left `stale` long by a clock that died is taken over."""
        row = ScheduledNoticeRow
        with self.db.session() as session:
            if _insert_if_absent(self.db, session, row, key=key, incident_id=incident_id, state="claimed",
                                 holder=holder, at=now):
                return True
            return session.execute(
                update(row).where(row.key == key, row.state == "claimed", row.at <= now - stale)
                .values(holder=holder, at=now).execution_options(synchronize_session=False)).rowcount == 1

    def sent(self, key: str, holder: str, now: datetime) -> None:
        with self.db.session() as session:
            session.execute(update(ScheduledNoticeRow).where(ScheduledNoticeRow.key == key)
                            .values(state="sent", holder=holder, at=now)
                            .execution_options(synchronize_session=False))

    def decided(self, prefix: str, state: str, since: datetime) -> list[tuple[str, int | None]]:
        """(key, incident) of each decision `state` under keys starting `prefix`, made since `since`."""
        row = ScheduledNoticeRow
        with self.db.read() as session:
            return [(key, incident_id) for key, incident_id in session.execute(
                select(row.key, row.incident_id).where(row.key.startswith(prefix, autoescape=True), row.state == state,
                                                       row.at >= since).order_by(row.at, row.key))]

    def release(self, key: str, holder: str) -> None:
        """Give a claim back after a failed delivery, so the next sweep tries again."""
        row = ScheduledNoticeRow
        with self.db.session() as session:
            session.execute(delete(row).where(row.key == key, row.state == "claimed", row.holder == holder))


class SqlClockQueryRepository:
    """Reads for sweeps and statistics, each one query however many incidents there are."""

    def __init__(self, db: Database):
        self.db = db

    def _with_roles(self, session: Session, rows: list[IncidentRow]) -> list[Incident]:
        roles: dict[int, dict] = {}
        ids = [row.id for row in rows]
        for start in range(0, len(ids), 500):
            for r in session.scalars(select(IncidentRoleRow).where(IncidentRoleRow.incident_id.in_(
                    ids[start:start + 500]))):
                roles.setdefault(r.incident_id, {})[r.role] = r.user_id
        return [_incident(row, roles.get(row.id)) for row in rows]

    def active_incidents(self) -> list[Incident]:
        """Incidents in detection … recovery (not resolved or closed), oldest first."""
        with self.db.read() as session:
            rows = list(session.scalars(select(IncidentRow).where(IncidentRow.phase.in_(ACTIVE_PHASES))
                                        .order_by(IncidentRow.id)))
            return self._with_roles(session, rows)

    def resolved_without_postmortem(self) -> list[Incident]:
        """Incidents in post-incident whose review is not written yet."""
        with self.db.read() as session:
            rows = [r for r in session.scalars(select(IncidentRow).where(IncidentRow.phase == "post-incident")
                                               .order_by(IncidentRow.id)) if not r.postmortem]
            return self._with_roles(session, rows)

    def declared_since(self, since: datetime) -> list[Incident]:
        with self.db.read() as session:
            rows = list(session.scalars(select(IncidentRow).where(IncidentRow.declared_at >= since)
                                        .order_by(IncidentRow.id)))
            return self._with_roles(session, rows)

    def actions(self, incident_ids: list[int]) -> dict[int, list[TimelineEntry]]:
        """Timeline entries written by someone (what acknowledgement is decided from)."""
        found: dict[int, list[TimelineEntry]] = {i: [] for i in incident_ids}
        with self.db.read() as session:
            for start in range(0, len(incident_ids), 500):
                rows = session.scalars(select(TimelineEntryRow).where(
                    TimelineEntryRow.incident_id.in_(incident_ids[start:start + 500]),
                    TimelineEntryRow.actor.is_not(None)).order_by(TimelineEntryRow.at, TimelineEntryRow.id))
                for row in rows:
                    found[row.incident_id].append(_entry(row))
        return found

    def first_seen(self, incident_ids: list[int]) -> dict[int, datetime]:
        """Earliest first_seen of the findings linked to each incident (none: not in the map)."""
        found: dict[int, datetime] = {}
        with self.db.read() as session:
            for start in range(0, len(incident_ids), 500):
                rows = session.execute(select(FindingRow.incident_id, FindingRow.first_seen).where(
                    FindingRow.incident_id.in_(incident_ids[start:start + 500]), FindingRow.first_seen.is_not(None)))
                for incident_id, text in rows:
                    seen = parse_timestamp(text)
                    if seen is not None and (incident_id not in found or seen < found[incident_id]):
                        found[incident_id] = seen
        return found
