"""The sandbox: `tokenbot sandbox gitlab`, and the GitLab of `tokenbot shell --sandbox`."""

from __future__ import annotations

import argparse
import secrets
import tempfile
from contextlib import ExitStack
from pathlib import Path

from pydantic import SecretStr

from bot.commands import EXIT_OK, UsageError
from bot.config import Settings
from bot.sandbox import GitlabSimulator, SandboxServer, load_demo_data, serve_sandbox
from bot.sandbox.demo import PEOPLE as DEMO_PEOPLE
from bot.shell.clock import ShellClock


def add_sandbox_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `tokenbot sandbox gitlab`."""
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
    gitlab_sandbox.add_argument(
        "--tokenbot-url",
        default=None,
        metavar="URL",
        help="register tokenbot (reached at URL, e.g. http://127.0.0.1:3000) as an OAuth"
        " application and print the settings for GitLab sign-in",
    )


def run_sandbox(args: argparse.Namespace, settings: Settings) -> int:
    try:
        serve_sandbox(
            args.host,
            args.port,
            demo=not args.no_demo,
            latency_ms=args.latency_ms,
            tokenbot_url=args.tokenbot_url,
        )
    except (ValueError, OSError) as exc:
        raise UsageError(f"cannot start the GitLab sandbox: {exc}") from None
    return EXIT_OK


def sandbox_settings(settings: Settings, stack: ExitStack, clock: ShellClock) -> Settings:
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
