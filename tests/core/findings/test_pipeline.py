"""The pipeline after normalization: dedup, routing, suppression, snooze, digests,
automatic declaration and indicator matches (Slack replaced by a recorder)."""

import pytest

from composition import build_services
from core.findings import triage
from core.findings.intake import receive_one
from core.findings.pipeline import ingest, release_snoozed
from core.nulls import NoNotifier
from store.findings.repository import SqlFindingRepository
from tests.support.findings import FIXTURES, finding, tuned


class Recorder(NoNotifier):
    """Stands in for the Slack notifier."""

    def __init__(self):
        self.findings, self.digests, self.indicators = [], [], []

    def finding_changed(self, f):
        self.findings.append(f)

    def digest_changed(self, d):
        self.digests.append(d)

    def indicator_seen(self, m):
        self.indicators.append(m)

    def drain(self, timeout=None):
        return True


@pytest.fixture
def make(settings, clock):
    built = []

    def build(**tuning):
        services = build_services(tuned(settings, **tuning), clock=clock, notifier=Recorder())
        built.append(services)
        return services

    yield build
    for services in built:
        services.db.dispose()


def test_every_fixture_is_stored_once_and_redelivery_changes_nothing(make):
    services = make(after=100)
    text = "\n".join(p.read_text() for p in sorted(FIXTURES.glob("*/*.json")))
    first, _ = receive_one(services, text, origin="test")
    assert (first.new, first.updated, first.rejected) == (23, 0, [])
    assert first.not_matched == 2  # CloudTrail events no rule selects
    again, _ = receive_one(services, text, origin="test")
    assert (again.new, again.updated, again.unchanged) == (0, 0, 23)
    # the Inspector finding goes into the shipped vulnerabilities route's digest, the rest alone
    assert (len(services.notifier.findings), len(services.notifier.digests)) == (22, 1)
    assert SqlFindingRepository(services.db).count() == 23


def test_update_edits_and_older_copy_is_ignored(make):
    services = make()
    ingest(services, [finding(count=1)])
    summary = ingest(services, [finding(count=4, updated_at="2026-01-03T00:00:00.000Z"),
                                finding(count=2, updated_at="2026-01-02T00:00:00.000Z")])
    assert (summary.updated, summary.unchanged) == (1, 1)
    shown = services.notifier.findings
    assert [f.count for f in shown] == [1, 4] and shown[0].pk == shown[1].pk


def test_a_new_finding_repeated_in_one_batch_is_stored_and_shown_once_with_the_newest_copy(make):
    services = make()
    summary = ingest(services, [finding(id="rep", count=1), finding(id="other"),
                                finding(id="rep", count=3, updated_at="2026-01-02T00:00:00.000Z",
                                        indicators={"ip": ["203.0.113.9"]}),
                                finding(id="rep", count=2, updated_at="2026-01-01T12:00:00.000Z")])
    assert (summary.new, summary.updated, summary.unchanged) == (2, 1, 1)
    store = SqlFindingRepository(services.db)
    assert store.count() == 2
    stored = store.by_finding_id("rep")
    assert stored.count == 3 and stored.channel is not None and stored.status == "open"
    shown = [f for f in services.notifier.findings if f.finding_id == "rep"]
    assert [(f.count, f.pk) for f in shown] == [(3, stored.pk)]  # one message, with the newest copy
    from sqlalchemy import text
    with services.db.read() as session:  # indicators follow the newest copy
        values = session.execute(text("SELECT value FROM finding_indicators WHERE finding_pk = :pk"),
                                 {"pk": stored.pk}).scalars().all()
    assert values == ["203.0.113.9"]


def test_routes_suppress_post_elsewhere_and_match_tags(make):
    services = make(routes=[
        {"name": "sandbox", "match": {"account": ["111122223333"]}, "action": "suppress"},
        {"name": "prod", "match": {"tags": {"env": "prod"}, "min_severity": "high"}, "action": "post",
         "channel": "prod-sec"}])
    summary = ingest(services, [finding(id="a", account="111122223333"),
                                finding(id="b", severity="high", tags={"env": "prod"}),
                                finding(id="c", severity="medium", tags={"env": "prod"})])
    store = SqlFindingRepository(services.db)
    a, b, c = (store.by_finding_id(i) for i in "abc")
    assert (a.status, a.route, a.channel) == ("suppressed", "sandbox", None)
    assert (b.route, b.channel) == ("prod", "prod-sec")
    assert (c.route, c.channel) == ("default", "security-triage")
    assert summary.suppressed == 1
    assert sorted(f.finding_id for f in services.notifier.findings) == ["b", "c"]


