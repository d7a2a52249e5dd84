"""A quarter of known incidents for the program report's tests: 2026-Q4 holds two real
incidents measured, a false positive and a drill; 2026-Q3 one incident (the trend)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from sqlalchemy import update

from core.incidents import lifecycle, roles
from store.findings.models import FindingRow
from store.findings.repository import SqlFindingRepository
from tests.support.findings import finding

Q4 = datetime(2026, 10, 5, 10, 0, tzinfo=timezone.utc)
NOW = datetime(2026, 12, 20, 12, 0, tzinfo=timezone.utc)  # the clock of every report test
STAMP = "%Y-%m-%dT%H:%M:%S.000Z"


def _create(services, title, severity, category, by, at, commander=None, drill=None):
    return services.incidents.create(title=title, severity=severity, category=category, declared_by=by, at=at,
                                     origin_channel=None, dedup_key=None, timeline_text="declared",
                                     roles={"commander": commander} if commander else {}, drill=drill)[0]


def _change(services, incident, decide, at):
    services.incidents.mutate(incident.id, decide, lambda: at)


def _link(services, incident, finding_id, first_seen, at, **fields):
    with SqlFindingRepository(services.db).ingest(at) as tx:
        tx.upsert(finding(id=finding_id, first_seen=first_seen.strftime(STAMP), **fields))
    if incident is not None:
        with services.db.session() as session:
            session.execute(update(FindingRow).where(FindingRow.finding_id == finding_id)
                            .values(incident_id=incident.id))


def seed(services) -> dict:
    """#miner sev1 malware (Oct): seen 30 min before, alice commands, eradication at 2 h, resolved
    at 5 h; #logins sev2 other (Nov): declared by the bot, bob commands at 20 min; #pentest
    (Nov): a false positive; a drill (Nov); #old sev1 (Aug, the previous quarter): resolved
    at 3 h; and a finding nobody linked (Dec)."""
    cfg = services.config.incidents
    miner = _create(services, "Miner", "sev1", "malware", "UALICE", Q4, "UALICE")
    _change(services, miner, lambda cur, at: lifecycle.change_phase(cfg, cur, "eradication", "UALICE", at),
            Q4 + timedelta(hours=2))
    _change(services, miner, lambda cur, at: lifecycle.resolve(cfg, cur, "UALICE", at), Q4 + timedelta(hours=5))
    _link(services, miner, "f-miner", Q4 - timedelta(minutes=30), Q4, type="CryptoCurrency:EC2/BitcoinTool.B")
    logins_at = datetime(2026, 11, 10, 8, 0, tzinfo=timezone.utc)
    logins = _create(services, "Odd logins", "sev2", "other", "firebreak", logins_at)
    _change(services, logins, lambda cur, at: roles.assign(cfg, cur, "commander", "UBOB", "UBOB"),
            logins_at + timedelta(minutes=20))
    _link(services, logins, "f-logins", logins_at - timedelta(hours=1), logins_at, account="210987654321",
          source="securityhub", type="UnauthorizedAccess:IAMUser/ConsoleLogin")
    pentest_at = datetime(2026, 11, 12, 9, 0, tzinfo=timezone.utc)
    pentest = _create(services, "Pen test", "sev3", "other", "UALICE", pentest_at, "UALICE")
    _change(services, pentest, lambda cur, at: lifecycle.resolve(cfg, cur, "UALICE", at, false_positive=True,
                                                                  reason="scheduled pen test"),
            pentest_at + timedelta(hours=1))
    drill_at = datetime(2026, 11, 20, 14, 0, tzinfo=timezone.utc)
    drill = _create(services, "[DRILL] crypto-mining", "sev1", "malware", "UALICE", drill_at, "UALICE",
                    drill={"scenario": "crypto-mining", "started_at": drill_at.isoformat(),
                           "scorecard": {"expected": [{"outcome": "done"}, {"outcome": "missed"}],
                                         "lines": ["Time to acknowledge: 1m00s (SLA 15m: met)"]}})
    _change(services, drill, lambda cur, at: lifecycle.change_phase(cfg, cur, "eradication", "UALICE", at),
            drill_at + timedelta(minutes=1))  # fast: would pull the real means down if mixed in
    old_at = datetime(2026, 8, 1, 10, 0, tzinfo=timezone.utc)
    old = _create(services, "Old", "sev1", "malware", "UALICE", old_at, "UALICE")
    _change(services, old, lambda cur, at: lifecycle.resolve(cfg, cur, "UALICE", at), old_at + timedelta(hours=3))
    _link(services, None, "f-loose", datetime(2026, 12, 1, tzinfo=timezone.utc),
          datetime(2026, 12, 1, 1, 0, tzinfo=timezone.utc))
    _link(services, None, "f-drill", drill_at, drill_at, tags={"firebreak:drill": "true"})  # not counted as real
    items = services.repos.action_items
    items.add(miner.id, text="Rotate keys", owner="UCAROL", due=date(2026, 11, 1), created_by="UALICE",
              at=Q4 + timedelta(hours=6))
    done = items.add(miner.id, text="Patch AMI", owner="UCAROL", due=None, created_by="UALICE",
                     at=Q4 + timedelta(hours=6))
    items.complete(done.id, by="UCAROL", at=Q4 + timedelta(days=2))
    return {"miner": miner, "logins": logins, "pentest": pentest, "drill": drill, "old": old}
