"""Shared fixtures: a database (SQLite by default, PostgreSQL when DATABASE_URL is set),
settings, and the local workspace (fake Slack + the real bot over HTTP)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import inspect

from core.clock import ManualClock
from core.settings import load_settings
from composition import local_workspace
from store import migrate
from store.db import Database

REPO = Path(__file__).resolve().parents[1]

# moto fixtures (aws_env, moto_inprocess, moto_server, moto_endpoint) for every folder.
pytest_plugins = ["tests.support.aws"]


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
    tables = [t for t in inspect(db.engine).get_table_names() if t != "alembic_version"]
    with db.engine.begin() as conn:
        if db.is_sqlite:
            conn.exec_driver_sql("PRAGMA defer_foreign_keys=ON")
            for table in tables:
                conn.exec_driver_sql(f'DELETE FROM "{table}"')
        elif tables:
            conn.exec_driver_sql("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")
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
    ws = local_workspace(settings, threads=4)
    yield ws
    ws.stop()
