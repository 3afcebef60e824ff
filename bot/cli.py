"""The `tokenbot` command: parse arguments, load settings, bootstrap, run one thing."""

from __future__ import annotations

import argparse
import gc
import getpass
import json
import logging
import secrets
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from sqlalchemy.exc import SQLAlchemyError

from bot import __version__
from bot.bootstrap import (
    Container,
    action_deps,
    advice_context,
    bootstrap,
    gitlab_gateway,
    missing_for_requests,
    own_token_check,
    reconcile_deps,
    reminder_deps,
    request_deps,
    request_flow,
    slack_app,
    sync_deps,
    utc_now,
)
from bot.check_command import add_check_parser, run_check
from bot.config import Settings, SettingsError, describe, load_settings, reference_markdown
from bot.db.migrate import current_revision, head_revision, upgrade
from bot.domain.advice import Recommendation
from bot.domain.credentials import InventoryProgress, TokenRecord
from bot.domain.diagram import render_mermaid
from bot.domain.expiry import days_left
from bot.domain.reminders import Reminder
from bot.domain.walk import AnswerError
from bot.observability.logs import configure_logging
from bot.observability.metrics import MetricsService, start_metrics
from bot.reconcile_command import add_reconcile_parser, run_reconcile
from bot.sandbox import GitlabSimulator, SandboxServer, load_demo_data, serve_sandbox
from bot.sandbox.demo import PEOPLE as DEMO_PEOPLE
from bot.scheduler import Job, reminder_jobs, request_jobs, start_scheduler
from bot.services.advisor import Advice, advise
from bot.services.audit_export import as_csv, as_json_lines, audit_events
from bot.services.gitlab_errors import GitLabError
from bot.services.inventory_sync import SyncError, sync_inventory
from bot.services.leases import run_exclusively
from bot.services.own_token_watch import watch_own_token
from bot.services.provisioning import observe_provisioning
from bot.services.reminders import plan_reminders, sweep
from bot.services.renewals import RenewApproval, RenewDeps
from bot.shell.chat import ShellChat
from bot.shell.clock import ShellClock
from bot.shell.reminder_desk import ReminderSetup
from bot.shell.reminder_table import REMINDER_HEADERS, reminder_rows
from bot.shell.request_desk import RequestSetup
from bot.shell.tables import inventory_rows, render_table, state
from bot.shell.text import render_prompt, render_recommendation
from bot.slack.listeners.delivery import announce_expired
from bot.slack.reconcile_notices import SlackReconcileNotifier
from bot.slack.reminders import SlackReminderPoster
from bot.slack.server import EVENTS_PATH, serve_http, serve_socket_mode, wsgi_app

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
log = logging.getLogger(__name__)
SYNC_WAIT_SECONDS = 900  # `tokenbot sync` waits this long for a sync another process runs