def test_storm_groups_into_one_digest_per_route_and_window(make, clock):
    services = make(after=2)
    summary = ingest(services, [finding(id=f"s{i}") for i in range(7)])
    assert (summary.new, summary.digested) == (7, 5)
    assert len(services.notifier.findings) == 2
    digest = services.notifier.digests[-1]
    assert digest.size == 5 and len({d.id for d in services.notifier.digests}) == 1
    assert len(SqlFindingRepository(services.db).digest_items(digest.id, limit=100)) == 5
    clock.advance(seconds=300)  # next window: individual messages again
    ingest(services, [finding(id="s-late")])
    assert services.notifier.findings[-1].finding_id == "s-late"


def test_high_and_critical_findings_are_never_buried_in_a_digest(make):
    services = make(after=2)  # always_alone_from: high (the shipped default)
    storm = [finding(id=f"s{i}") for i in range(5)]  # medium: 2 alone, 3 grouped
    severe = [finding(id="crit", severity="critical", severity_score=95.0),
              finding(id="high", severity="high", severity_score=75.0)]
    summary = ingest(services, storm + severe + [finding(id="low", severity="low")])
    assert summary.digested == 4  # three medium and the low one
    alone = [f.finding_id for f in services.notifier.findings]
    assert alone == ["s0", "s1", "crit", "high"]
    store = SqlFindingRepository(services.db)
    assert (store.by_finding_id("crit").digest_id, store.by_finding_id("crit").channel) == (None, "security-triage")
    digest = services.notifier.digests[-1]
    assert store.severity_counts(digest.id) == {"medium": 3, "low": 1}


def test_the_always_alone_threshold_is_configurable(make):
    services = make(after=0, always_alone_from="critical")
    ingest(services, [finding(id="high", severity="high"), finding(id="crit", severity="critical")])
    assert [f.finding_id for f in services.notifier.findings] == ["crit"]
    grouped = make(after=0, always_alone_from=None)
    ingest(grouped, [finding(id="crit2", severity="critical")])
    assert grouped.notifier.findings == []
    assert SqlFindingRepository(grouped.db).by_finding_id("crit2").digest_id == grouped.notifier.digests[-1].id


def test_snoozed_type_on_resource_is_stored_not_shown_until_expiry(make, clock):
    services = make()
    ingest(services, [finding(id="first")])
    first = SqlFindingRepository(services.db).by_finding_id("first")
    triage.snooze(services, first.pk, "U1", "type:1d")
    shown_before = len(services.notifier.findings)
    summary = ingest(services, [finding(id="second")])  # same type, same instance
    second = SqlFindingRepository(services.db).by_finding_id("second")
    assert summary.snoozed == 1 and (second.status, second.channel) == ("snoozed", None)
    assert len(services.notifier.findings) == shown_before
    clock.advance(hours=23)
    assert release_snoozed(services) == 0
    clock.advance(hours=2)
    assert release_snoozed(services) == 2  # the unsnoozed first one and the held-back second one
    assert {f.finding_id for f in services.notifier.findings[shown_before:]} == {"first", "second"}
    assert SqlFindingRepository(services.db).by_finding_id("second").channel == "security-triage"


def test_two_newer_copies_of_a_stored_finding_in_one_batch_place_it_once(make, clock):
    services = make(after=1)
    ingest(services, [finding(id="first")])
    first = SqlFindingRepository(services.db).by_finding_id("first")
    triage.snooze(services, first.pk, "U1", "type:1d")
    ingest(services, [finding(id="second")])  # snoozed: stored, shown nowhere
    clock.advance(hours=25)  # the snooze is over; a new digest window with one individual slot
    summary = ingest(services, [finding(id="second", count=2, updated_at="2026-01-02T00:00:00.000Z"),
                                finding(id="second", count=3, updated_at="2026-01-03T00:00:00.000Z")])
    second = SqlFindingRepository(services.db).by_finding_id("second")
    assert (summary.updated, summary.digested) == (2, 0)  # the second copy saw the first one's placement
    assert (second.count, second.status, second.channel, second.digest_id) == (3, "open", "security-triage", None)


