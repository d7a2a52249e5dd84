"""A findings storm handled by several workers at once on PostgreSQL: every worker is a
complete set of services (its own database engine, budget, outbox and Slack clients) in a
thread of this process, as `bot.py worker` processes would be, sharing one database and one
fake Slack. Measured on the fake Slack's own timestamps: no channel ever gets two messages
(posts or edits) closer than the pace, and no finding is lost or shown twice."""

import dataclasses
import threading

import pytest
from sqlalchemy import func, select

import composition
from core.findings.pipeline import ingest
from local.fake_slack import FakeSlack
from store.findings.models import FindingDigestRow, FindingRow
from tests.support.findings import finding, tuned

pytestmark = pytest.mark.postgres
CHANNELS = ("security-triage", "ops-findings")
OTHER_ACCOUNT = "222233334444"  # routed to ops-findings


@pytest.fixture
def fake():
    slack = FakeSlack(token="xoxb-storm").serve()
    for name in CHANNELS:
        slack.add_channel(name)
    yield slack
    slack.stop()


def _workers(settings, fake, count: int, pace: float) -> list:
    routed = tuned(settings, pace=pace, after=5, routes=[
        {"name": "ops", "match": {"account": [OTHER_ACCOUNT]}, "action": "post", "channel": "ops-findings"}])
    secrets = dataclasses.replace(routed.secrets, slack_bot_token=fake.token, slack_api_url=fake.api_url)
    slack = routed.config.slack.model_copy(update={"method_tiers": True})  # as shipped
    shipped = dataclasses.replace(routed, secrets=secrets, config=routed.config.model_copy(update={"slack": slack}))
    return [composition.build_services(shipped) for _ in range(count)]


def _storm(workers: list, total: int) -> None:
    """SQS-sized batches of 10, dealt round robin to the workers, all ingesting at once."""
    batches = [[finding(id=f"storm-{n}", title=f"probe {n}", account=OTHER_ACCOUNT if n % 2 else "123456789012")
                for n in range(start, min(start + 10, total))] for start in range(0, total, 10)]
    errors: list[BaseException] = []

    def consume(services, mine):
        try:
            for batch in mine:
                ingest(services, batch)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)

    threads = [threading.Thread(target=consume, args=(services, batches[k::len(workers)]))
               for k, services in enumerate(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors


def _gaps_per_channel(fake) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {}
    for call in fake.calls:
        if call.method in ("chat.postMessage", "chat.update"):
            times.setdefault(fake.channel_id(call.body["channel"]), []).append(call.at)
    return {cid: [b - a for a, b in zip(sorted(at), sorted(at)[1:])] for cid, at in times.items()}


def _run_storm(settings, fake, *, workers: int, total: int, pace: float) -> None:
    crew = _workers(settings, fake, workers, pace)
    try:
        _storm(crew, total)
        for services in crew:
            assert services.notifier.drain(120)
        db = crew[0].db
        with db.read() as session:
            assert session.scalar(select(func.count()).select_from(FindingRow)) == total  # none lost
            own = session.scalars(select(FindingRow.slack_ts).where(FindingRow.digest_id.is_(None))).all()
            digests = session.scalars(select(FindingDigestRow.slack_ts)).all()
            in_digests = session.scalar(select(func.count()).select_from(FindingRow)
                                        .where(FindingRow.digest_id.is_not(None)))
        assert all(own) and all(digests)  # every finding shown: on its own, or in a digest shown
        assert len(own) + in_digests == total
        posts = fake.calls_to("chat.postMessage")
        assert len(posts) == len(own) + len(digests)  # none posted twice
        assert len({p.body["text"] for p in posts}) == len(posts)
        assert crew[0].repos.finding_state.unshown() == ([], [])  # Slack shows the latest of each
        gaps = _gaps_per_channel(fake)
        assert set(gaps) == {fake.channel_id(name) for name in CHANNELS}
        for channel, between in gaps.items():
            assert min(between) >= pace, (channel, min(between))  # never two messages within the pace
    finally:
        for services in crew:
            services.drain()


@pytest.fixture
def postgres_settings(settings, is_postgres):
    if not is_postgres:
        pytest.skip("PostgreSQL-only: run with DATABASE_URL (SQLite deployments are one process)")
    return settings


@pytest.mark.parametrize("workers", [2, 4])
def test_a_storm_over_several_workers_keeps_each_channels_pace_and_shows_every_finding_once(
        postgres_settings, fake, workers):
    _run_storm(postgres_settings, fake, workers=workers, total=60, pace=0.15)


@pytest.mark.slow
@pytest.mark.parametrize("workers", [2, 4])
def test_a_2000_finding_storm_never_puts_two_messages_a_second_into_a_channel(postgres_settings, fake, workers):
    _run_storm(postgres_settings, fake, workers=workers, total=2000, pace=1.0)
