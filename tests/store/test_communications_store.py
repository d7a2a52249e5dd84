"""The communications tables: models match migration 0020, natural keys hold."""

from __future__ import annotations

from datetime import timedelta

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from core.clock import ManualClock
from store.communications import SqlCommunicationsRepository
from store.db import Database
from store.incidents import SqlIncidentRepository
from store.models import Base

T0 = ManualClock().now()
TABLES = ("stakeholder_notices", "incident_pages", "regulatory_clocks")


def test_models_match_the_migration(clean_db):
    db = Database(clean_db)
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert [d for d in diff if any(t in repr(d) for t in TABLES)] == []
    db.dispose()


def test_notices_once_per_key_pages_per_target_clocks_per_regime(clean_db):
    db = Database(clean_db)
    incident, _ = SqlIncidentRepository(db).create(title="t", severity="sev2", category="other", declared_by="U1",
                                                   at=T0, origin_channel=None, dedup_key=None, timeline_text="t")
    repo = SqlCommunicationsRepository(db)
    first = repo.claim_notice("k1", incident_id=incident.id, audience="a", trigger="manual", actor="U1", text="x", at=T0)
    assert first is not None
    assert repo.claim_notice("k1", incident_id=incident.id, audience="a", trigger="manual", actor="U1", text="x",
                             at=T0) is None
    repo.finish_notice(first, "sent", {"targets": ["C1"]})
    assert [(n.state, n.detail, n.key) for n in repo.notices(incident.id)] == [("sent", {"targets": ["C1"]}, "k1")]

    repo.save_page(incident.id, "leads", dedup_key="d", state="triggered", actor="U1", message="m", at=T0)
    page = repo.save_page(incident.id, "leads", dedup_key="d", state="acknowledged", actor=None, message="m",
                          at=T0 + timedelta(minutes=1))
    assert (page.state, page.actor, len(repo.pages(incident.id))) == ("acknowledged", "U1", 1)

    assert repo.start_clock(incident.id, "gdpr", T0, T0 + timedelta(hours=72))
    assert not repo.start_clock(incident.id, "gdpr", T0 + timedelta(hours=1), T0 + timedelta(hours=73))
    assert [c.regime for c in repo.running_clocks()] == ["gdpr"]
    assert repo.meet_clock(incident.id, "gdpr", "U1", T0) and not repo.meet_clock(incident.id, "gdpr", "U2", T0)
    assert repo.running_clocks() == [] and repo.clocks([incident.id])[0].met_by == "U1"
    db.dispose()
