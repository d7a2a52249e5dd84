"""Firebreak's composition root and command line.

Load settings → build services → build the Bolt app → run one mode. Every failure a user
can cause (bad config, missing credentials, unreachable database) ends in a plain message
and a non-zero exit code, never a stack trace.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys

EXIT_FAILURE = 1

log = logging.getLogger("firebreak")


# ---------------------------------------------------------------------- helpers
def _configure_logging() -> None:
    from core.logs import configure

    configure(os.environ.get("FIREBREAK_LOG_LEVEL", "INFO"))


def _settings(args: argparse.Namespace):
    from core.settings import load_settings

    return load_settings(getattr(args, "config", None))


def _fail(message: str, code: int = EXIT_FAILURE) -> int:
    print(f"firebreak: {message}", file=sys.stderr)
    return code


# ---------------------------------------------------------------------- commands
def cmd_default(args: argparse.Namespace) -> int:
    """Serve if Slack credentials are set; otherwise the embedded local workspace."""
    if os.environ.get("SLACK_BOT_TOKEN") and os.environ.get("SLACK_SIGNING_SECRET"):
        args.host = args.port = None
        return cmd_serve(args)
    print("No SLACK_BOT_TOKEN/SLACK_SIGNING_SECRET set: starting the embedded local workspace.\n"
          "(Set both, or see README 'Connecting to Slack', to serve a real workspace.)")
    args.no_console = False
    args.port = 0
    return cmd_local(args)


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve at once; Slack confirms the bot token in the background (composition.startup):
    /healthz answers and Slack requests are acknowledged and queued while Slack is failing."""
    import composition
    from composition.startup import SlackStartup
    from web.app import MetricsApp
    from web.server import RunningServer, start_metrics_server

    settings = _settings(args)
    missing = [name for name, value in (("SLACK_BOT_TOKEN", settings.secrets.slack_bot_token),
                                        ("SLACK_SIGNING_SECRET", settings.secrets.slack_signing_secret))
               if not value]
    if missing:
        return _fail(f"serve needs {' and '.join(missing)} in the environment "
                     "(or run `python bot.py` without them for the local workspace).")
    process = composition.build(settings, slack_app=True)
    server_cfg = settings.config.server
    host = args.host or server_cfg.host
    port = args.port if args.port is not None else int(os.environ.get("PORT") or server_cfg.port)
    server = RunningServer.from_config(process.web, server_cfg, host, port)
    workers = None
    if getattr(args, "with_worker", False):  # one process for small teams: it runs its jobs too
        workers = composition.job_worker(process, threads=args.worker_threads or server_cfg.threads)
    log.info("serving Slack requests on %s/slack/events (health: /healthz)%s", server.url,
             "; running jobs too once Slack answers" if workers else "; jobs are run by `bot.py worker`")
    metrics = start_metrics_server(MetricsApp(process.services), server_cfg)

    def halt(*_):
        for running in (metrics, server):
            if running:
                running.stop()

    signal.signal(signal.SIGTERM, halt)
    startup = SlackStartup(process, then=[workers.start] if workers else [], on_refused=halt,
                           waiting="/healthz answers; Slack requests are acknowledged and queued, "
                                   "events get 503 until then").start()
    try:
        server.run_forever()
    finally:
        startup.stop()
        if workers is not None:
            workers.stop()
        process.drain()
    startup.raise_if_refused()
    return 0


def cmd_socket(args: argparse.Namespace) -> int:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    import composition
    from composition.startup import SlackStartup

    settings = _settings(args)
    if not (settings.secrets.slack_app_token and settings.secrets.slack_bot_token):
        return _fail("socket needs SLACK_APP_TOKEN (xapp-…, connections:write) and SLACK_BOT_TOKEN.")
    process = composition.build(settings, slack_app=True)
    try:
        SlackStartup(process).run()  # Socket Mode is Slack itself: wait for Slack here, retrying
        SocketModeHandler(process.bolt, settings.secrets.slack_app_token).start()
    finally:
        process.drain()
    return 0