class UsageError(Exception):
    """Bad command-line input; the message is shown as it is."""


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

    advise_cmd = commands.add_parser(
        "advise",
        help="which token should I use? (answers on the command line)",
        description="Prints the next question, or the recommendation once every answer on"
        " the path is given.",
    )
    advise_cmd.add_argument(
        "--answer",
        "-a",
        action="append",
        default=[],
        metavar="ID=VALUE",
        help="answer a question; repeat for more (capabilities=clone,push)",
    )
    advise_cmd.add_argument("--json", action="store_true", help="print JSON")

    run_cmd = commands.add_parser(
        "run",
        help="run the Slack bot",
        description="Socket Mode when SLACK_APP_TOKEN is set; otherwise an HTTP server with"
        " Slack's endpoint at /slack/events, and /healthz and /readyz.",
    )
    run_cmd.add_argument(
        "--port", type=int, default=None, help="HTTP port (default: $PORT or 3000)"
    )
    run_cmd.add_argument("--host", default="0.0.0.0", help="HTTP address (default: 0.0.0.0)")  # noqa: S104

    shell_cmd = commands.add_parser(
        "shell",
        help="chat with tokenbot in the terminal: advice and token requests",
        description="Type 'help' in the chat for its commands. Token requests need GITLAB_URL,"
        " GITLAB_TOKEN and TOKENBOT_SECRET_KEY, or --sandbox.",
    )
    shell_cmd.add_argument(
        "--user",
        default=None,
        help="who you are in the chat (default: your login name); also your GitLab username"
        " unless TOKENBOT_USER_MAP maps it",
    )
    shell_cmd.add_argument(
        "--sandbox",
        action="store_true",
        help="try everything offline: a simulated GitLab with demo users, a temporary database"
        " and a random secret key, all gone when you leave",
    )

    commands.add_parser("tree", help="print the advisor's decision tree as a Mermaid chart")

    settings_cmd = commands.add_parser("settings", help="show the effective settings")
    settings_cmd.add_argument(
        "--reference", action="store_true", help="print the settings reference (Markdown) instead"
    )

    inventory_cmd = commands.add_parser(
        "inventory",
        help="list every credential in GitLab groups (read-only)",
        description="Lists group, project, service-account, deploy and trigger tokens of the"
        " groups given (default: TOKENBOT_WATCHED_GROUPS), with expiry and last use.",
    )
    inventory_cmd.add_argument("groups", nargs="*", metavar="GROUP", help="group paths")
    inventory_cmd.add_argument("--json", action="store_true", help="print JSON lines")

    commands.add_parser(
        "sync",
        help="sync the watched groups' credentials into the database (for reminders)",
        description="Reads every group, project, service-account, deploy and trigger token of"
        " TOKENBOT_WATCHED_GROUPS. Resumes an interrupted sync; tokenbot run also syncs on a"
        " schedule (TOKENBOT_SYNC_INTERVAL_HOURS).",
    )
    remind_cmd = commands.add_parser(
        "remind",
        help="post the expiry reminders due today (for cron instead of tokenbot run)",
        description="Posts each due reminder once to its channel; --dry-run lists them and"
        " posts nothing. Run `tokenbot sync` first so the inventory is current.",
    )
    remind_cmd.add_argument("--dry-run", action="store_true", help="list what is due; post nothing")

    sandbox_cmd = commands.add_parser("sandbox", help="local stand-ins for trying tokenbot")
    sandbox_sub = sandbox_cmd.add_subparsers(dest="sandbox_command", required=True, metavar="WHAT")
    gitlab_sandbox = sandbox_sub.add_parser(
        "gitlab", help="serve a simulated GitLab API with demo data on this machine"
    )
    gitlab_sandbox.add_argument("--port", type=int, default=8929, help="default: 8929")
    gitlab_sandbox.add_argument(
        "--host", default="127.0.0.1", help="loopback address to listen on (default: 127.0.0.1)"
    )
    gitlab_sandbox.add_argument(
        "--no-demo", action="store_true", help="start empty instead of with the demo company"
    )
    gitlab_sandbox.add_argument(
        "--latency-ms", type=int, default=0, help="answer every request this much later"
    )

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

    db_cmd = commands.add_parser("db", help="database schema")
    db_sub = db_cmd.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_sub.add_parser("upgrade", help="apply pending migrations")
    db_sub.add_parser("current", help="show the schema revision")
    add_check_parser(commands)
    add_reconcile_parser(commands)
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
        "advise": lambda a, s: _advise(a.answer, as_json=a.json, settings=s),
        "shell": _shell,
        "run": _run,
        "settings": _settings,
        "inventory": lambda a, s: _inventory(
            a.groups or list(s.tokenbot_watched_groups), as_json=a.json, settings=s
        ),
        "sandbox": _sandbox,
        "tree": _tree,
        "db": lambda a, s: _db(a.db_command, s),
        "audit": _audit_export,
        "check": run_check,
        "reconcile": run_reconcile,
        "sync": _sync,
        "remind": _remind,
    }
    return handlers[args.command](args, settings)


