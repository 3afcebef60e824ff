"""`tokenbot webhooks install [GROUP…]`: register tokenbot's hook on the watched groups."""

from __future__ import annotations

import argparse
import sys

from bot.bootstrap import bootstrap
from bot.commands import EXIT_FAILED, EXIT_OK, UsageError
from bot.config import Settings
from bot.domain.credentials import Secret
from bot.services.webhook_install import (
    WEBHOOK_PATH,
    InstallChange,
    InstallDeps,
    hook_url,
    install_webhooks,
)


def add_webhooks_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `tokenbot webhooks`."""
    hooks_cmd = commands.add_parser(
        "webhooks",
        help="register tokenbot's GitLab group webhooks",
        description="`install` creates (or updates, if one with tokenbot's URL exists) a hook"
        " on each group, default every watched group, with the token, member, project and"
        " subgroup events and TOKENBOT_GITLAB_WEBHOOK_SECRET as its secret token. Needs Owner"
        " on each group. See docs/webhooks.md.",
    )
    actions = hooks_cmd.add_subparsers(dest="webhooks_action", required=True, metavar="ACTION")
    install = actions.add_parser("install", help="create or update the hook on each group")
    install.add_argument("groups", nargs="*", metavar="GROUP", help="default: watched groups")
    install.add_argument(
        "--url",
        help=f"tokenbot's public address (default TOKENBOT_PUBLIC_URL); {WEBHOOK_PATH} is added"
        " unless the address already ends with it",
    )


def run_webhooks(args: argparse.Namespace, settings: Settings) -> int:
    settings.require("GITLAB_URL", "GITLAB_TOKEN", "TOKENBOT_GITLAB_WEBHOOK_SECRET")
    assert settings.tokenbot_gitlab_webhook_secret is not None  # noqa: S101 - required above
    url = _target_url(args.url, settings.tokenbot_public_url)
    groups = list(args.groups) or list(settings.tokenbot_watched_groups)
    if not groups:
        raise UsageError("name the groups, or set TOKENBOT_WATCHED_GROUPS")
    secret = Secret(settings.tokenbot_gitlab_webhook_secret.get_secret_value())
    container = bootstrap(settings)
    try:
        deps = InstallDeps(container.gitlab(), container.uow, container.clock)
        results = install_webhooks(groups, url=url, secret=secret, deps=deps)
    finally:
        container.close()
    for result in results:
        if result.change is InstallChange.FAILED:
            print(f"{result.group}: not installed: {result.problem}", file=sys.stderr)
        else:
            print(f"{result.group}: {result.change.value} hook {result.hook_id} -> {url}")
    return EXIT_FAILED if any(r.change is InstallChange.FAILED for r in results) else EXIT_OK


def _target_url(given: str | None, public_url: str | None) -> str:
    base = given or public_url
    if not base:
        raise UsageError("give --url or set TOKENBOT_PUBLIC_URL: where GitLab reaches tokenbot")
    if not base.startswith(("http://", "https://")):
        raise UsageError(f"--url must start with http:// or https://, got {base[:100]!r}")
    stripped = base.rstrip("/")
    return stripped if stripped.endswith(WEBHOOK_PATH) else hook_url(stripped)