def cmd_local(args: argparse.Namespace) -> int:
    from composition import sandbox
    from core.settings import PROJECT_ROOT
    from local.console import Console, quiet_libraries

    settings = _settings(args)
    if not args.no_console:  # migrations, HTTP and scheduler chatter would bury the chat
        quiet_libraries()
    # The fake workspace is kept beside the default SQLite file so incidents and their
    # channels stay together between runs; with another database it starts fresh.
    state = PROJECT_ROOT / "var" / "local-slack.json" if not settings.secrets.database_url else None
    # The clock runs here too, so reminders and SLA escalations show up (`:clock +30m`).
    # Without AWS credentials (and no AWS_ENDPOINT_URL) an AWS sandbox starts first and
    # every AWS call of this process goes to it; with them nothing changes.
    workspace, local_aws = sandbox.local_workspace(settings, port=args.port or 0, state_file=state,
                                                   with_clock=True, progress=lambda text: print(text, flush=True))
    try:
        if args.no_console:
            print(f"Local workspace: bot at {workspace.url}, fake Slack API at {workspace.fake.api_url}. "
                  "Ctrl-C stops it.", flush=True)
            print(*workspace.notices, sep="\n", flush=True)
            signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt))
            signal.pause()
        else:
            Console(workspace).run()
    except KeyboardInterrupt:
        pass
    finally:
        workspace.stop()
        local_aws.stop()
    return 0


def cmd_sandbox(args: argparse.Namespace) -> int:
    """The AWS sandbox on its own: moto on loopback, seeded; prints endpoint and inventory."""
    from composition import sandbox

    print("Starting the AWS sandbox (moto) and seeding it ...", flush=True)
    running = sandbox.start(port=args.port)
    try:
        print(f"AWS sandbox at {running.endpoint} (account {running.inventory.account}, "
              f"region {running.inventory.region}). Inventory:")
        print("\n".join(running.inventory.lines()[1:]))
        print(f"\nPoint the bot at it (in another terminal):\n  AWS_ENDPOINT_URL={running.endpoint} "
              "AWS_ACCESS_KEY_ID=sandbox AWS_SECRET_ACCESS_KEY=sandbox python bot.py serve\n"
              f"(inventory recorded in {sandbox.INVENTORY_FILE}; drills act only here). Ctrl-C stops it.", flush=True)
        signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt))
        signal.pause()
    except KeyboardInterrupt:
        pass
    finally:
        running.stop()
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    import composition

    where = composition.migrate_database(_settings(args))
    print(f"Database schema is current ({where}).")
    return 0


def cmd_check_config(args: argparse.Namespace) -> int:
    from core.settings import load_settings

    path = args.path or os.environ.get("FIREBREAK_CONFIG")
    settings = load_settings(path)
    from core.findings.cli import load_detection_rules

    from core.errors import ConfigError
    from core.playbooks.loader import load_playbooks

    problems: list[str] = []
    rules = playbooks = ()
    try:
        rules = load_detection_rules(settings.config)
    except ConfigError as exc:
        problems += exc.problems
    try:
        playbooks = load_playbooks(settings.config.playbooks.path, settings.config.incidents)
    except ConfigError as exc:
        problems += exc.problems
    from core.scheduling.config import problems as scheduling_problems
    from core.drills.loader import DIRECTORY as DRILLS, load_scenarios

    drills = {}
    try:
        drills = load_scenarios(settings.config.incidents, playbooks, rules)
    except ConfigError as exc:
        problems += exc.problems

    problems += scheduling_problems(settings.config)
    if problems:
        raise ConfigError(problems)
    print("Configuration is valid: " + " + ".join(str(p) for p in settings.sources))
    print(f"CloudTrail detection rules: {len(rules)} from {settings.config.findings.cloudtrail_rules_path}")
    print(f"Playbooks: {len(playbooks)} from {settings.config.playbooks.path}: {', '.join(sorted(playbooks))}")
    print(f"Drill scenarios: {len(drills)} from {DRILLS}: {', '.join(sorted(drills))}")
    from core.audit.config import audit_warnings
    from core.risks import risky_settings

    warnings = risky_settings(settings.config) + audit_warnings(settings.secrets.audit_key)
    print("".join(f"warning: {w}\n" for w in warnings), end="")
    return 0


def cmd_drill_list(args: argparse.Namespace) -> int:
    from composition import build_services
    from core.drills import runner

    services = build_services(_settings(args), chat=None, notifier=None)
    try:
        print("\n".join(runner.listing(services)))
    finally:
        services.drain()
    return 0


