"""Response drills from the command line: list the scenarios, run one."""

from __future__ import annotations

import argparse

from cli.common import findings_process, offline_services


def cmd_drill_list(args: argparse.Namespace) -> int:
    from core.drills import runner

    with offline_services(args) as services:
        print("\n".join(runner.listing(services)))
    return 0

def cmd_drill_run(args: argparse.Namespace) -> int:
    """Start a drill (posted to Slack when SLACK_BOT_TOKEN is set) and deliver its findings on
    their schedule; the clock delivers what is left if this stops early."""
    import time

    from core.drills import runner
    from core.mentions import as_text

    process = findings_process(args)
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