def _shell(args: argparse.Namespace, settings: Settings) -> int:
    with ExitStack() as stack:
        clock = ShellClock()  # the sandbox's own time, shared by the simulator and the bot
        if args.sandbox:
            settings = _shell_sandbox(settings, stack, clock)
        # Without --sandbox the shell's clock is never moved: it is the real time.
        container = bootstrap(settings, clock=clock)
        stack.callback(container.close)
        requests = RequestSetup(
            request_deps(settings, container),
            tuple(missing_for_requests(settings, in_slack=False)),
            settings.user_map,
            settings.tokenbot_default_lifetime_days,
        )
        user = args.user or getpass.getuser() or "you"
        chat = ShellChat(
            container.conversations,
            user=user,
            requests=requests,
            temporary=args.sandbox,
            reminders=_shell_reminders(settings, container, clock, sandbox=args.sandbox),
        )
        return chat.run()


def _shell_reminders(
    settings: Settings, container: Container, clock: ShellClock, *, sandbox: bool
) -> ReminderSetup | None:
    """Tracked tokens in the shell, all on its clock (movable in the sandbox); None without
    GitLab. The sandbox also syncs and sweeps as `tokenbot run` would."""
    if settings.gitlab_url is None or settings.gitlab_token is None:
        return None
    actions = action_deps(settings, container, clock)
    requests = request_deps(settings, container)
    approval = RenewApproval(settings.tokenbot_renew_needs_approval)
    return ReminderSetup(
        clock=clock,
        groups=settings.tokenbot_watched_groups,
        sync=sync_deps(settings, container),
        reminders=lambda poster: reminder_deps(settings, container, poster),
        actions=actions,
        user_map=settings.user_map,
        renewals=RenewDeps(actions, requests, approval) if requests is not None else None,
        sandbox=sandbox,
    )


def _shell_sandbox(settings: Settings, stack: ExitStack, clock: ShellClock) -> Settings:
    """Settings for a simulated GitLab with the demo company; `stack` ends it all."""
    sim = GitlabSimulator(clock=clock)
    info = load_demo_data(sim)
    server = stack.enter_context(SandboxServer(sim))
    data_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="tokenbot-sandbox-")))
    print(_sandbox_banner(server.url, data_dir), flush=True)
    return settings.model_copy(
        update={
            "gitlab_url": server.url,
            "gitlab_token": SecretStr(info.admin_token),
            "tokenbot_secret_key": SecretStr(secrets.token_urlsafe(32)),
            "database_url": None,
            "tokenbot_data_dir": data_dir,
            "tokenbot_user_map": (),
            "tokenbot_approvers": (),
            "tokenbot_gitlab_ca_bundle": None,
            # Reminders go to the terminal; Slack ids from the environment mean nothing here.
            "tokenbot_watched_groups": info.watched_groups,
            "tokenbot_reminders_channel": "terminal",
            "tokenbot_reminders_routes": (),
            "tokenbot_owners": (),
            "tokenbot_admins": (),
            # The simulator runs in this process: pacing requests to it only slows each sync.
            "tokenbot_gitlab_requests_per_second": 1000.0,
        }
    )


def _sandbox_banner(url: str, data_dir: Path) -> str:
    people = [
        f"    {username:<7} "
        + ", ".join(f"{level.name.capitalize()} of {path}" for path, level in roles)
        for username, _name, roles in DEMO_PEOPLE
    ]
    return "\n".join(
        [
            f"Sandbox: a simulated GitLab with the demo company Acme at {url},",
            f"a temporary database in {data_dir} and a random TOKENBOT_SECRET_KEY.",
            "Everything, tokens included, is gone when you leave.",
            "Demo users (a role on a group holds in everything below it):",
            *people,
            "Try it: 'as carol', 'request' a project access token on"
            " acme/platform/infra/terraform; 'as bob', approve it; 'as carol', reveal it.",
            "",
        ]
    )


