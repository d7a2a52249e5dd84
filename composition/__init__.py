"""The composition root: the one place that knows every layer.

It builds each adapter exactly once per process — database and repositories, clock, Slack
clients, chat/notifier/board, one AWS session factory and everything on top of it, the
detection rules and playbooks — and hands a complete, immutable `Services` to whatever
runs. Core, store, aws, handlers and local never construct each other; they receive what
they need from here (the import-linter contract in .importlinter keeps it so)."""

from __future__ import annotations

import functools
import logging
from concurrent.futures import ThreadPoolExecutor
import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

from aws.actions.registry import READ_THREADS, AwsCatalog
from composition.browser import browser_view
from composition.clock import LocalClock, holder_id
from composition.events import publisher
from composition.sandbox import guard as sandbox_guard
from composition.startup import SlackStartup
from composition.work_pool import WorkPool
from aws.archive import S3Archive
from aws.audit_anchor import S3Anchor
from aws.evidence_reader import AwsEvidenceReader
from aws.email import SnsEmail
from aws.findings_sources import SqsWorker, queue_region, security_hub_polls
from aws.investigate import CloudTrailHistory
from aws.investigate_queries import log_queries
from aws.notify import sns_pager
from aws.sandbox import Sandbox as AwsSandbox
from aws.sessions import AwsSessions
from aws.support_cases import AwsSecurityIr, AwsSupportDesk
from aws.writeback import AwsWriteBack
from core.audit.chain import AuditKey, audit_key
from core.integrity import JOBS, Seal
from core.communications import aws_cases, regulatory
from core.communications.ports import Outreach
from core.chat_budget import ChatBudget, MemoryBudget
from core.clock import SystemClock
from core.containment import service as containment
from core.findings.cloudtrail_rules import configured_rules
from core.findings.delivery import FindingDelivery
from core.jobs import Policy, Worker
from core.nulls import (NoAnchor, NoArchive, NoBoard, NoCatalog, NoChat, NoDirectory, NoEventHistory, NoEvidenceReader,
                        NoFetch, NoNotices, NoNotifier, NoPager, NoSandbox, NoWorkPool, NoWriteBack)
from core.drills.loader import Library as DrillLibrary, library as drill_library
from core.investigation.pack import load as query_pack
from core.playbooks.loader import load_playbooks
from core.ports import Repositories
from core.services import Clock, Services
from core.settings import Settings
from handlers import job_routes
from handlers.app import build_app, build_client, startup_client
from handlers.chat import SlackChat
from handlers.communications.sender import SlackStakeholders
from handlers.containment.board import SlackBoard
from handlers.directory import SlackDirectory
from handlers.findings.notifier import SlackTriageSender
from handlers.slack_endpoint import SlackEndpoint
from handlers.identity import BotIdentity
from handlers.jobs.dispatch import Dispatcher
from handlers.outbox import Outbox, outbox_client
from handlers.slack_budget import BudgetedClient
from handlers.scheduling.notices import SlackNotices
from handlers.startup import ask_identity
from web.app import WebApp
from web.metrics import PrometheusTelemetry
from web.sns_https import https_get
from web.server import RunningServer
from local.workspace import LocalWorkspace
from outbound.paging import HttpPaging
from store import migrate
from store.incidents.action_items import SqlActionItemRepository
from store.communications.repository import SqlCommunicationsRepository
from store.containment.repository import SqlContainmentRepository
from store.audit.head_file import HeadFile, default_path as default_head_file
from store.audit.repository import SqlAuditRepository
from store.chat_budget import SqlChatBudget
from store.containment.lease import SqlExecutionLeaseRepository
from store.db import Database
from store.evidence.repository import SqlEvidenceRepository
from store.findings.intake import SqlIntakeRepository
from store.findings.state import SqlFindingStateRepository
from store.findings.repository import SqlFindingRepository
from store.incidents.repository import SqlIncidentRepository
from store.jobs import SqlJobRepository
from store.reports.repository import SqlReportQueryRepository
from store.scheduling.repository import SqlClockLeaseRepository, SqlClockQueryRepository, SqlNoticeRepository

log = logging.getLogger("firebreak")


