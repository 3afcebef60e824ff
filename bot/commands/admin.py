"""Operator commands: `tokenbot settings`, `tokenbot audit export` and `tokenbot db`."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from bot.bootstrap import bootstrap
from bot.commands import EXIT_OK
from bot.config import Settings, describe, reference_markdown
from bot.db.migrate import current_revision, head_revision, upgrade
from bot.services.audit_export import as_csv, as_json_lines, audit_events


def add_settings_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `tokenbot settings`."""
    settings_cmd = commands.add_parser("settings", help="show the effective settings")
    settings_cmd.add_argument(
        "--reference", action="store_true", help="print the settings reference (Markdown) instead"
    )


def add_audit_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `tokenbot audit export`."""
    audit_cmd = commands.add_parser("audit", help="the audit log of token requests")
    audit_sub = audit_cmd.add_subparsers(dest="audit_command", required=True, metavar="ACTION")
    export = audit_sub.add_parser("export", help="write every audit event")
    export.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")
    export.add_argument(
        "--since",
        type=_timestamp,
        default=None,
        help="only events at or after this ISO date or time (UTC)",
    )
    export.add_argument(
        "--output", "-o", type=Path, default=None, help="file to write (default: standard output)"
    )


def add_db_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `tokenbot db upgrade` and `tokenbot db current`."""
    db_cmd = commands.add_parser("db", help="database schema")
    db_sub = db_cmd.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_sub.add_parser("upgrade", help="apply pending migrations")
    db_sub.add_parser("current", help="show the schema revision")


def run_settings(args: argparse.Namespace, settings: Settings) -> int:
    if args.reference:
        print(reference_markdown(), end="")
    else:
        for name, value in describe(settings):
            print(f"{name}={value}")
    return EXIT_OK


def run_audit(args: argparse.Namespace, settings: Settings) -> int:
    container = bootstrap(settings)
    try:
        events = audit_events(uow=container.uow, since=args.since)
    finally:
        container.close()
    text = (
        as_csv(events)
        if args.format == "csv"
        else "".join(line + "\n" for line in as_json_lines(events))
    )
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.write_text(text, encoding="utf-8")
        print(f"wrote {len(events)} events to {args.output}", file=sys.stderr)
    return EXIT_OK


def _timestamp(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}' is not an ISO date or time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def run_db(args: argparse.Namespace, settings: Settings) -> int:
    return _db(args.db_command, settings)


def _db(action: str, settings: Settings) -> int:
    container = bootstrap(settings, migrate=False)
    try:
        if action == "upgrade":
            upgrade(container.db)
        print(
            f"schema revision: {current_revision(container.db) or 'none'}"
            f" (latest: {head_revision()})"
        )
        return EXIT_OK
    finally:
        container.close()