def _run(args: argparse.Namespace, settings: Settings) -> int:
    settings.require("SLACK_BOT_TOKEN")
    if settings.slack_app_token is None:
        settings.require("SLACK_SIGNING_SECRET")
    container = bootstrap(settings)
    scheduler = None
    metrics: MetricsService | None = None
    try:
        flow = request_flow(settings, container)
        app = slack_app(settings, container, flow)
        metrics = start_metrics(
            engine=container.db,
            clock=container.clock,
            port=settings.tokenbot_metrics_port,
            host=args.host,
            socket_mode=settings.slack_app_token is not None,
        )
        observe_provisioning(metrics.metrics.record_provisioning)
        jobs: list[Job] = []
        if flow is not None:
            notify = SlackReconcileNotifier(app.client, flow)
            jobs += request_jobs(
                flow.deps,
                on_expired=lambda request: announce_expired(app.client, request),
                reconcile=reconcile_deps(settings, container, notify),
            )
        else:
            log.info(
                "token requests are off; not set: %s", ", ".join(missing_for_requests(settings))
            )
        poster = SlackReminderPoster(app.client, renewals=flow is not None)
        jobs += _reminder_jobs(settings, container, poster)
        if jobs:
            scheduler = start_scheduler(jobs)
        # What start-up made lives for the whole process: keep it out of the collector's scans
        # (a full collection paused acks by about 100 ms in the benchmark).
        gc.freeze()
        if settings.slack_app_token is not None:
            print("tokenbot connecting to Slack in Socket Mode", flush=True)
            serve_socket_mode(app, app_token=settings.slack_app_token.get_secret_value())
        else:
            port = settings.port if args.port is None else args.port
            serve_http(
                wsgi_app(app, ready=container.ready, metrics=metrics.app_registry),
                host=args.host,
                port=port,
                on_listening=lambda url: print(
                    f"tokenbot listening on {url} (Slack endpoint {EVENTS_PATH})", flush=True
                ),
            )
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        if metrics is not None:
            metrics.close()
        container.close()
    return EXIT_OK


def _reminder_jobs(
    settings: Settings, container: Container, poster: SlackReminderPoster
) -> list[Job]:
    """Sync and sweep on a schedule, as far as the settings allow; say what is off."""
    has_gitlab = settings.gitlab_url is not None and settings.gitlab_token is not None
    sync = sync_deps(settings, container) if has_gitlab else None
    reminders = (
        reminder_deps(settings, container, poster)
        if settings.tokenbot_reminders_channel is not None
        else None
    )
    if sync is None or not settings.tokenbot_watched_groups:
        log.info("inventory sync is off; set GITLAB_URL, GITLAB_TOKEN, TOKENBOT_WATCHED_GROUPS")
    if reminders is None:
        log.info("expiry reminders are off; set TOKENBOT_REMINDERS_CHANNEL")
    own_token = None
    if has_gitlab:

        def own_token() -> object:
            return run_exclusively(
                "own-token-check",
                lambda: watch_own_token(
                    own_token_check(settings, container),
                    uow=container.uow,
                    clock=container.clock,
                ),
                uow=container.uow,
                clock=container.clock,
                longest=timedelta(minutes=10),
            )

    return reminder_jobs(
        own_token=own_token,
        sync=sync,
        groups=settings.tokenbot_watched_groups,
        sync_hours=settings.tokenbot_sync_interval_hours,
        reminders=reminders,
        at=settings.tokenbot_reminder_time,
        timezone=settings.tokenbot_reminder_timezone,
    )


