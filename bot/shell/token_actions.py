"""What can be typed about one tracked token, by its number: the buttons of a Slack reminder.

Each command calls the same use case as its button, so the same people may use it (the owner,
the namespace's Maintainers or Owners in GitLab, Owners for group-wide tokens, admins).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.domain.reminders import TrackedStatus, TrackedToken
from bot.services.reminder_actions import (
    ActionDeps,
    can_revoke,
    claim_token,
    let_expire,
    revoke_now,
)
from bot.services.token_requests import Person

YES = frozenset({"y", "yes"})


def _always(token: TrackedToken) -> bool:
    return True


@dataclass(frozen=True, slots=True)
class TokenAction:
    run: Callable[[str, Person, ActionDeps], TrackedToken]  # token key, who, deps
    done: Callable[[TrackedToken, str], str]  # what happened, told to `user`
    offered: Callable[[TrackedToken], bool] = _always  # shown on a reminder for this token?
    confirm: Callable[[TrackedToken], str] | None = None  # the question asked first
    kept: str = ""  # said when the answer to `confirm` is not yes


def _name(token: TrackedToken) -> str:
    return f"'{token.name}' in {token.namespace.path}"


def _must_be_active(token: TrackedToken) -> str | None:
    return None if token.status is TrackedStatus.ACTIVE else f"it is {token.status.value} already"


# In the order of the buttons on a Slack reminder. Rotate and Renew end in a request and a
# one-time reveal, so they live apart (bot/shell/renewal_commands.py: `rotate-token N`,
# `renew N`). The desk, the help text and the cards pick entries up from this table;
# docs/shell.md lists the commands.
ACTIONS: dict[str, TokenAction] = {
    "let-expire": TokenAction(
        run=lambda key, person, deps: let_expire(key, person, deps=deps),
        done=lambda token, user: (
            f"{user} chose to let {_name(token)} expire: no more reminders for it."
        ),
    ),
    "revoke": TokenAction(
        run=lambda key, person, deps: revoke_now(key, person, deps=deps),
        done=lambda token, user: f"{user} revoked {_name(token)} in GitLab; it no longer works.",
        confirm=lambda token: (
            f"Revoke {_name(token)} now? It stops working at once; anything still using it"
            " will fail. Type y to revoke it [y/N]"
        ),
        kept="Not revoked; it still works.",
        offered=can_revoke,
    ),
    "claim": TokenAction(
        run=lambda key, person, deps: claim_token(key, person, deps=deps),
        done=lambda token, user: (
            f"{user} owns {_name(token)} now; its reminders name {user} as the owner."
        ),
        offered=lambda token: token.owner is None,
    ),
}


def precondition(command: str, token: TrackedToken) -> str | None:
    """Why asking for confirmation would be pointless, or None."""
    return _must_be_active(token) if command == "revoke" else None