def test_declare_route_declares_links_and_records_the_timeline(make):
    services = make(routes=[{"name": "crit", "match": {"min_severity": "critical"}, "action": "declare",
                             "incident_severity": "sev1", "category": "malware"}])
    ingest(services, [finding(id="boom", severity="critical", title="Miner <!channel>")])
    [incident] = services.incidents.recent()
    assert (incident.severity, incident.category, incident.title) == ("sev1", "malware", "Miner <!channel>")
    stored = SqlFindingRepository(services.db).by_finding_id("boom")
    assert stored.incident_id == incident.id and stored.activity[-1]["action"] == "linked"
    kinds = [e.kind for e in services.incidents.timeline(incident.id)]
    assert "declared" in kinds and "finding" in kinds
    ingest(services, [finding(id="boom", severity="critical", updated_at="2026-02-01T00:00:00.000Z")])
    assert services.incidents.count() == 1  # an update never declares twice


def test_automatic_declaration_needs_no_responder_and_names_no_commander(make):
    services = make(responders=["U0NLYME"], routes=[{"name": "all", "action": "declare"}])
    ingest(services, [finding()])
    [incident] = services.incidents.recent()
    assert incident.roles == {}  # the bot is nobody's commander: a responder takes the role
    assert SqlFindingRepository(services.db).by_finding_id("f-1").incident_id == incident.id


def test_refused_automatic_declaration_still_shows_the_finding(make, monkeypatch):
    from core.incidents import service as incidents
    from core.errors import UsageError

    def refuse(*_args, **_kwargs):
        raise UsageError("The title is 400 characters; the limit is 150.")

    services = make(routes=[{"name": "all", "action": "declare"}])
    monkeypatch.setattr(incidents, "declare", refuse)
    ingest(services, [finding()])
    stored = SqlFindingRepository(services.db).by_finding_id("f-1")
    assert services.incidents.count() == 0
    assert stored.channel == "security-triage" and stored.activity[-1]["action"] == "declare-failed"
    assert "the limit is 150" in stored.activity[-1]["text"]


def test_shared_indicator_tells_the_open_incident_once(make):
    services = make()
    ingest(services, [finding(id="linked")])
    linked = SqlFindingRepository(services.db).by_finding_id("linked")
    incident = triage.declare_incident(services, linked.pk, "U1", origin_channel="C-ORIGIN")
    other = finding(id="other", type="UnauthorizedAccess:EC2/SSHBruteForce", resources=[],
                    indicators={"ip": ["198.51.100.7"], "domain": [], "access_key_id": [], "principal": [],
                                "instance_id": []})
    ingest(services, [other])
    ingest(services, [finding(**{**other.__dict__, "updated_at": "2026-03-01T00:00:00.000Z"})])
    [match] = services.notifier.indicators
    assert (match.incident_id, match.channel, match.finding_id) == (incident.id, "C-ORIGIN", "other")
    assert match.shared == [("ip", "198.51.100.7")]
    entries = [e for e in services.incidents.timeline(incident.id) if e.kind == "indicator"]
    assert len(entries) == 1 and "Also seen in finding other" in entries[0].text


def test_overlong_id_is_rejected_with_a_reason(make):
    summary = ingest(make(), [finding(id="x" * 600)])
    assert summary.new == 0 and "longer than 512" in summary.rejected[0].reason