@dataclass(frozen=True)
class Process:
    """One process's wiring: the services, and what only the root may hold (the Slack app,
    the WSGI front door, the job dispatcher, the AWS session factory). A process that
    confirms its Slack token (`slack_check`, run by composition.startup.SlackStartup) starts
    what needs Slack (`on_slack`) once Slack has answered."""

    services: Services
    aws: AwsSessions
    bolt: Any = None  # slack_bolt.App when serving Slack; a worker has none
    web: WebApp | None = None
    dispatcher: Dispatcher | None = None  # runs the jobs' typed commands (no Bolt), for workers
    identity: BotIdentity | None = None  # the bot's ids, as Bolt learns them (with `bolt`)
    slack_check: Callable[[], dict] | None = None  # auth.test; None: nothing to confirm
    on_slack: tuple[Callable[[], object], ...] = ()  # what waits for Slack's first answer

    def slack_answered(self, answer: dict) -> None:
        """Slack confirmed the token (auth.test's answer): start what waited for it."""
        if self.identity is not None:
            self.identity.learned(answer)
        for start in self.on_slack:
            start()

    def drain(self) -> None:
        self.services.drain()


def job_worker(process: Process, *, threads: int, policy: Policy | None = None) -> Worker:
    """Job workers (not started): they run the work the web side acknowledged and enqueued."""
    return Worker(process.services.repos.jobs, process.dispatcher.execute, holder_id(), threads=threads,
                  policy=policy or Policy())


def repositories(db: Database, key: AuditKey | None = None, head_file: Path | None = None) -> Repositories:
    # One chain, keyed when FIREBREAK_AUDIT_KEY is set; then its head is also kept (MAC'd) in a
    # file outside the database, so deleting or cutting the chain is caught with the key alone.
    audit = SqlAuditRepository(db, key, HeadFile(head_file or default_head_file(db.url), key) if key else None)
    return Repositories(
        incidents=SqlIncidentRepository(db),
        findings=SqlFindingRepository(db), finding_state=SqlFindingStateRepository(db),
        intake=SqlIntakeRepository(db), containment=SqlContainmentRepository(db, audit),
        leases=SqlExecutionLeaseRepository(db), audit=audit,
        action_items=SqlActionItemRepository(db), clock_leases=SqlClockLeaseRepository(db),
        notices=SqlNoticeRepository(db), clock_queries=SqlClockQueryRepository(db),
        jobs=SqlJobRepository(db, Seal(key, JOBS)),  # each job sealed with a key derived from the audit key
        communications=SqlCommunicationsRepository(db), evidence=SqlEvidenceRepository(db, audit),
        reports=SqlReportQueryRepository(db))


def null_ports() -> dict[str, Any]:
    """Every port's null object (core/nulls.py): what a process has of each outside world until
    the root connects it, so no Services field is ever None."""
    return dict(directory=NoDirectory(), chat=NoChat(), notifier=NoNotifier(), notices=NoNotices(), board=NoBoard(),
                catalog=NoCatalog(), event_history=NoEventHistory(), writeback=NoWriteBack(), archive=NoArchive(),
                pager=NoPager(), evidence_reader=NoEvidenceReader(), anchor=NoAnchor(), executor=NoWorkPool(),
                outreach=Outreach(), fetch_url=NoFetch(), sandbox=NoSandbox())


@dataclass(frozen=True)
class Loaded:
    """What the configuration names on disk, read once per process."""

    playbooks: Mapping[str, Any]
    rules: tuple
    drills: DrillLibrary
    templates: Mapping[tuple[str, str], Any]


def load_files(cfg) -> Loaded:
    """Playbooks, detection rules, drill scenarios (a broken one is told, not fatal) and the
    SQL query pack (checked with the config), read once here, never per command."""
    playbooks = load_playbooks(cfg.playbooks.path, cfg.incidents)
    rules = tuple(configured_rules(cfg))
    drills = drill_library(cfg.incidents, playbooks, rules)
    if drills.problems:
        log.warning("drill scenarios not available: %s", "; ".join(drills.problems))
    engines = [e for e in cfg.investigation.enabled() if e != "cloudtrail"]
    templates = query_pack(cfg.investigation.queries_path, engines) if engines else {}
    return Loaded(playbooks, rules, drills, templates)


