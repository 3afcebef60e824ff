"""The `tokenbot` command: parse arguments, load settings, bootstrap, run one thing."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from pydantic import SecretStr
from sqlalchemy.exc import SQLAlchemyError

from bot import __version__
from bot.check_command import add_check_parser, run_check
from bot.commands import EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError
from bot.commands.admin import (
    add_audit_parser,
    add_db_parser,
    add_settings_parser,
    run_audit,
    run_db,
    run_settings,
)
from bot.commands.advise import add_advise_parser, add_tree_parser, run_advise, run_tree
from bot.commands.breakglass import add_breakglass_parser, run_breakglass_sweep
from bot.commands.inventory import add_inventory_parser, add_sync_parser, run_inventory, run_sync
from bot.commands.manifest import add_manifest_parser, run_manifest
from bot.commands.remind import add_remind_parser, run_remind
from bot.commands.report import add_report_parser, run_report
from bot.commands.run import add_run_parser, run_bot
from bot.commands.sandbox import add_sandbox_parser, run_sandbox
from bot.commands.shell import add_shell_parser, run_shell
from bot.commands.users import add_users_parser, run_users
from bot.commands.webhooks import add_webhooks_parser, run_webhooks
from bot.config import Settings, SettingsError, load_settings
from bot.domain.walk import AnswerError
from bot.observability.logs import configure_logging
from bot.reconcile_command import add_reconcile_parser, run_reconcile
from bot.services.gitlab_errors import GitLabError

__all__ = ["EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "UsageError", "build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tokenbot",
        description="Pick, request and keep track of the right GitLab access token.",
    )
    parser.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="TOML config file (default: $TOKENBOT_CONFIG, if set)",
    )
    parser.add_argument("--version", action="version", version=f"tokenbot {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_advise_parser(commands)
    add_run_parser(commands)
    add_shell_parser(commands)
    add_tree_parser(commands)
    add_settings_parser(commands)
    add_inventory_parser(commands)
    add_sync_parser(commands)
    add_remind_parser(commands)
    add_report_parser(commands)
    add_breakglass_parser(commands)
    add_sandbox_parser(commands)
    add_audit_parser(commands)
    add_db_parser(commands)
    add_check_parser(commands)
    add_reconcile_parser(commands)
    add_users_parser(commands)
    add_manifest_parser(commands)
    add_webhooks_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings(args.config)
        # Migration chatter is for debugging; people see one line per problem.
        logging.getLogger("alembic").setLevel(
            logging.DEBUG if settings.tokenbot_log_level == "DEBUG" else logging.WARNING
        )
        configure_logging(
            settings.tokenbot_log_level,
            sys.stderr,
            settings.tokenbot_log_format,
            secrets=[v.get_secret_value() for _, v in settings if isinstance(v, SecretStr)],
        )
        return _dispatch(args, settings)
    except (SettingsError, UsageError, AnswerError) as exc:
        print(f"tokenbot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except GitLabError as exc:
        print(f"tokenbot: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except SQLAlchemyError as exc:
        print(
            f"tokenbot: database error: {exc.__class__.__name__}: {_first_line(exc)}",
            file=sys.stderr,
        )
        return EXIT_FAILED


def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    handlers: dict[str, Callable[[argparse.Namespace, Settings], int]] = {
        "advise": run_advise,
        "shell": run_shell,
        "run": run_bot,
        "settings": run_settings,
        "inventory": run_inventory,
        "sandbox": run_sandbox,
        "tree": run_tree,
        "db": run_db,
        "audit": run_audit,
        "check": run_check,
        "reconcile": run_reconcile,
        "sync": run_sync,
        "remind": run_remind,
        "report": run_report,
        "breakglass-sweep": run_breakglass_sweep,
        "users": run_users,
        "manifest": run_manifest,
        "webhooks": run_webhooks,
    }
    return handlers[args.command](args, settings)


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc)
    return text.strip().splitlines()[0] if text.strip() else exc.__class__.__name__