def test_one_batch_routed_before_it_is_stored_keeps_dedup_snoozes_suppression_and_digests(make, clock):
    """New findings are inserted once, already placed: what is read back from the database
    is what routing decided, in the batch's order, with repeats and known ids among them."""
    services = make(after=1, routes=[{"name": "sandbox", "match": {"account": ["111122223333"]},
                                      "action": "suppress"}])
    ingest(services, [finding(id="known", resources=[{"type": "AwsEc2Instance", "id": "i-0snz"}])])
    store = SqlFindingRepository(services.db)
    triage.snooze(services, store.by_finding_id("known").pk, "U1", "type:1d")
    clock.advance(seconds=300)  # a new digest window, its one individual slot free
    shown = len(services.notifier.findings)
    summary = ingest(services, [
        finding(id="alone", resources=[{"type": "AwsEc2Instance", "id": "i-1"}]),
        finding(id="sandboxed", account="111122223333"),
        finding(id="held", resources=[{"type": "AwsEc2Instance", "id": "i-0snz"}]),  # the snoozed type there
        finding(id="known", count=5, updated_at="2026-01-02T00:00:00.000Z",
                resources=[{"type": "AwsEc2Instance", "id": "i-0snz"}]),  # shown already: not placed again
        finding(id="grouped", resources=[{"type": "AwsEc2Instance", "id": "i-2"}]),  # past the 1 alone
        finding(id="alone", count=2, updated_at="2026-01-02T00:00:00.000Z",
                resources=[{"type": "AwsEc2Instance", "id": "i-1"}]),  # a newer copy of a new one
        finding(id="grouped", resources=[{"type": "AwsEc2Instance", "id": "i-2"}]),  # an equal copy
    ])
    assert (summary.new, summary.updated, summary.unchanged) == (4, 2, 1)
    assert (summary.suppressed, summary.snoozed, summary.digested) == (1, 2, 1)  # snoozed: held, and known itself
    assert store.count() == 5
    got = {i: store.by_finding_id(i) for i in ("alone", "sandboxed", "held", "known", "grouped")}
    assert (got["alone"].status, got["alone"].channel, got["alone"].count) == ("open", "security-triage", 2)
    assert (got["sandboxed"].status, got["sandboxed"].route, got["sandboxed"].channel) == ("suppressed", "sandbox",
                                                                                          None)
    assert (got["held"].status, got["held"].channel, got["held"].digest_id) == ("snoozed", None, None)
    assert (got["known"].count, got["known"].status, got["known"].channel) == (5, "snoozed", "security-triage")
    digest = services.notifier.digests[-1]
    assert (got["grouped"].channel, got["grouped"].digest_id, digest.size) == (None, digest.id, 1)
    assert all(got[i].revision == 1 for i in ("sandboxed", "held", "grouped"))  # placed as inserted
    assert [f.finding_id for f in services.notifier.findings[shown:]] == ["alone", "known"]


def test_a_new_finding_stored_meanwhile_by_another_writer_is_taken_again_as_known(make, monkeypatch):
    """Replicas: another worker commits a finding after this transaction looked its id up. The
    insert skips it, the transaction is rolled back and run again, and the finding is then
    an update like any copy already stored: one row, counted once, shown once."""
    from store.findings.ingest import IngestTx

    services = make()
    ingest(services, [finding(id="raced")])
    stored_keys, missed = IngestTx._stored_keys, []

    def not_yet_seen(tx, keys):  # the first lookup ran before the other worker's commit
        found = stored_keys(tx, keys)
        if not missed:
            missed.append(found)
            return set()
        return found

    monkeypatch.setattr(IngestTx, "_stored_keys", not_yet_seen)
    shown = len(services.notifier.findings)
    summary = ingest(services, [finding(id="fresh"), finding(id="raced", count=7,
                                                             updated_at="2026-01-05T00:00:00.000Z")])
    assert missed and (summary.new, summary.updated, summary.unchanged) == (1, 1, 0)
    store = SqlFindingRepository(services.db)
    assert store.count() == 2 and store.by_finding_id("raced").count == 7
    assert sorted(f.finding_id for f in services.notifier.findings[shown:]) == ["fresh", "raced"]


def test_workers_ingesting_the_same_new_batch_at_once_store_and_show_each_finding_once(make):
    """Replicas, each with its own engine, take the same batch at the same moment: whoever
    loses the race for a finding sees it as known (on PostgreSQL after a retry)."""
    import threading

    workers = [make(after=100) for _ in range(4)]
    batch = [finding(id=f"r{i}") for i in range(30)]
    barrier, summaries, errors = threading.Barrier(len(workers)), [], []

    def work(services):
        barrier.wait()
        try:
            summaries.append(ingest(services, batch))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(services,)) for services in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(s.new for s in summaries) == 30 and sum(s.unchanged for s in summaries) == 90
    assert SqlFindingRepository(workers[0].db).count() == 30
    assert sorted(f.finding_id for w in workers for f in w.notifier.findings) == sorted(f.id for f in batch)