def aws_ports(cfg, sessions: AwsSessions, ports: dict[str, Any], key: AuditKey | None = None) -> AwsCatalog:
    """Every AWS adapter over the one session factory; returns the catalog (closed on drain)."""
    cases = dict(support=AwsSupportDesk(sessions), security_ir=AwsSecurityIr(sessions, cfg.communications.aws_ir.region))
    catalog = AwsCatalog(sessions, cfg.containment, cfg.remediation, cfg.evidence,
                         reads=ThreadPoolExecutor(max_workers=READ_THREADS, thread_name_prefix="aws-read"))
    ports.update(
        catalog=catalog, writeback=AwsWriteBack(sessions), evidence_reader=AwsEvidenceReader(sessions, cfg.evidence.owner_of),
        event_history=CloudTrailHistory(sessions), log_queries=log_queries(sessions, cfg.investigation),
        outreach=Outreach(email=SnsEmail(sessions), paging=HttpPaging(), **cases),
        finding_polls=security_hub_polls(sessions, cfg.findings.securityhub_poll), fetch_url=https_get)
    if cfg.postmortem.s3_bucket:
        ports["archive"] = S3Archive(sessions)
    if cfg.audit.anchor.s3_bucket:
        ports["anchor"] = S3Anchor(sessions, cfg.audit.anchor, key)
    if cfg.scheduling.escalation.sns_topic_arn:
        ports["pager"] = sns_pager(sessions, cfg.scheduling.escalation.sns_topic_arn)
    return catalog


def slack_clients(settings: Settings, budget: ChatBudget | None) -> tuple[Any, Any]:
    """(the Web API client of urgent sends, the findings outbox's client). With a shared
    budget (PostgreSQL: several processes) both claim their turns in it, the first waiting
    for them; without one (SQLite: one process) the outbox alone paces, as before."""
    token, url = settings.secrets.slack_bot_token, settings.secrets.slack_api_url
    if budget is None:
        return build_client(token, url), outbox_client(token, url)
    cfg = settings.config
    base, pace, tiers = (url or "https://slack.com/api/").rstrip("/") + "/", cfg.findings.digest.pace_seconds, \
        cfg.slack.method_tiers
    return (BudgetedClient(token, base, budget, pace=pace, urgent=True, channels=True, tiers=tiers),
            BudgetedClient(token, base, budget, pace=pace, urgent=False, channels=False, tiers=tiers))


def chat_budget(db: Database) -> ChatBudget | None:
    """The deployment's one Slack budget: in the database where processes share one (PostgreSQL);
    None for SQLite, one process, whose outbox keeps its budget in memory."""
    return None if db.is_sqlite else SqlChatBudget(db)


def slack_ports(settings: Settings, repos: Repositories, clock: Clock, ports: dict[str, Any], *,
                paused: bool, budget: ChatBudget | None = None) -> tuple[Any, Outbox]:
    """Every Slack adapter over one Web API client; returns (client, the findings outbox),
    the outbox paused until Slack has confirmed the token when `paused`."""
    cfg = settings.config
    outbox = Outbox(cfg.findings.digest.pace_seconds, paused=paused, budget=budget or MemoryBudget())
    client, paced_client = slack_clients(settings, budget)
    directory = SlackDirectory(client, ttl_seconds=cfg.slack.group_cache_seconds)
    ports.update(
        directory=directory, notices=SlackNotices(client),
        chat=SlackChat(client, cfg, directory, clocks=lambda incident: regulatory.summary_items(
            repos.communications, cfg.communications, incident),
            cases=lambda incident: aws_cases.summary_items(repos.communications, incident)),
        board=SlackBoard(client),
        notifier=FindingDelivery(repos.findings, repos.finding_state, repos.incidents, clock, SlackTriageSender(
            paced_client, outbox),
            digest_top=cfg.findings.digest.top),
        outreach=dataclasses.replace(ports["outreach"], chat=SlackStakeholders(client, directory)))
    return client, outbox


