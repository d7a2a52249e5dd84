"""Statistics on known data from the database: the window, metrics by severity and by
category, SLA breaches; shown by `/incident stats` (ephemeral) and `python bot.py stats`."""

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import update

import bot
from core.incidents import lifecycle, roles
from composition import build_services
from core.clock import ManualClock
from core.errors import UsageError
from core.scheduling import stats
from composition import local_workspace
from store.findings.models import FindingRow
from store.findings.repository import SqlFindingRepository
from tests.support.scheduling import with_scheduling
from tests.support.findings import finding
from tests.support.slack import ack_body

# Two days before now, so the real clock of `python bot.py stats` sees the same window.
T0 = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=2)


def seed(services):
    """#1 sev1 malware: found 30 min before, alice commands, eradication at 2 h, resolved at 5 h.
    #2 sev1 other: declared by the bot a day later, bob takes command at 20 min, not contained.
    #3 sev3 malware: declared 40 days ago (outside a 30-day window)."""
    store, cfg = services.incidents, services.config.incidents

    def create(title, severity, category, by, at, commander):
        return store.create(title=title, severity=severity, category=category, declared_by=by, at=at,
                            origin_channel=None, dedup_key=None, timeline_text="declared",
                            roles={"commander": commander} if commander else {})[0]

    def change(incident, decide, at):
        store.mutate(incident.id, decide, lambda: at)

    first = create("Miner", "sev1", "malware", "UALICE", T0, "UALICE")
    change(first, lambda cur, at: lifecycle.change_phase(cfg, cur, "eradication", "UALICE", at), T0 + timedelta(hours=2))
    change(first, lambda cur, at: lifecycle.resolve(cfg, cur, "UALICE", at), T0 + timedelta(hours=5))
    with SqlFindingRepository(services.db).ingest(T0) as tx:
        tx.upsert(finding(id="f-1", first_seen=(T0 - timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%S.000Z")))
    with services.db.session() as session:
        session.execute(update(FindingRow).values(incident_id=first.id))
    second = create("Odd logins", "sev1", "other", "firebreak", T0 + timedelta(days=1), None)
    change(second, lambda cur, at: roles.assign(cfg, cur, "commander", "UBOB", "UBOB"),
           T0 + timedelta(days=1, minutes=20))
    create("Old", "sev3", "malware", "UALICE", T0 - timedelta(days=40), "UALICE")


@pytest.fixture
def services(settings):
    built = build_services(with_scheduling(settings), clock=ManualClock(T0 + timedelta(days=1, hours=5)))
    seed(built)
    yield built
    built.drain()


def test_the_report_measures_each_incident_in_the_window(services):
    report = stats.build(services, 30)
    assert report.total.count == 2
    [sev1] = report.by_severity
    assert sev1.label == "sev1" and sev1.count == 2
    assert sev1.stats["detect"] == (1, timedelta(minutes=30), timedelta(minutes=30))
    assert sev1.stats["acknowledge"] == (2, timedelta(minutes=10), timedelta(minutes=10))
    assert sev1.stats["contain"] == (1, timedelta(hours=2), timedelta(hours=2))
    assert sev1.stats["recover"] == (1, timedelta(hours=5), timedelta(hours=5))
    assert sev1.breaches == {"acknowledge": 1, "contain": 1}  # #2: 20 min > 15; 5 h uncontained > 4 h
    assert [(s.label, s.count) for s in report.by_category] == [("malware", 1), ("other", 1)]
    assert stats.build(services, 60).total.count == 3


SEV1_ROW = "sev1 2 30m / 30m (1) 10m / 10m (2) n/a 2h00m / 2h00m (1) 5h00m / 5h00m (1) 1 / 1".split()


def test_the_table_reads_as_text(services):
    lines = stats.render(stats.build(services, 30)).splitlines()
    assert lines[0].startswith("Incidents declared in the last 30 days (since ") and lines[0].endswith(": 2")
    assert next(line for line in lines if line.startswith("sev1")).split() == SEV1_ROW
    assert next(line for line in lines if line.startswith("category")).split()[:3] == ["category", "count", "detect"]
    assert "n/a" in next(line for line in lines if line.startswith("other"))


def test_an_empty_window_says_so(settings):
    empty = build_services(with_scheduling(settings), clock=ManualClock(T0))
    try:
        assert stats.render(stats.build(empty, 7)).splitlines()[0].endswith(": 0")
    finally:
        empty.drain()


def test_slash_command_answers_privately(settings):
    ws = local_workspace(with_scheduling(settings), clock=ManualClock(T0 + timedelta(days=1, hours=5)), threads=2)
    try:
        seed(ws.services)
        assert ack_body(ws.sender.command("/incident", "stats 30d", user=ws.user("alice"),
                                          channel=ws.channel("general"))) == {}
        [answer] = [c.body for c in ws.fake.wait_for("response_url")]
        assert answer["response_type"] == "ephemeral"
        shown = "\n".join(b["text"]["text"] for b in answer["blocks"])
        assert shown.startswith("```\nIncidents declared in the last 30 days")
        assert next(line for line in shown.splitlines() if line.startswith("sev1")).split() == SEV1_ROW
    finally:
        ws.stop()


def test_command_line_prints_the_same_table(settings, clean_db, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", clean_db)
    monkeypatch.delenv("FIREBREAK_CONFIG", raising=False)
    seeded = build_services(settings, clock=ManualClock(T0))
    seed(seeded)
    seeded.drain()
    assert bot.main(["stats", "--days", "30"]) == 0
    out = capsys.readouterr().out
    assert next(line for line in out.splitlines() if line.startswith("sev1")).split() == SEV1_ROW


def test_days_are_parsed_from_the_command():
    assert [stats.parse_days(w) for w in (None, "30d", "7", "365D")] == [30, 30, 7, 365]
    for bad in ("0d", "thirty", "-3", "99999"):
        with pytest.raises(UsageError):
            stats.parse_days(bad)
