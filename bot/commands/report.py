"""`tokenbot report`: the token hygiene report offline, as text or JSON, and its chart as PNG.

Exit codes: 0 the report was printed (whatever it found), 1 the chart could not be written
or the database failed, 2 bad arguments or settings.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bot.bootstrap import bootstrap
from bot.commands import EXIT_FAILED, EXIT_OK, UsageError
from bot.config import Settings
from bot.domain.hygiene_report import DEFAULT_WORST
from bot.hygiene_wiring import hygiene_deps
from bot.services.hygiene import hygiene_report
from bot.shell.hygiene_text import report_json, report_text

WORST_MAX = 1000


def add_report_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `tokenbot report`."""
    report_cmd = commands.add_parser(
        "report",
        help="token hygiene: findings by kind, the worst credentials, the expiry chart",
        description="Judges every live credential of the inventory (run `tokenbot sync`"
        " first): unused, over-powered, unowned, never expiring or beyond the policy's"
        " maximum. Kept findings are left out. See docs/hygiene.md. Exit codes: 0 printed,"
        " 1 the chart could not be written, 2 bad arguments.",
    )
    report_cmd.add_argument(
        "--png", metavar="FILE", type=Path, help="also write the chart of the next 90 days"
    )
    report_cmd.add_argument("--json", action="store_true", help="print one JSON object")
    report_cmd.add_argument(
        "--worst",
        type=int,
        default=DEFAULT_WORST,
        metavar="N",
        help=f"list the N worst credentials (default {DEFAULT_WORST})",
    )
    report_cmd.add_argument("--owner", metavar="SLACKID", help="only this person's credentials")
    report_cmd.add_argument(
        "--team", metavar="PATH", help="only those under this TOKENBOT_REMINDERS_ROUTES path"
    )


def run_report(args: argparse.Namespace, settings: Settings) -> int:
    if not 0 <= args.worst <= WORST_MAX:
        raise UsageError(f"--worst must be 0 to {WORST_MAX}")
    container = bootstrap(settings)
    try:
        deps = hygiene_deps(settings, container, keep=False)
        report = hygiene_report(deps=deps, owner=args.owner, team=args.team, worst=args.worst)
    finally:
        container.close()
    if args.png is not None:
        # Imported here: matplotlib takes a second to load, and only this command draws.
        from bot.reports.chart import render_chart  # noqa: PLC0415

        try:
            args.png.write_bytes(render_chart(report))
        except OSError as exc:
            print(f"tokenbot: cannot write {args.png}: {exc.strerror or exc}", file=sys.stderr)
            return EXIT_FAILED
    print(json.dumps(report_json(report), sort_keys=True) if args.json else report_text(report))
    return EXIT_OK