def cmd_drill_run(args: argparse.Namespace) -> int:
    """Start a drill (posted to Slack when SLACK_BOT_TOKEN is set) and deliver its findings on
    their schedule; the clock delivers what is left if this stops early."""
    import time

    from core.drills import runner
    from core.mentions import as_text

    process = _findings_process(args)
    services = process.services
    try:
        incident = runner.start(services, args.scenario, actor=args.actor)
        print(f"[DRILL] {args.scenario}: incident #{incident.id}"
              + (f" in #{incident.channel_name}" if incident.channel_name else "")
              + ("; containment acts in the AWS sandbox" if incident.drill.get("sandbox")
                 else f"; containment is dry-run only: {incident.drill.get('dry_run_reason')}"), flush=True)
        while args.wait and (current := services.incidents.get(incident.id)) and current.drill.get("pending"):
            time.sleep(2)
            delivered = runner.deliver_due(services, incident.id)
            if delivered:
                print(f"delivered {delivered} finding(s)", flush=True)
        print(as_text("Findings delivered so far: "
                      f"{len(services.incidents.get(incident.id).drill.get('delivered', []))}"))
    finally:
        process.drain()
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from composition import build_services
    from core.incidents import postmortem, timeline
    from core.evidence import custody
    from core.errors import UsageError

    reference = args.incident.lstrip("#")
    if not reference.isdigit():
        raise UsageError(f"“{args.incident}” is not an incident number (e.g. 42).")
    services = build_services(_settings(args), chat=None, notifier=None)
    try:
        incident, entries = timeline.load(services, int(reference))
        text = (timeline.to_json(incident, entries, [custody.as_dict(i) for i in custody.manifest(services, incident.id)])
                if args.format == "json"
                else postmortem.for_incident(services, incident))
    finally:
        services.drain()
    sys.stdout.write(text.rstrip("\n") + "\n")
    return 0


def cmd_findings_normalize(args: argparse.Namespace) -> int:
    from core.findings.cli import normalize_command

    return normalize_command(_settings(args).config, args.file)


def _findings_process(args: argparse.Namespace, **options):
    """The wiring for intake outside the Slack server: Slack posting when a token is set."""
    import composition

    process = composition.build(_settings(args), **options)
    if process.services.notifier is None:
        log.warning("no SLACK_BOT_TOKEN: findings are stored and routed, Slack messages wait in the database")
    return process


def cmd_ingest(args: argparse.Namespace) -> int:
    from core.findings.cli import read_input
    from core.findings.ingest_cli import ingest_command

    text = read_input(args.file)  # a missing file is reported before anything starts
    process = _findings_process(args)
    try:
        return ingest_command(process.services, args.file, text)
    finally:
        process.drain()


def cmd_worker(args: argparse.Namespace) -> int:
    """Run the jobs the web processes acknowledged; also consume SQS findings when
    FINDINGS_QUEUE_URL is set. Findings are consumed at once; jobs start when Slack has
    confirmed the bot token (composition.startup), which is retried while Slack fails."""
    import threading

    import composition
    from composition.startup import SlackStartup
    from core.jobs import Policy

    settings = _settings(args)
    queue_url = os.environ.get("FINDINGS_QUEUE_URL")
    runs_jobs = bool(settings.secrets.slack_bot_token)
    if not (runs_jobs or queue_url):
        return _fail("worker needs SLACK_BOT_TOKEN (to run the jobs Slack requests leave) and/or "
                     "FINDINGS_QUEUE_URL (the SQS queue your findings arrive on).")
    if runs_jobs:
        process = composition.build(settings, slack_app=True)
    else:
        log.warning("no SLACK_BOT_TOKEN: consuming findings only; queued jobs wait for a worker that has one")
        process = _findings_process(args)
    stop = threading.Event()
    for name in (signal.SIGTERM, signal.SIGINT):  # finish the jobs and the batch in hand, then stop
        signal.signal(name, lambda *_: stop.set())
    workers = startup = None
    if runs_jobs:
        policy = Policy(lease_seconds=args.lease_seconds) if args.lease_seconds else Policy()
        workers = composition.job_worker(process, threads=args.threads, policy=policy)

        def run_jobs():
            workers.start()
            log.info("running jobs with %d thread(s)%s", args.threads, f" and consuming findings from {queue_url}"
                     if queue_url else " (no FINDINGS_QUEUE_URL: jobs only)")

        startup = SlackStartup(process, then=[run_jobs], on_refused=stop.set,
                               waiting="queued jobs wait" + ("; findings from SQS are stored" if queue_url else ""))
        startup.start()
    try:
        if queue_url:
            composition.sqs_worker(process, queue_url).run(stop)
        else:
            while not stop.wait(1.0):
                pass
    finally:
        if startup is not None:
            startup.stop()
        if workers is not None:
            workers.stop()
        process.drain()
    if startup is not None:
        startup.raise_if_refused()
    return 0