def build(settings: Settings, *, clock: Clock | None = None, auto_migrate: bool | None = None,
          slack_app: bool = False, runs_jobs: bool = False, confirm_slack: bool = False,
          local_sandbox: AwsSandbox | None = None, local_login: Mapping[str, str] | None = None,
          **overrides: Any) -> Process:
    """Everything a process needs. `runs_jobs` adds the job dispatcher (typed commands to
    their handlers, over the Web API client: no Bolt app); `slack_app` adds the Bolt app and
    the HTTP front door too; `overrides` replace any Services field (tests hand in fakes
    this way, never afterwards); `local_sandbox` points every AWS call at the AWS sandbox.
    With a Slack token, `confirm_slack` (implied by the other two) makes what needs Slack wait
    until the token is confirmed (Process.slack_check, then Process.slack_answered): the
    findings outbox is paused, and the recoveries at start run then; nothing calls Slack
    while building, so a process starts while Slack is failing.

    SQLite is migrated automatically, PostgreSQL only by `bot.py migrate` (so replicas never
    race on schema changes). `local_sandbox`: the AWS sandbox this process started (the local
    workspace without credentials); every AWS call goes there, with its credentials.
    `local_login`: the local workspace's people by name, who sign in to the browser view
    (/ui) with its local form; otherwise /ui follows `ui.enabled` (OIDC)."""
    cfg, secrets = settings.config, settings.secrets
    loaded = load_files(cfg)
    db = Database(secrets.database_url)
    if auto_migrate if auto_migrate is not None else db.is_sqlite:
        migrate.upgrade(db)
    repos = repositories(db, audit_key(secrets.audit_key),
                         Path(cfg.audit.head_file) if cfg.audit.head_file else None)
    clock = clock or SystemClock()

    endpoint = local_sandbox.aws_endpoint() if local_sandbox is not None else None
    sessions = AwsSessions(cfg.aws, accounts=cfg.containment.accounts, endpoint=endpoint)
    ports = null_ports()
    catalog = aws_ports(cfg, sessions, ports, audit_key(secrets.audit_key))
    if (sandbox := sandbox_guard(local_sandbox, endpoint)) is not None:
        ports["sandbox"] = sandbox
    runs_jobs = runs_jobs or slack_app  # a Slack app's process may run its jobs too (serve --with-worker, local)
    confirms = bool(secrets.slack_bot_token) and (runs_jobs or confirm_slack)
    client, outbox = slack_ports(settings, repos, clock, ports, paused=confirms, budget=chat_budget(db)) \
        if secrets.slack_bot_token else (None, None)
    if runs_jobs:
        # Our own pool for work after the ack, so shutdown can drain it (see Services.drain).
        ports["executor"] = WorkPool(cfg.server.threads)
    missing = sorted(name for name, port in overrides.items() if port is None)
    if missing:
        raise TypeError(f"no port is None: pass a null object (core/nulls.py) for {', '.join(missing)}")
    ports.update(drills=loaded.drills, query_templates=loaded.templates)
    ports.update(overrides)
    ports["closers"] = (repos.jobs.close, catalog.close, *ports.get("closers", ()))
    ports.setdefault("events", publisher())
    services = Services(settings=settings, db=db, repos=repos, clock=clock, telemetry=PrometheusTelemetry(),
                        playbooks=loaded.playbooks, detection_rules=loaded.rules, **ports)
    return _process(services, sessions, client, outbox, slack_app=slack_app, runs_jobs=runs_jobs, confirms=confirms,
                    local_login=local_login)


def _process(services: Services, sessions: AwsSessions, client, outbox: Outbox | None, *, slack_app: bool,
             runs_jobs: bool, confirms: bool, local_login: Mapping[str, str] | None = None) -> Process:
    """The process around the services: what waits for Slack's first answer, the job
    dispatcher, and for a Slack app the Bolt app and the HTTP front door."""
    secrets = services.settings.secrets
    on_slack: list[Callable[[], object]] = [outbox.resume] if outbox is not None else []
    on_slack.append(lambda: _recover_notifier(services))  # what Slack did not show before a restart
    if runs_jobs:  # settle what a crashed process left (the clock does it later too)
        on_slack.append(lambda: services.executor.submit(_recover_containment, services))
    check = None
    if confirms:
        token, url = secrets.slack_bot_token, secrets.slack_api_url
        check = lambda: ask_identity(startup_client(token, url))  # noqa: E731
    else:  # nothing to confirm: what needs Slack starts now
        for start in on_slack:
            start()
    waiting = tuple(on_slack) if confirms else ()
    client = client or build_client("", secrets.slack_api_url)
    dispatcher = Dispatcher(services, client, job_routes(), Seal(audit_key(secrets.audit_key), JOBS)) if runs_jobs else None
    if not slack_app:  # a worker: the jobs' typed commands and the Web API client, no Bolt app
        return Process(services, sessions, dispatcher=dispatcher, slack_check=check, on_slack=waiting)
    identity = BotIdentity(secrets.slack_bot_token or "")
    bolt = build_app(services, client, identity)
    web = WebApp(SlackEndpoint(bolt, services), services, ui=browser_view(services, local_login)) \
        if secrets.slack_signing_secret else None
    return Process(services, sessions, bolt, web, dispatcher, identity, check, waiting)


