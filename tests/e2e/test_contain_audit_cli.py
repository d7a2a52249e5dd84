"""`python bot.py audit verify`: the count when the chain holds, exit 1 naming the first
broken link after someone edits an entry in the database."""

import os
import subprocess
import sys
from datetime import datetime, timezone

import pytest
from sqlalchemy import update

from store.containment import SqlContainmentRepository
from store.containment_models import AuditEntryRow
from store.db import Database
from tests.conftest import REPO

pytestmark = pytest.mark.slow


def verify(database_url):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "FIREBREAK_"))}
    env["DATABASE_URL"] = database_url
    return subprocess.run([sys.executable, str(REPO / "bot.py"), "audit", "verify"], capture_output=True, text=True,
                          cwd=REPO, env=env, timeout=60)


def test_audit_verify_counts_and_names_the_first_broken_link(clean_db):
    db = Database(clean_db)
    at = datetime(2026, 1, 1, tzinfo=timezone.utc)
    for n in range(5):
        SqlContainmentRepository(db).record(None, {"event": "aws-call", "call": f"ec2:Call{n}"}, at)
    result = verify(clean_db)
    assert result.returncode == 0 and "Audit chain intact: 5 entries." in result.stdout, result.stderr
    with db.session() as session:
        session.execute(update(AuditEntryRow).where(AuditEntryRow.seq == 3)
                        .values(body=AuditEntryRow.body + " "))
    db.dispose()
    result = verify(clean_db)
    assert result.returncode == 1
    assert "audit chain broken at entry 3: entry 3 was changed after it was written" in result.stderr
