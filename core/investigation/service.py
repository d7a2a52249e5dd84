"""Answering an `/investigate` question: read-only, no approval, on the incident's timeline.

Three engines answer: CloudTrail's LookupEvents (the default), and for larger estates the
SQL query pack over Athena or CloudTrail Lake. A pack query runs asynchronously: it is
started, polled with a doubling interval (progress reported to the caller after each
poll), cancelled when it outlasts `investigation.timeout_seconds`, and its rows are
summarised exactly as LookupEvents' events are. The wait is measured on the process's
monotonic clock, not `services.clock` (like the job queue's leases, it is about a process
waiting on AWS, not about the incident's time)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Callable

from core.incidents import service as incidents
from core.access import require_responder
from core.errors import FirebreakError, UsageError
from core.investigation import pack
from core.investigation.model import MAX_HOURS, USAGE, Answer, Question
from core.investigation.ports import LogQueries, QueryState, Statement
from core.incidents.model import Incident
from core.services import Services

log = logging.getLogger("firebreak.investigation")
ENGINE_NAMES = {"cloudtrail": "CloudTrail", "athena": "Athena", "lake": "CloudTrail Lake"}
FINISHED = ("succeeded", "failed", "cancelled")


class QueryFailed(FirebreakError):
    """A pack query failed, was cancelled or timed out; the message says why."""


@dataclass(frozen=True)
class Progress:
    """How a running query is doing, after each poll (for the progress message)."""

    engine: str
    query_id: str
    state: str
    elapsed: float  # seconds since it started
    timeout: float
    scanned_bytes: int | None = None


def source_of(services: Services, question: Question) -> str:
    return question.source or services.config.investigation.default_source


def check(services: Services, question: Question) -> None:
    """What the ack checks beyond the text: the engine asked for is configured, and the
    window fits what it keeps. A UsageError says what to change."""
    source, cfg = source_of(services, question), services.config.investigation
    if source not in cfg.enabled():
        raise UsageError(f"--source {source} is not set up here: configure investigation.{source} "
                         f"(see config/default.yaml).", USAGE)
    if source == "cloudtrail" and question.hours > MAX_HOURS:
        raise UsageError(f"CloudTrail's event history keeps 90 days: --hours takes 1 to {MAX_HOURS} "
                         "(ask Athena or CloudTrail Lake with --source for more).", USAGE)


@dataclass(frozen=True)
class Place:
    """Where an answer may be seen. Only the incident's own channel sees it; asked anywhere
    else (a public channel, for a private incident) the asker alone sees the summary, and
    the events (the CSV, a query's progress) go to the incident's channel, or nowhere."""

    in_channel: bool  # the summary is shown to the channel it was asked in
    channel: str | None  # where the CSV and a running query's progress are posted


def place(incident: Incident | None, asked_in: str | None) -> Place:
    if incident is None or not incident.channel_id:
        return Place(False, None)
    return Place(asked_in == incident.channel_id, incident.channel_id)


def incident_for(services: Services, *, actor: str, channel: str | None, question: Question) -> Incident | None:
    """The incident a question is asked in or for (--incident), checked as any command is."""
    require_responder(actor, services.config.access.responders, services.directory)
    return _incident(services, actor, channel, question)


def investigate(services: Services, *, actor: str, channel: str | None, question: Question,
                progress: Callable[[Progress], None] | None = None,
                sleep: Callable[[float], None] = time.sleep,
                monotonic: Callable[[], float] = time.monotonic) -> tuple[Answer, Incident | None]:
    """Ask the configured engine about the subject; record the query (engine, parameters and
    result count, or why it failed) on the incident when it is asked in or for one."""
    require_responder(actor, services.config.access.responders, services.directory)
    check(services, question)
    incident = _incident(services, actor, channel, question)
    question = _where(services, incident, question)
    end = services.clock.now()
    start = end - timedelta(hours=question.hours)
    source = source_of(services, question)
    if source == "cloudtrail":
        return _lookup(services, actor, incident, question, start, end), incident
    engine = services.log_queries.get(source)
    if engine is None:
        raise FirebreakError(f"{ENGINE_NAMES[source]} is not available in this process.")
    statement = statement_for(services, source, question, start, end)
    answer = _query(services, engine, statement, actor, incident, question, start, end, progress, sleep, monotonic)
    return answer, incident


def _where(services: Services, incident: Incident | None, question: Question) -> Question:
    """Without --region/--account, ask where the incident's first finding came from (as
    containment does): its region, and its account when Firebreak can act there."""
    if incident is None or (question.region and question.account):
        return question
    found = next((f for f in services.repos.findings.linked(incident.id) if f.region or f.account), None)
    if found is None:
        return question
    account = question.account or (found.account if found.account in services.config.containment.accounts
                                    else None)
    return replace(question, region=question.region or found.region or None, account=account)


def _lookup(services, actor, incident, question, start, end) -> Answer:
    region = question.region or services.config.aws.default_region
    events, truncated = services.event_history.lookup(question, start=start, end=end, account=question.account,
                                                      region=region)
    answer = Answer(question, question.account, region, start, end, events, truncated)
    if incident is not None:
        services.incidents.add_timeline(
            incident.id, kind="investigation", actor=actor, at=end,
            text=(f"Investigated {question.subject} {question.value} over {question.hours} h in "
                  f"{question.account or 'Firebreak’s own account'}/{region}: {len(events)} event(s)"
                  + (" (more not read)" if truncated else "")),
            data={"subject": question.subject, "value": question.value, "hours": question.hours,
                  "account": question.account, "region": region, "events": len(events), "truncated": truncated,
                  "engine": "cloudtrail"})
    return answer


def statement_for(services: Services, engine: str, question: Question, start: datetime, end: datetime) -> Statement:
    """The pack's query for the subject, bound to the question. Every value is checked again
    here (a Question built by code, not parsed from text, gets no pass)."""
    from core.investigation.model import parse

    try:  # the same patterns as the command text: a value that could not be typed is refused
        parse(f"{question.subject} {question.value}")
    except UsageError:
        raise UsageError(f"“{question.value[:60]}” does not look like a {question.subject}.", USAGE) from None
    cfg = services.config.investigation
    template = services.query_templates[(engine, question.subject)]  # loaded once by the root
    shape = "%Y-%m-%dT%H:%M:%SZ" if engine == "athena" else "%Y-%m-%d %H:%M:%S"
    name = question.value.rsplit("/", 1)[-1] if question.subject == "principal" else question.value
    values = {"start": start.strftime(shape), "end": end.strftime(shape), "value": question.value, "name": name,
              "account": question.account or "", "region": question.region or ""}
    limit = str(cfg.max_results + 1)  # one more than is read: that row says "truncated"
    if engine == "athena":
        tokens = {"table": f'"{cfg.athena.database}"."{cfg.athena.table}"', "limit": limit}
    else:
        tokens = {"event_data_store": cfg.lake.store_id, "limit": limit}
    sql, parameters = pack.render(template, values, tokens)
    used = [s.text for s in template.segments if s.kind == "param"]
    asked = tuple((n, values[n]) for n in dict.fromkeys(used))
    return Statement(engine, question.subject, sql, parameters, asked)


def _query(services, engine: LogQueries, statement: Statement, actor, incident, question, start, end,
           progress, sleep, monotonic) -> Answer:
    cfg = services.config.investigation
    name = ENGINE_NAMES[statement.engine]
    query_id = None
    try:
        query_id = engine.start(statement)
        state = _wait(engine, query_id, cfg, progress, sleep, monotonic)
        if state.state != "succeeded":
            raise QueryFailed(f"The {name} query {query_id} {state.state}: {state.reason or 'no reason given'}")
        events, truncated = engine.results(query_id, cfg.max_results)
    except FirebreakError as exc:
        _record(services, actor, incident, question, statement, engine, query_id, end, failed=exc.message)
        raise
    answer = Answer(question, question.account, question.region or "", start, end, events, truncated,
                    engine=statement.engine, query_id=query_id)
    _record(services, actor, incident, question, statement, engine, query_id, end, events=len(events),
            truncated=truncated)
    return answer


def _wait(engine: LogQueries, query_id: str, cfg, progress, sleep, monotonic) -> QueryState:
    started, delay = monotonic(), cfg.poll_seconds
    while True:
        state = engine.state(query_id)
        elapsed = monotonic() - started
        if progress is not None:
            try:
                progress(Progress(engine.engine, query_id, state.state, elapsed, cfg.timeout_seconds,
                                  state.scanned_bytes))
            except Exception:  # noqa: BLE001 - a progress message that cannot be shown stops nothing
                log.warning("could not show the progress of query %s", query_id, exc_info=True)
        if state.state in FINISHED:
            return state
        if elapsed >= cfg.timeout_seconds:
            try:
                engine.cancel(query_id)
                cancelled = "it was cancelled"
            except FirebreakError as exc:
                cancelled = f"cancelling it failed too: {exc.message}"
            raise QueryFailed(f"The {ENGINE_NAMES[engine.engine]} query {query_id} timed out after "
                              f"{cfg.timeout_seconds:g} s (investigation.timeout_seconds); {cancelled}. "
                              "Narrow --hours, or raise the timeout.")
        sleep(min(delay, max(cfg.timeout_seconds - elapsed, 0.0)))
        delay = min(delay * 2, cfg.poll_max_seconds)


def _record(services, actor, incident, question, statement, engine, query_id, at, *, events=0, truncated=False,
            failed: str | None = None) -> None:
    if incident is None:
        return
    name = ENGINE_NAMES[statement.engine]
    outcome = f"failed: {failed}" if failed else f"{events} event(s)" + (" (more not read)" if truncated else "")
    services.incidents.add_timeline(
        incident.id, kind="investigation", actor=actor, at=at,
        text=(f"Queried {name} ({engine.where}) for {question.subject} {question.value} over {question.hours} h"
              f" with {', '.join(f'{n}={v!r}' for n, v in statement.asked)}: {outcome}")[:3000],
        data={"subject": question.subject, "value": question.value, "hours": question.hours,
              "account": question.account, "region": question.region, "engine": statement.engine,
              "query_id": query_id, "where": engine.where, "parameters": dict(statement.asked),
              "sql": statement.sql, "execution_parameters": list(statement.parameters),
              "events": events, "truncated": truncated, "failed": failed})


def _incident(services: Services, actor: str, channel: str | None, question: Question) -> Incident | None:
    if question.incident:
        return incidents.find(services, actor=actor, channel=channel, ref=question.incident)
    return services.incidents.by_channel(channel) if channel else None
