"""`python bot.py report`: the IR program report for a period, written as html, pdf or md
with its charts as PNG files beside it."""

from __future__ import annotations

import argparse
from pathlib import Path

from cli.common import offline_services


def cmd_report(args: argparse.Namespace) -> int:
    from core.reports import program
    from core.scheduling.period import parse_period
    from reports import documents

    period = parse_period(args.period, first=args.first, last=args.last)
    with offline_services(args) as services:
        report = program.build(services, period)
    written = documents.write(report, args.format, Path(args.out) if args.out else None)
    print(f"Report for {period.label} written to {written.document} "
          f"with {len(written.images)} chart(s): {', '.join(p.name for p in written.images)}")
    return 0
