"""The communications tables: models match migration 0020, natural keys hold."""

from __future__ import annotations

from datetime import timedelta

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from core.clock import ManualClock
from store.communications.repository import SqlCommunicationsRepository
from store.db import Database
from store.incidents.repository import SqlIncidentRepository
from store.models import Base

T0 = ManualClock().now()
TABLES = ("stakeholder_notices", "incident_pages", "regulatory_clocks", "incident_aws_cases", "aws_case_messages")


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


def test_one_case_of_each_kind_per_incident_and_its_messages_once_per_key(clean_db):
    db = Database(clean_db)
    incident, _ = SqlIncidentRepository(db).create(title="t", severity="sev2", category="other", declared_by="U1",
                                                   at=T0, origin_channel=None, dedup_key=None, timeline_text="t")
    repo = SqlCommunicationsRepository(db)
    record, claimed = repo.claim_case(incident.id, "support", actor="U1", severity="high", at=T0)
    assert claimed and record.state == "opening"
    assert repo.claim_case(incident.id, "support", actor="U2", severity="low", at=T0)[1] is False  # being opened
    assert repo.claim_case(incident.id, "security-ir", actor="U2", severity=None, at=T0)[1]  # the other kind
    repo.case_failed(record.id, "SubscriptionRequiredException", T0)
    again, claimed = repo.claim_case(incident.id, "support", actor="U2", severity="low", at=T0)
    assert claimed and again.id == record.id and again.opened_by == "U2" and again.error is None
    opened = repo.case_opened(record.id, "case-1", "opened", T0)
    assert (opened.state, opened.case_id) == ("open", "case-1")
    assert repo.claim_case(incident.id, "support", actor="U3", severity=None, at=T0 + timedelta(days=1))[1] is False
    assert [c.case_id for c in repo.open_cases()] == ["case-1"]
    # A process that died while opening leaves `opening`; long after, it is taken over.
    ir = next(c for c in repo.cases(incident.id) if c.kind == "security-ir")
    assert repo.claim_case(incident.id, "security-ir", actor="U3", severity=None, at=T0 + timedelta(minutes=5))[1] is False
    assert repo.claim_case(incident.id, "security-ir", actor="U3", severity=None, at=T0 + timedelta(hours=1))[1]

    assert repo.record_message(record.id, "in:abc", direction="in", body="hello", at=T0)
    assert not repo.record_message(record.id, "in:abc", direction="in", body="hello", at=T0)
    assert repo.record_message(record.id, "reply:k", direction="out", body="mine", at=T0)
    assert repo.message_keys(record.id) == {"in:abc", "reply:k"} and repo.sent_bodies(record.id) == {"mine"}
    repo.forget_message(record.id, "reply:k")
    assert repo.message_keys(record.id) == {"in:abc"} and ir.id != record.id
    repo.case_status(record.id, "resolved", T0, state="resolved")
    assert repo.open_cases() == []
    db.dispose()