def _recover_notifier(services: Services) -> None:
    recovered = services.notifier.recover()
    if recovered:
        log.info("queued %d finding message(s) that Slack did not show yet", recovered)


def _recover_containment(services: Services) -> None:
    try:
        settled = containment.recover(services)
    except Exception:  # noqa: BLE001 - logged; the clock's sweep tries again
        log.exception("containment recovery at start failed")
        return
    if settled:
        log.info("settled %d interrupted containment request(s)", settled)


def worker_process(settings: Settings) -> Process:
    """`bot.py worker`'s wiring: services, the job dispatcher and the Web API client. It
    builds no Bolt app: a job holds a typed command, never a Slack request to route."""
    return build(settings, runs_jobs=True)


def build_services(settings: Settings, **options: Any) -> Services:
    """Services for a command that serves no Slack requests (CLI, clock, worker, tests)."""
    return build(settings, **options).services


def migrate_database(settings: Settings) -> str:
    """Apply migrations; returns where (the URL without its password)."""
    db = Database(settings.secrets.database_url)
    try:
        migrate.upgrade(db)
        return db.engine.url.render_as_string(hide_password=True)
    finally:
        db.dispose()


def sqs_worker(process: Process, queue_url: str) -> SqsWorker:
    client = process.aws.client("sqs", region=queue_region(queue_url))
    return SqsWorker(process.services, client, queue_url)


@dataclass(frozen=True)
class RunningBot:
    """The bot serving HTTP on loopback, as the local workspace starts it."""

    process: Process
    server: RunningServer
    workers: Worker | None = None

    @property
    def services(self) -> Services:
        return self.process.services

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def bolt(self) -> Any:
        return self.process.bolt

    def stop(self) -> None:
        self.server.stop()
        if self.workers is not None:  # the jobs in hand finish; the rest wait in the database
            self.workers.stop()
        self.process.drain()


def start_bot(settings: Settings, *, clock: Clock | None, host: str, port: int, threads: int,
              overrides: dict | None = None, workers: int | None = None,
              policy: Policy | None = None, local_sandbox: AwsSandbox | None = None,
              local_login: Mapping[str, str] | None = None) -> RunningBot:
    """The bot serving HTTP; with `workers` (default: `threads`) job workers as threads beside
    it (0: it only acks and enqueues, like `bot.py serve`)."""
    process = build(settings, clock=clock, slack_app=True, local_sandbox=local_sandbox, local_login=local_login,
                    **(overrides or {}))
    if process.slack_check is not None:  # here Slack is the local one: confirm before serving
        SlackStartup(process).run()
    count = threads if workers is None else workers
    pool = job_worker(process, threads=count, policy=policy).start() if count else None
    try:
        server = RunningServer(process.web, host, port, threads).start()
    except BaseException:
        if pool is not None:
            pool.stop()
        raise
    return RunningBot(process, server, pool)


def local_workspace(settings: Settings, *, with_clock: bool = False, local_sandbox: AwsSandbox | None = None,
                    **options: Any) -> LocalWorkspace:
    """The embedded local default: fake Slack on loopback and the real bot, wired together;
    `with_clock` runs the scheduler beside them (reminders and escalations show up locally);
    `local_sandbox` is the AWS sandbox started for it (composition/sandbox.py)."""
    return LocalWorkspace(settings, functools.partial(start_bot, local_sandbox=local_sandbox),
                          start_clock=LocalClock if with_clock else None, **options)
