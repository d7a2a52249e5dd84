"""Shared fixtures: a database (SQLite by default, PostgreSQL when DATABASE_URL is set),
settings, and the local workspace (fake Slack + the real bot over HTTP).

The suite runs on every core (pytest-xdist, `-n auto` in pyproject.toml): each worker has
its own SQLite file, or on PostgreSQL its own database made next to DATABASE_URL's
(`<name>_gw0`, ...), so workers never empty each other's tables. Tests marked `slow` run
only with --runslow (CI passes it), as Dispatch does."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import MetaData, create_engine
from sqlalchemy.engine import make_url

from core.clock import ManualClock
from core.settings import load_settings
from composition import local_workspace
from store import migrate
from store.audit.head_file import default_path as default_head_file
from store.db import Database, normalize_url
from tests.support.findings import unpaced

REPO = Path(__file__).resolve().parents[1]

# moto fixtures (aws_env, moto_inprocess, moto_server, moto_endpoint) for every folder.
pytest_plugins = ["tests.support.aws"]


def pytest_addoption(parser):
    parser.addoption("--runslow", action="store_true", default=False,
                     help="also run tests marked slow (CI does; locally they are skipped)")
    parser.addoption("--every-test", action="store_true", default=False,
                     help="on PostgreSQL, also run the tests that use no database")


def pytest_collection_modifyitems(config, items):
    if os.environ.get("DATABASE_URL") and not config.getoption("--every-test"):
        _only_tests_that_use_the_database(config, items)
    if config.getoption("--runslow"):
        return
    skip = pytest.mark.skip(reason="slow: run with --runslow (CI does)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


def _only_tests_that_use_the_database(config, items) -> None:
    """On PostgreSQL, a test that never asks for the database (every database fixture goes
    through `database_url`) would run exactly as it did on SQLite: CI's SQLite pass has run
    it, so the PostgreSQL pass runs only the tests where the database can make a difference."""
    uses = {id(item): "database_url" in getattr(item, "fixturenames", ()) for item in items}
    if not all(uses.values()):
        config.hook.pytest_deselected(items=[item for item in items if not uses[id(item)]])
        items[:] = [item for item in items if uses[id(item)]]


def pytest_report_header(config):
    return f"firebreak database: {os.environ.get('DATABASE_URL') or 'SQLite (temporary file)'}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory, worker_id) -> Iterator[str]:
    url = os.environ.get("DATABASE_URL")
    own = None
    if not url:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'firebreak-test.db'}"
    elif worker_id != "master":
        url = own = _database_of_this_worker(url, worker_id)
    db = Database(url)
    migrate.upgrade(db)
    db.dispose()
    yield url
    if own is not None:
        _drop_database(own)


def _database_of_this_worker(url: str, worker_id: str) -> str:
    """A fresh database beside DATABASE_URL's, for this xdist worker alone."""
    base = make_url(url)
    name = f"{base.database}_{worker_id}"
    _drop_database(base.set(database=name).render_as_string(hide_password=False))
    with _server(base) as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    return base.set(database=name).render_as_string(hide_password=False)


def _drop_database(url: str) -> None:
    target = make_url(url)
    with _server(target) as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')


@contextmanager
def _server(url):
    """An autocommit connection to the server's maintenance database (CREATE/DROP DATABASE)."""
    maintenance = url.set(database="postgres").render_as_string(hide_password=False)
    engine = create_engine(normalize_url(maintenance), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def _emptying(database_url) -> list[str]:
    """The statements that empty every table, worked out once: children before parents, and on
    PostgreSQL the id sequences restarted. DELETE, not TRUNCATE: TRUNCATE of two dozen tables
    took PostgreSQL 120 ms a test (it makes new files for each), DELETE of a test's few rows 15."""
    db = Database(database_url)
    try:
        metadata = MetaData()
        metadata.reflect(db.engine)
        tables = [t.name for t in reversed(metadata.sorted_tables) if t.name != "alembic_version"]
        statements = [f'DELETE FROM "{table}"' for table in tables]
        if not db.is_sqlite:
            with db.engine.connect() as conn:
                sequences = conn.exec_driver_sql("SELECT sequence_name FROM information_schema.sequences "
                                                 "WHERE sequence_schema = current_schema()").scalars().all()
            statements += [f'ALTER SEQUENCE "{name}" RESTART' for name in sequences]
        return statements
    finally:
        db.dispose()


@pytest.fixture
def clean_db(database_url, _emptying):
    """Every test starts from empty tables (the schema stays migrated) and ids from 1."""
    db = Database(database_url)
    with db.engine.begin() as conn:
        if db.is_sqlite:
            conn.exec_driver_sql("PRAGMA defer_foreign_keys=ON")
            for statement in _emptying:
                conn.exec_driver_sql(statement)
        else:
            conn.exec_driver_sql(";\n".join(_emptying))  # one round trip
    db.dispose()
    default_head_file(database_url).unlink(missing_ok=True)  # the keyed chain's head, kept outside it
    return database_url


@pytest.fixture
def is_postgres(database_url) -> bool:
    return database_url.startswith("postgres")


@pytest.fixture
def settings(clean_db):
    """The shipped configuration, with finding messages unpaced: pacing (one message a second
    per channel) is tested where it is the subject (tests/handlers/test_triage_storm.py,
    test_triage_outbox.py); elsewhere it only made tests wait a second per message."""
    return unpaced(load_settings(environ={"DATABASE_URL": clean_db}))


@pytest.fixture
def clock():
    return ManualClock()


@pytest.fixture
def workspace(settings):
    """The local workspace with the shipped manifest's scopes; a test whose bot made a call
    Slack would refuse for want of a scope (or one local/slack_scopes.py lacks) fails."""
    ws = local_workspace(settings, threads=4)
    yield ws
    ws.stop()
    refused = [(c.method, c.answer) for c in ws.fake.refusals()]
    assert not refused, f"Slack would refuse these calls with the manifest's scopes: {refused}"