def _job_line(job) -> str:
    when = job.created_at.strftime("%Y-%m-%d %H:%M:%S") if job.created_at else "?"
    line = f"{job.id:>6}  {job.state:<7}  {job.attempts}  {when}  {job.route}  {job.key}"
    if job.last_error and job.state != "done":
        line += f"\n        last error: {job.last_error[:300]}"
    return line


def cmd_jobs_list(args: argparse.Namespace) -> int:
    from composition import build_services

    services = build_services(_settings(args), chat=None, notifier=None)
    try:
        found = services.repos.jobs.listed(failed=args.failed, limit=args.limit)
    finally:
        services.drain()
    if not found:
        print("No dead jobs." if args.failed else "No jobs.")
        return 0
    print("    id  state    n  created              route  key")
    for job in found:
        print(_job_line(job))
    return 0


def cmd_jobs_retry(args: argparse.Namespace) -> int:
    from composition import build_services
    from core.jobs import utcnow

    services = build_services(_settings(args), chat=None, notifier=None)
    try:
        job = services.repos.jobs.retry(args.id, at=utcnow())
        existing = services.repos.jobs.get(args.id) if job is None else job
    finally:
        services.drain()
    if job is None:
        if existing is None:
            return _fail(f"there is no job {args.id}.")
        return _fail(f"job {args.id} is {existing.state}, not dead; only dead jobs are retried.")
    print(f"Job {job.id} ({job.route}) is queued again; a worker runs it next.")
    return 0


def cmd_clock(args: argparse.Namespace) -> int:
    """The scheduler: one active clock across replicas (a database lease), the rest stand by.
    It runs at once; Slack confirms the bot token in the background (composition.startup)."""
    import threading

    from composition.startup import SlackStartup
    from core.scheduling.runner import run_clock

    process = _findings_process(args, confirm_slack=True)  # snoozes that expire show their findings in Slack
    stop = threading.Event()
    for name in (signal.SIGTERM, signal.SIGINT):  # finish the sweep in hand, hand the lease over
        signal.signal(name, lambda *_: stop.set())
    startup = None
    if process.slack_check is not None:
        startup = SlackStartup(process, on_refused=stop.set, waiting="the scheduler runs; finding messages wait, "
                               "reminders are retried each sweep").start()
    try:
        code = run_clock(process.services, stop)
    finally:
        if startup is not None:
            startup.stop()
        process.drain()
    if startup is not None:
        startup.raise_if_refused()
    return code


def cmd_stats(args: argparse.Namespace) -> int:
    from composition import build_services
    from core.scheduling import stats

    services = build_services(_settings(args), chat=None, notifier=None)
    try:
        sys.stdout.write(stats.render(stats.build(services, stats.parse_days(str(args.days)))))
    finally:
        services.drain()
    return 0


def cmd_audit_verify(args: argparse.Namespace) -> int:
    """Walk the audit chain (with FIREBREAK_AUDIT_KEY and against the latest anchor when
    configured); exit 1 naming the first bad entry."""
    from composition import build_services
    from core.audit import service as audit

    services = build_services(_settings(args), chat=None, notifier=None)
    try:
        verdict = audit.check(services)
        keyed = audit.key_of(services) is not None
    finally:
        services.drain()
    if not verdict.ok:
        return _fail(f"audit chain broken at entry {verdict.broken_at}: {verdict.reason} "
                     f"({verdict.count} entries before it are intact).")
    print(f"Audit chain intact: {verdict.count} entries.")
    print("  keyed: " + ("yes (FIREBREAK_AUDIT_KEY)" if keyed else
                         "no (FIREBREAK_AUDIT_KEY is not set: a database writer could rewrite the chain)"))
    anchored = verdict.anchored
    print("  anchor: " + (f"entry {anchored.seq} of {anchored.at.isoformat()} matches" if anchored else
                          "none (audit.anchor.s3_bucket is not set, or nothing anchored yet)"))
    return 0


