"""Shared fixtures: a database (SQLite by default, PostgreSQL when DATABASE_URL is set),
settings, and the local workspace (fake Slack + the real bot over HTTP)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import text

from core.clock import ManualClock
from core.settings import load_settings
from local.workspace import LocalWorkspace
from store import migrate
from store.db import Database
from store.models import Base

REPO = Path(__file__).resolve().parents[1]

# moto fixtures (aws_env, moto_inprocess, moto_server, moto_endpoint) for every folder.
pytest_plugins = ["tests.aws.harness"]


def pytest_report_header(config):
    return f"firebreak database: {os.environ.get('DATABASE_URL') or 'SQLite (temporary file)'}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'firebreak-test.db'}"
    db = Database(url)
    migrate.upgrade(db)
    db.dispose()
    return url


@pytest.fixture
def clean_db(database_url):
    """Every test starts from empty tables (the schema stays migrated)."""
    db = Database(database_url)
    with db.engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(text(f"DELETE FROM {table.name}"))
    db.dispose()
    return database_url


@pytest.fixture
def is_postgres(database_url) -> bool:
    return database_url.startswith("postgres")


@pytest.fixture
def settings(clean_db):
    return load_settings(environ={"DATABASE_URL": clean_db})


@pytest.fixture
def clock():
    return ManualClock()


@pytest.fixture
def workspace(settings):
    ws = LocalWorkspace(settings, threads=4)
    yield ws
    ws.stop()
