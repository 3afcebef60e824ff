"""`tokenbot shell`: chat with tokenbot in the terminal, against GitLab or the sandbox."""

from __future__ import annotations

import argparse
import getpass
from contextlib import ExitStack
from dataclasses import replace

from bot.bootstrap import (
    Container,
    action_deps,
    bootstrap,
    learn_gitlab_version,
    missing_for_requests,
    request_deps,
    request_flow,
    sync_deps,
)
from bot.commands.sandbox import sandbox_settings
from bot.config import Settings
from bot.reminder_wiring import reminder_deps
from bot.services.renewals import RenewApproval, RenewDeps
from bot.shell.chat import ShellChat
from bot.shell.clock import ShellClock
from bot.shell.reminder_desk import ReminderSetup
from bot.shell.request_desk import RequestSetup
from bot.slack.app import create_client
from bot.slack.shell_bridge import SlackRequestNotices


def add_shell_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `tokenbot shell`."""
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


def run_shell(args: argparse.Namespace, settings: Settings) -> int:
    with ExitStack() as stack:
        clock = ShellClock()  # the sandbox's own time, shared by the simulator and the bot
        if args.sandbox:
            settings = sandbox_settings(settings, stack, clock)
        # Without --sandbox the shell's clock is never moved: it is the real time.
        container = bootstrap(settings, clock=clock)
        stack.callback(container.close)
        learn_gitlab_version(settings, container)
        requests = RequestSetup(
            request_deps(settings, container),
            tuple(missing_for_requests(settings, in_slack=False)),
            settings.user_map,
            settings.tokenbot_default_lifetime_days,
            RenewApproval(settings.tokenbot_renew_needs_approval),
            _slack_notices(settings, container, sandbox=args.sandbox),
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


def _slack_notices(
    settings: Settings, container: Container, *, sandbox: bool
) -> SlackRequestNotices | None:
    """With Slack configured (SLACK_BOT_TOKEN, TOKENBOT_APPROVALS_CHANNEL) the shell's
    requests go before Slack's approvers, and its decisions show there. Never in the sandbox:
    its demo people are nobody's Slack users."""
    if sandbox or settings.slack_bot_token is None:
        return None
    flow = request_flow(settings, container)
    if flow is None:
        return None
    token = settings.slack_bot_token.get_secret_value()
    return SlackRequestNotices(create_client(token=token, api_url=settings.slack_api_url), flow)


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
        # the terminal prints one reminder after another: no channels at once
        reminders=lambda poster: replace(
            reminder_deps(settings, container, poster), channels_at_once=1
        ),
        actions=actions,
        user_map=settings.user_map,
        renewals=RenewDeps(actions, requests, approval) if requests is not None else None,
        sandbox=sandbox,
    )