def _sync(args: argparse.Namespace, settings: Settings) -> int:
    deps = sync_deps(settings, container := bootstrap(settings))
    show_progress = sys.stderr.isatty()

    def progress(step: InventoryProgress) -> None:
        if show_progress:
            done, total = step.projects_done, max(step.projects_total, 1)
            bar = "#" * (30 * done // total)
            print(
                f"\r[{bar:<30}] projects {done}/{step.projects_total},"
                f" credentials {step.tokens_found}",
                end="",
                file=sys.stderr,
                flush=True,
            )

    try:
        # The same lease as the scheduled sync in `tokenbot run`: two syncs at once would share
        # the open run, and one would fail on the places the other wrote. Wait for the other.
        waited_until = time.monotonic() + SYNC_WAIT_SECONDS
        while True:
            report = run_exclusively(
                "inventory-sync",
                lambda: sync_inventory(
                    settings.tokenbot_watched_groups, deps=deps, progress=progress
                ),
                uow=deps.uow,
                clock=deps.clock,
                longest=timedelta(hours=2),
            )
            if report is not None or time.monotonic() > waited_until:
                break
            if show_progress:
                print("\rwaiting: another process is syncing", end="", file=sys.stderr)
            time.sleep(2)
    except SyncError as exc:
        if show_progress:
            print(file=sys.stderr)
        print(f"tokenbot: {exc}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        container.close()
    if show_progress:
        print(file=sys.stderr)
    if report is None:
        print(
            f"tokenbot: another process has been syncing for over {SYNC_WAIT_SECONDS // 60}"
            " minutes; try again later",
            file=sys.stderr,
        )
        return EXIT_FAILED
    resumed = " (resumed)" if report.resumed else ""
    print(
        f"synced {report.places} places{resumed}: {report.tokens} credentials,"
        f" {report.added} new, {report.changed} changed, {report.gone} gone"
    )
    for path in report.unreadable:
        print(f"skipped {path}: the bot may not list its tokens", file=sys.stderr)
    return EXIT_OK


def _remind(args: argparse.Namespace, settings: Settings) -> int:
    container = bootstrap(settings)
    try:
        # Without a channel nothing is ever due: say so instead of "nothing is due today".
        settings.require("TOKENBOT_REMINDERS_CHANNEL")
        if args.dry_run:
            due = plan_reminders(deps=reminder_deps(settings, container, _NoPoster()))
            table = render_table(reminder_rows(due), REMINDER_HEADERS)
            print(table if due else "nothing is due today")
            return EXIT_OK
        settings.require("SLACK_BOT_TOKEN", "TOKENBOT_REMINDERS_CHANNEL")
        app = slack_app(settings, container, None)
        # Rotate and Renew are offered when the running bot can act on them (requests are on).
        poster = SlackReminderPoster(app.client, renewals=not missing_for_requests(settings))
        deps = reminder_deps(settings, container, poster)
        # The scheduled sweep's lease: the claims keep posts single anyway; this keeps two
        # sweeps from pacing the same channels at once.
        report = run_exclusively(
            "reminder-sweep",
            lambda: sweep(deps=deps),
            uow=deps.uow,
            clock=deps.clock,
            longest=timedelta(hours=1),
        )
    finally:
        container.close()
    if report is None:
        print("tokenbot: another process is sweeping right now; try again later", file=sys.stderr)
        return EXIT_FAILED
    print(
        f"{len(report.due)} due, {report.posted} posted"
        f" ({report.digests} digests), {report.lost_to_another_process} taken by another process"
    )
    for failure in report.failed:
        print(f"not posted: {failure}", file=sys.stderr)
    return EXIT_FAILED if report.failed else EXIT_OK


class _NoPoster:
    """Stands in for Slack in a dry run; never called."""

    def post(self, reminder: Reminder) -> str:
        raise AssertionError("a dry run posts nothing")

    def post_digest(self, channel: str, reminders: Sequence[Reminder]) -> str:
        raise AssertionError("a dry run posts nothing")


def _audit_export(args: argparse.Namespace, settings: Settings) -> int:
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


def _settings(args: argparse.Namespace, settings: Settings) -> int:
    if args.reference:
        print(reference_markdown(), end="")
    else:
        for name, value in describe(settings):
            print(f"{name}={value}")
    return EXIT_OK


def _sandbox(args: argparse.Namespace, settings: Settings) -> int:
    try:
        serve_sandbox(args.host, args.port, demo=not args.no_demo, latency_ms=args.latency_ms)
    except (ValueError, OSError) as exc:
        raise UsageError(f"cannot start the GitLab sandbox: {exc}") from None
    return EXIT_OK


def _tree(args: argparse.Namespace, settings: Settings) -> int:
    print(render_mermaid(advice_context(settings).tree), end="")
    return EXIT_OK


def _advise(raw_answers: list[str], *, as_json: bool, settings: Settings) -> int:
    answers = _parse_answers(raw_answers)
    result = advise(answers, context=advice_context(settings))
    if as_json:
        print(json.dumps(advice_json(result), indent=2))
    elif result.recommendation is not None:
        for ignored in result.walk.ignored:
            print(f"(ignored '{ignored}': that question is not on this path)")
        print(render_recommendation(result.recommendation))
    elif result.prompt is not None:
        print(f"Next question [{result.prompt.question_id}]:")
        print(render_prompt(result.prompt, numbered=False))
        print(
            f"\nAnswer with: tokenbot advise {_as_args(answers)}--answer"
            f" {result.prompt.question_id}=VALUE"
        )
    return EXIT_OK


def advice_json(result: Advice) -> dict[str, Any]:
    """The `advise --json` document; field names are a public contract."""
    base: dict[str, Any] = {
        "complete": result.complete,
        "path": list(result.walk.path),
        "ignored_answers": list(result.walk.ignored),
    }
    if result.recommendation is not None:
        return base | recommendation_json(result.recommendation)
    prompt = result.prompt
    assert prompt is not None  # noqa: S101 - an incomplete walk always has a prompt
    base["next_question"] = {
        "id": prompt.question_id,
        "text": prompt.text,
        "multiple": prompt.multiple,
        "choices": [{"value": c.value, "label": c.label} for c in prompt.choices],
        "help": prompt.help,
    }
    return base


def recommendation_json(rec: Recommendation) -> dict[str, Any]:
    return {
        "token_type": rec.token_type.value,
        "title": rec.title,
        "summary": rec.summary,
        "target": rec.target.value,
        "capabilities": [c.value for c in rec.capabilities],
        "scopes": [s.value for s in rec.scopes],
        "access_level": int(rec.access_level) if rec.access_level else None,
        "role": rec.access_level.label if rec.access_level else None,
        "lifetime_days": rec.lifetime_days,
        "risk": rec.risk,
        "reasons": list(rec.reasons),
        "warnings": list(rec.warnings),
        "how_to": list(rec.how_to),
        "first_choice": rec.first_choice.value if rec.first_choice else None,
        "fallback": rec.fallback.value if rec.fallback else None,
        "seed_node": rec.seed_node,
    }


def _inventory(groups: list[str], *, as_json: bool, settings: Settings) -> int:
    if not groups:
        raise UsageError("name at least one group, or set TOKENBOT_WATCHED_GROUPS")
    gateway = gitlab_gateway(settings)
    show_progress = sys.stderr.isatty()

    def progress(step: InventoryProgress) -> None:
        if show_progress:
            print(
                f"\rprojects {step.projects_done}/{step.projects_total},"
                f" credentials {step.tokens_found}",
                end="",
                file=sys.stderr,
                flush=True,
            )

    skipped: tuple[str, ...] = ()

    def remember(step: InventoryProgress) -> None:
        nonlocal skipped
        skipped = step.errors
        progress(step)

    records = list(gateway.inventory(groups, progress=remember))
    if show_progress:
        print(file=sys.stderr)
    today = utc_now().date()
    if as_json:
        for record in records:
            print(json.dumps(record_json(record, today)))
    else:
        print(render_table(inventory_rows(records, today)))
    for note in skipped:
        print(f"skipped {note}", file=sys.stderr)
    return EXIT_OK


def record_json(record: TokenRecord, today: date) -> dict[str, Any]:
    return {
        "token_type": record.token_type.value,
        "gitlab_id": record.gitlab_id,
        "name": record.name,
        "where": record.namespace.path if record.namespace else None,
        "scopes": list(record.scopes),
        "access_level": int(record.access_level) if record.access_level else None,
        "expires_on": record.expires_on.isoformat() if record.expires_on else None,
        "days_left": days_left(record.expires_on, today),
        "last_used_at": record.last_used_at.isoformat() if record.last_used_at else None,
        "state": state(record, today),
    }


def _parse_answers(raw: list[str]) -> dict[str, str]:
    answers: dict[str, str] = {}
    for item in raw:
        question_id, sep, value = item.partition("=")
        question_id, value = question_id.strip(), value.strip()
        if not sep or not question_id or not value:
            raise UsageError(f"--answer expects ID=VALUE, got '{item}'")
        if question_id in answers:
            raise UsageError(f"--answer {question_id} is given twice")
        answers[question_id] = value
    return answers


def _as_args(answers: dict[str, str]) -> str:
    return "".join(f"--answer {qid}={value} " for qid, value in answers.items())


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


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc)
    return text.strip().splitlines()[0] if text.strip() else exc.__class__.__name__
