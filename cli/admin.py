"""Operator commands on the database and the configuration: migrate, check-config, stats,
export, the audit chain and the evidence manifest."""

from __future__ import annotations

import argparse
import os
import sys

from cli.common import fail, offline_services, settings_of


def cmd_migrate(args: argparse.Namespace) -> int:
    import composition

    where = composition.migrate_database(settings_of(args))
    print(f"Database schema is current ({where}).")
    return 0

def cmd_check_config(args: argparse.Namespace) -> int:
    from core.settings import load_settings

    path = args.path or os.environ.get("FIREBREAK_CONFIG")
    settings = load_settings(path)
    from core.findings.cloudtrail_rules import configured_rules

    from core.errors import ConfigError
    from core.playbooks.loader import load_playbooks

    problems: list[str] = []
    rules = playbooks = ()
    try:
        rules = configured_rules(settings.config)
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

    audiences = settings.config.communications.audiences
    problems += [f"drill scenario {name} ({DRILLS}): test_audience: {s.test_audience!r} is not one of "
                 f"communications.audiences ({', '.join(sorted(audiences)) or 'none configured'})"
                 for name, s in sorted(drills.items()) if s.test_audience and s.test_audience not in audiences]
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
    from core.secrets_needed import report

    print("\n".join(report(settings.config, os.environ)))
    return 0

def cmd_stats(args: argparse.Namespace) -> int:
    from core.scheduling import stats

    from core.scheduling.period import parse_period

    asked = args.period or args.first or args.last
    period = parse_period(args.period, first=args.first, last=args.last) if asked else None
    with offline_services(args) as services:
        report = (stats.build_for(services, period) if period else
                  stats.build(services, stats.parse_days(str(args.days))))
        sys.stdout.write(stats.render(report))
    return 0

def cmd_export(args: argparse.Namespace) -> int:
    from core.incidents import postmortem, timeline
    from core.evidence import custody
    from core.errors import UsageError

    reference = args.incident.lstrip("#")
    if not reference.isdigit():
        raise UsageError(f"“{args.incident}” is not an incident number (e.g. 42).")
    with offline_services(args) as services:
        incident, entries = timeline.load(services, int(reference))
        text = (timeline.to_json(incident, entries, [custody.as_dict(i) for i in custody.manifest(services, incident.id)])
                if args.format == "json"
                else postmortem.for_incident(services, incident))
    sys.stdout.write(text.rstrip("\n") + "\n")
    return 0

def cmd_audit_verify(args: argparse.Namespace) -> int:
    """Walk the audit chain (with FIREBREAK_AUDIT_KEY and against the latest anchor when
    configured); exit 1 naming the first bad entry."""
    from core.audit import service as audit

    with offline_services(args) as services:
        verdict = audit.check(services)
        keyed = audit.key_of(services) is not None
    if not verdict.ok:
        return fail(f"audit chain broken at entry {verdict.broken_at}: {verdict.reason} "
                     f"({verdict.count} entries before it are intact).")
    print(f"Audit chain intact: {verdict.count} entries.")
    print("  keyed: " + ("yes (FIREBREAK_AUDIT_KEY; the head is also checked against the head file)" if keyed else
                         "no (FIREBREAK_AUDIT_KEY is not set: a database writer could rewrite the chain)"))
    if not keyed:
        print("WARNING: without FIREBREAK_AUDIT_KEY, 'intact' only means self-consistent: a database writer "
              "could have rewritten or deleted the whole chain and re-hashed it.")
    anchored = verdict.anchored
    print("  anchor: " + (f"entry {anchored.seq} of {anchored.at.isoformat()} matches" if anchored else
                          "none (audit.anchor.s3_bucket is not set, or nothing anchored yet)"))
    return 0

def cmd_audit_seal(args: argparse.Namespace) -> int:
    """Append a keyed entry, so the unkeyed entries written before FIREBREAK_AUDIT_KEY was set
    are covered by it."""
    from core.audit import service as audit

    with offline_services(args) as services:
        seq = audit.seal(services)
    print(f"Audit chain sealed with the key at entry {seq}.")
    return 0

def cmd_evidence_verify(args: argparse.Namespace) -> int:
    """Re-hash every collected object (that exact version) and re-read every snapshot's tags
    against the chain-of-custody manifest; exit 1 on any mismatch or missing item."""
    from core.errors import UsageError
    from core.evidence import custody

    reference = args.incident.lstrip("#")
    if not reference.isdigit():
        raise UsageError(f"“{args.incident}” is not an incident number (e.g. 42).")
    with offline_services(args) as services:
        verdicts = custody.verify(services, int(reference))
    for v in verdicts:
        print(f"{v.status:<16} {v.item.request_label} {v.item.action} {v.item.location}: {v.detail}")
    counts = {status: sum(1 for v in verdicts if v.status == status) for status in dict.fromkeys(
        v.status for v in verdicts)}
    summary = ", ".join(f"{n} {status}" for status, n in counts.items()) or "nothing collected"
    if custody.failed(verdicts):
        return fail(f"evidence of incident {reference} does not match its manifest ({summary}).")
    print(f"Evidence of incident {reference} matches its manifest: {summary}.")
    return 0
