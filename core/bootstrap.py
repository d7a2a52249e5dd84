"""Builds Services from settings: one place that wires storage, clock and telemetry."""

from __future__ import annotations

from core.clock import SystemClock
from core.playbooks.loader import load_playbooks
from core.services import Clock, Services
from core.settings import Settings
from core.telemetry import Telemetry
from store import migrate
from store.db import Database


def build_services(settings: Settings, *, clock: Clock | None = None, auto_migrate: bool | None = None) -> Services:
    """Open the database and return the services; SQLite is migrated automatically,
    PostgreSQL only by `bot.py migrate` (so replicas never race on schema changes)."""
    playbooks = load_playbooks(settings.config.playbooks.path, settings.config.incidents)
    db = Database(settings.secrets.database_url)
    if auto_migrate if auto_migrate is not None else db.is_sqlite:
        migrate.upgrade(db)
    return Services(settings=settings, db=db, clock=clock or SystemClock(), telemetry=Telemetry(),
                    playbooks=playbooks)
