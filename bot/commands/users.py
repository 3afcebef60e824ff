"""`tokenbot users list` and `tokenbot users unlink`: who is linked to which GitLab user.

An administrator of tokenbot (whoever may run it beside the bot, with its database) can see
every GitLab sign-in link and undo any of them, for example for someone who left or linked
by mistake. Unlinking is audited, with the operator's login as the actor.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys

from bot.bootstrap import bootstrap
from bot.commands import EXIT_FAILED, EXIT_OK
from bot.config import Settings
from bot.domain.links import AccountLink
from bot.services.linking import linked_accounts, unlink

_SLACK_ID_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


def add_users_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `tokenbot users list` and `tokenbot users unlink SLACK_ID`."""
    users_cmd = commands.add_parser(
        "users", help="Slack people linked to GitLab users by GitLab sign-in"
    )
    users_sub = users_cmd.add_subparsers(dest="users_command", required=True, metavar="ACTION")
    listing = users_sub.add_parser("list", help="every link: Slack user, GitLab user, when")
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    undo = users_sub.add_parser("unlink", help="remove a person's link (audited)")
    undo.add_argument("slack_id", metavar="SLACK_ID", help="the Slack user id, e.g. U012ABCDEF")


def run_users(args: argparse.Namespace, settings: Settings) -> int:
    if args.users_command == "unlink" and not _looks_like_slack_id(args.slack_id):
        print(f"'{args.slack_id[:40]}' is not a Slack user id (like U012ABCDEF)", file=sys.stderr)
        return EXIT_FAILED
    container = bootstrap(settings)
    try:
        if args.users_command == "list":
            _print_links(linked_accounts(uow=container.uow), as_json=args.json)
            return EXIT_OK
        by = f"operator:{getpass.getuser() or 'unknown'}"
        if not unlink(args.slack_id, by=by, deps_uow=container.uow, clock=container.clock):
            print(f"{args.slack_id} is not linked to a GitLab user", file=sys.stderr)
            return EXIT_FAILED
        print(f"unlinked {args.slack_id}; they can link again with /token link")
        return EXIT_OK
    finally:
        container.close()


def _looks_like_slack_id(value: str) -> bool:
    return 2 <= len(value) <= 32 and set(value) <= _SLACK_ID_CHARACTERS


def _print_links(links: list[AccountLink], *, as_json: bool) -> None:
    if as_json:
        for link in links:
            print(json.dumps(_as_dict(link), sort_keys=True))
        return
    if not links:
        print("nobody is linked yet (people link with /token link)")
        return
    for link in links:
        print(
            f"{_shown(link.chat_id)}\t{_shown(link.gitlab_username)}"
            f" (GitLab user {link.gitlab_user_id})"
            f"\tteam {_shown(link.team_id)}\tlinked {link.linked_at.isoformat(timespec='seconds')}"
        )


def _shown(text: str, limit: int = 100) -> str:
    """Text from Slack or GitLab, safe for a terminal: no control characters, bounded."""
    return "".join(c if c.isprintable() else "?" for c in text[:limit])


def _as_dict(link: AccountLink) -> dict[str, object]:
    return {
        "slack_id": link.chat_id,
        "team_id": link.team_id,
        "gitlab_user_id": link.gitlab_user_id,
        "gitlab_username": link.gitlab_username,
        "linked_at": link.linked_at.isoformat(),
    }