def cmd_evidence_verify(args: argparse.Namespace) -> int:
    """Re-hash every collected object (that exact version) and re-read every snapshot's tags
    against the chain-of-custody manifest; exit 1 on any mismatch or missing item."""
    from composition import build_services
    from core.errors import UsageError
    from core.evidence import custody

    reference = args.incident.lstrip("#")
    if not reference.isdigit():
        raise UsageError(f"“{args.incident}” is not an incident number (e.g. 42).")
    services = build_services(_settings(args), chat=None, notifier=None)
    try:
        verdicts = custody.verify(services, int(reference))
    finally:
        services.drain()
    for v in verdicts:
        print(f"{v.status:<16} {v.item.request_label} {v.item.action} {v.item.location}: {v.detail}")
    counts = {status: sum(1 for v in verdicts if v.status == status) for status in dict.fromkeys(
        v.status for v in verdicts)}
    summary = ", ".join(f"{n} {status}" for status, n in counts.items()) or "nothing collected"
    if custody.failed(verdicts):
        return _fail(f"evidence of incident {reference} does not match its manifest ({summary}).")
    print(f"Evidence of incident {reference} matches its manifest: {summary}.")
    return 0


def cmd_audit_seal(args: argparse.Namespace) -> int:
    """Append a keyed entry, so the unkeyed entries written before FIREBREAK_AUDIT_KEY was set
    are covered by it."""
    from composition import build_services
    from core.audit import service as audit

    services = build_services(_settings(args), chat=None, notifier=None)
    try:
        seq = audit.seal(services)
    finally:
        services.drain()
    print(f"Audit chain sealed with the key at entry {seq}.")
    return 0


