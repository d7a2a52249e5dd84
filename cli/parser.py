"""The command line: every command, its arguments and help, in one parser."""

from __future__ import annotations

import argparse

from cli.admin import (cmd_audit_seal, cmd_audit_verify, cmd_check_config, cmd_evidence_verify, cmd_export,
                       cmd_migrate, cmd_stats)
from cli.reports import cmd_report
from cli.drills import cmd_drill_list, cmd_drill_run
from cli.findings import cmd_findings_normalize, cmd_ingest
from cli.serving import cmd_default, cmd_local, cmd_sandbox, cmd_serve, cmd_socket
from cli.work import cmd_clock, cmd_jobs_list, cmd_jobs_retry, cmd_worker


def _period_arguments(p: argparse.ArgumentParser, lead: str) -> None:
    p.add_argument("--period", help=lead + "a quarter (2026-Q4) or a month (2026-11)")
    p.add_argument("--from", dest="first", metavar="YYYY-MM-DD", help=lead + "first day (with --to)")
    p.add_argument("--to", dest="last", metavar="YYYY-MM-DD", help="last day, included (with --from)")


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
    p.add_argument("--slack-port", type=int, default=0,
                   help="port for the fake Slack Web API (default: any free port)")
    p.add_argument("--sandbox-port", type=int, default=0,
                   help="port for the AWS sandbox when one starts (default: any free port)")
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
    _period_arguments(p, "instead of --days: ")
    p.set_defaults(func=cmd_stats)

    p = sub.add_parser("report", help="the IR program report of a period, with charts (html, pdf or md)")
    _period_arguments(p, "")
    p.add_argument("--format", choices=["html", "pdf", "md"], default="html", help="default html")
    p.add_argument("--out", metavar="FILE", help="where to write it (default: report-<period>.<format>); "
                   "the chart images (PNG) are written next to it")
    p.set_defaults(func=cmd_report)
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