# ---------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python bot.py",
        description="Firebreak: ChatOps for security incident response on AWS. Without a command, "
                    "serves Slack if SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET are set, otherwise starts "
                    "the embedded local workspace.")
    parser.add_argument("--config", metavar="PATH", help="your config file (default: $FIREBREAK_CONFIG)")
    parser.set_defaults(func=cmd_default)
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    p = sub.add_parser("serve", help="HTTP mode: POST /slack/events, GET /healthz, GET /metrics")
    p.add_argument("--host", help="interface to bind (default: server.host in config)")
    p.add_argument("--port", type=int, help="port (default: $PORT, else server.port in config)")
    p.add_argument("--with-worker", action="store_true",
                   help="also run the jobs in this process (one process for small teams; no `worker` needed)")
    p.add_argument("--worker-threads", type=int, help="job threads with --with-worker (default: server.threads)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("socket", help="Socket Mode (needs SLACK_APP_TOKEN)")
    p.set_defaults(func=cmd_socket)

    p = sub.add_parser("local", help="the embedded local workspace: fake Slack on loopback plus a console")
    p.add_argument("--no-console", action="store_true", help="serve only; drive it over HTTP")
    p.add_argument("--port", type=int, default=0, help="port for the bot (default: any free port)")
    p.set_defaults(func=cmd_local)

    p = sub.add_parser("sandbox", help="start the AWS sandbox (moto on loopback) seeded with a demo estate")
    p.add_argument("--port", type=int, default=0, help="port (default: any free port)")
    p.set_defaults(func=cmd_sandbox)

    p = sub.add_parser("worker", help="run queued work (jobs); also consume findings from SQS when "
                                      "$FINDINGS_QUEUE_URL is set")
    p.add_argument("--threads", type=int, default=4, help="jobs run at once (default 4)")
    p.add_argument("--lease-seconds", type=float, help="how long a job stays claimed without its worker "
                   "renewing it (default 60)")
    p.set_defaults(func=cmd_worker)

    jobs = sub.add_parser("jobs", help="durable post-ack work and its dead letters")
    jobs_sub = jobs.add_subparsers(title="commands", metavar="COMMAND")
    p = jobs_sub.add_parser("list", help="recent jobs, newest first")
    p.add_argument("--failed", action="store_true", help="only dead letters (failed for good)")
    p.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
    p.set_defaults(func=cmd_jobs_list)
    p = jobs_sub.add_parser("retry", help="queue a dead job again, with fresh attempts")
    p.add_argument("id", type=int, help="the job's id (from `jobs list --failed`)")
    p.set_defaults(func=cmd_jobs_retry)
    jobs.set_defaults(func=lambda _a: (jobs.print_help(), 2)[1])
    sub.add_parser("clock", help="run the scheduler (one active across replicas)").set_defaults(func=cmd_clock)
    p = sub.add_parser("stats", help="response metrics (detect, acknowledge, evidence, contain, recover) and SLA breaches")
    p.add_argument("--days", type=int, default=30, help="incidents declared in the last N days (default 30)")
    p.set_defaults(func=cmd_stats)
    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=cmd_migrate)

    p = sub.add_parser("check-config", help="validate config (and playbooks); non-zero exit on problems")
    p.add_argument("path", nargs="?", help="config file to check (default: $FIREBREAK_CONFIG)")
    p.set_defaults(func=cmd_check_config)

    findings = sub.add_parser("findings", help="work with findings without side effects")
    findings_sub = findings.add_subparsers(title="commands", metavar="COMMAND")
    p = findings_sub.add_parser("normalize", help="print normalized findings as JSON lines")
    p.add_argument("file", help="file of findings, or - for standard input")
    p.set_defaults(func=cmd_findings_normalize)
    findings.set_defaults(func=lambda _a: (findings.print_help(), 2)[1])

    p = sub.add_parser("ingest", help="run files of findings through the full pipeline (store, route, Slack)")
    p.add_argument("file", help="file of findings, or - for standard input")
    p.set_defaults(func=cmd_ingest)

    drill = sub.add_parser("drill", help="response drills (game days): list scenarios, run one")
    drill_sub = drill.add_subparsers(title="commands", metavar="COMMAND")
    drill_sub.add_parser("list", help="one scenario per line: name, then description").set_defaults(func=cmd_drill_list)
    p = drill_sub.add_parser("run", help="run a scenario: declare the drill incident, deliver its findings")
    p.add_argument("scenario")
    p.add_argument("--actor", default="firebreak", help="who starts it (a Slack user id; default firebreak)")
    p.add_argument("--no-wait", dest="wait", action="store_false",
                   help="deliver what is due now and leave the rest to the clock")
    p.set_defaults(func=cmd_drill_run)
    drill.set_defaults(func=lambda _a: (drill.print_help(), 2)[1])

    p = sub.add_parser("export", help="timeline / postmortem export")
    p.add_argument("incident", help="incident id")
    p.add_argument("--format", choices=["md", "json"], default="md")
    p.set_defaults(func=cmd_export)

    audit = sub.add_parser("audit", help="audit log tools")
    audit_sub = audit.add_subparsers(title="commands", metavar="COMMAND")
    audit_sub.add_parser("verify", help="check the audit hash chain").set_defaults(func=cmd_audit_verify)
    audit_sub.add_parser("seal", help="append a keyed entry covering the entries written before "
                         "FIREBREAK_AUDIT_KEY was set").set_defaults(func=cmd_audit_seal)
    audit.set_defaults(func=lambda _a: (audit.print_help(), 2)[1])

    evidence = sub.add_parser("evidence", help="collected evidence and its chain of custody")
    evidence_sub = evidence.add_subparsers(title="commands", metavar="COMMAND")
    p = evidence_sub.add_parser("verify", help="re-hash collected evidence against its chain-of-custody manifest")
    p.add_argument("incident", help="incident id")
    p.set_defaults(func=cmd_evidence_verify)
    evidence.set_defaults(func=lambda _a: (evidence.print_help(), 2)[1])
    return parser


def main(argv: list[str] | None = None) -> int:
    from core.errors import ConfigError, FirebreakError

    args = build_parser().parse_args(argv)
    _configure_logging()
    try:
        return args.func(args)
    except ConfigError as exc:
        print("firebreak: configuration problems:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_FAILURE
    except FirebreakError as exc:
        return _fail(exc.message)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - the last line of defence: a message, not a trace
        from core.logs import explain_startup_error

        return _fail(explain_startup_error(exc))


if __name__ == "__main__":
    sys.exit(main())
