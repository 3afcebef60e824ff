"""The bot's own GitLab token: how long it lasts, and rotating it before it runs out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from bot.domain.credentials import BotCredential, IssuedToken, Secret
from bot.domain.expiry import days_left
from bot.services.gitlab_errors import BotCredentialError, GitLabError, OutcomeUnknownError
from bot.services.gitlab_port import GitLabGateway

MAX_LIFETIME_DAYS = 365  # GitLab refuses a later expiry
_REPLACE = "create a new token for tokenbot's GitLab account and put it in GITLAB_TOKEN_FILE"


class OwnCredentialState(StrEnum):
    OK = "ok"  # works; no rotation due (or none configured)
    ROTATED = "rotated"  # rotated, the new value saved and accepted by GitLab
    ROTATION_BLOCKED = "rotation_blocked"  # due but not done; the old token still works
    UNSAVED = "unsaved"  # rotated, but the file still holds the old, revoked value
    UNCONFIRMED = "unconfirmed"  # GitLab did not confirm the rotation: the token may be gone
    UNUSABLE = "unusable"  # expired, revoked or not accepted
    UNCHECKED = "unchecked"  # GitLab could not be asked


_URGENT = {OwnCredentialState.UNSAVED, OwnCredentialState.UNCONFIRMED, OwnCredentialState.UNUSABLE}


@dataclass(frozen=True, slots=True)
class OwnCredentialReport:
    """The bot's token after a check (the new one if it was rotated); never its secret."""

    state: OwnCredentialState
    gitlab_id: int | None = None
    name: str = ""
    scopes: tuple[str, ...] = ()
    expires_on: date | None = None
    days_left: int | None = None
    problem: str | None = None  # what is wrong and what to do, for a person

    @property
    def rotated(self) -> bool:
        return self.state in {OwnCredentialState.ROTATED, OwnCredentialState.UNSAVED}

    @property
    def urgent(self) -> bool:
        """tokenbot has lost, or is about to lose, its access to GitLab: tell someone now."""
        return self.state in _URGENT


def check_own_credential(
    gitlab: GitLabGateway,
    *,
    today: date,
    rotate_within_days: int | None,
    lifetime_days: int,
    save_secret: Callable[[Secret], None] | None,
    can_save: Callable[[], str | None] | None,
) -> OwnCredentialReport:
    """Read the bot's token and rotate it when `rotate_within_days` or fewer days are left.

    `today` is the UTC date. The new value must outlive this process, so a rotation happens
    only when `save_secret` exists and `can_save()` (a problem message, or None) finds no
    problem. `save_secret` raises if it fails; its message is shown to people, so it must
    never include the value.
    """
    try:
        credential = gitlab.bot_credential()
    except BotCredentialError as exc:
        return OwnCredentialReport(OwnCredentialState.UNUSABLE, problem=str(exc))
    except GitLabError as exc:
        return OwnCredentialReport(OwnCredentialState.UNCHECKED, problem=str(exc))
    left = days_left(credential.expires_on, today)
    if not credential.active or (left is not None and left <= 0):
        problem = f"tokenbot's GitLab token is no longer active: {_REPLACE}."
        return _report(credential, today, OwnCredentialState.UNUSABLE, problem)
    if rotate_within_days is None or left is None or left > rotate_within_days:
        return _report(credential, today, OwnCredentialState.OK)
    blocked = _why_not_rotate(rotate_within_days, lifetime_days, save_secret, can_save)
    if blocked or save_secret is None:
        problem = f"{_expiry(credential)} but tokenbot will not rotate it: {blocked}"
        return _report(credential, today, OwnCredentialState.ROTATION_BLOCKED, problem)
    new_expiry = today + timedelta(days=min(lifetime_days, MAX_LIFETIME_DAYS))
    return _rotate(gitlab, credential, today, new_expiry, save_secret)


def _rotate(
    gitlab: GitLabGateway,
    credential: BotCredential,
    today: date,
    new_expiry: date,
    save_secret: Callable[[Secret], None],
) -> OwnCredentialReport:
    try:
        issued = gitlab.rotate_own_token(expires_on=new_expiry)
    except OutcomeUnknownError:
        return _report(credential, today, OwnCredentialState.UNCONFIRMED, _unconfirmed())
    except GitLabError as exc:
        problem = f"{_expiry(credential)} and GitLab refused to rotate it: {exc}"
        return _report(credential, today, OwnCredentialState.ROTATION_BLOCKED, problem)
    return _save_and_verify(gitlab, issued, today, save_secret)


def _why_not_rotate(
    within: int,
    lifetime: int,
    save_secret: Callable[[Secret], None] | None,
    can_save: Callable[[], str | None] | None,
) -> str | None:
    if min(lifetime, MAX_LIFETIME_DAYS) <= within:
        return (
            f"TOKENBOT_SELF_ROTATE_DAYS ({within}) must be smaller than the new token's"
            f" lifetime ({min(lifetime, MAX_LIFETIME_DAYS)} days), or it would rotate every day."
        )
    if save_secret is None:
        return (
            "GITLAB_TOKEN was not read from a file, so the new value could not be kept. Set"
            " GITLAB_TOKEN_FILE to a file tokenbot may write, or replace the token by hand."
        )
    problem = can_save() if can_save is not None else None
    if problem:
        return f"the new value could not be saved ({problem}). Fix that, or replace it by hand."
    return None


def _save_and_verify(
    gitlab: GitLabGateway,
    issued: IssuedToken,
    today: date,
    save_secret: Callable[[Secret], None],
) -> OwnCredentialReport:
    new = issued.record
    try:
        save_secret(issued.secret)
    # Whatever went wrong, the new value now lives only in this process: say so, loudly.
    except Exception as exc:
        reason = str(exc) or type(exc).__name__
        problem = (
            f"tokenbot rotated its GitLab token (new token {new.gitlab_id}, expires"
            f" {new.expires_on}) but could not save the new value: {reason}. This tokenbot"
            " keeps working with the new token until it stops; the file still holds the old,"
            f" revoked value, so before the next start, update it by hand: {_REPLACE}."
        )
        return _report_of(issued, today, OwnCredentialState.UNSAVED, problem)
    try:
        now = gitlab.bot_credential()
    except GitLabError as exc:
        problem = (
            f"tokenbot rotated its GitLab token and saved the new value, but GitLab does not"
            f" accept it in this process ({exc}); restart tokenbot to read it from the file."
        )
        return _report_of(issued, today, OwnCredentialState.UNSAVED, problem)
    return _report(now, today, OwnCredentialState.ROTATED)


def _unconfirmed() -> str:
    return (
        "GitLab did not confirm the rotation of tokenbot's own token. If it happened, the old"
        " token is revoked and the new value was lost: if tokenbot's GitLab calls now fail"
        f" with 'revoked', {_REPLACE}. Do not retry with the old token: a revoked token sent"
        " to a rotate endpoint makes GitLab revoke its successors too."
    )


def _expiry(credential: BotCredential) -> str:
    return f"tokenbot's GitLab token '{credential.name}' expires on {credential.expires_on}"


def _report(
    credential: BotCredential,
    today: date,
    state: OwnCredentialState,
    problem: str | None = None,
) -> OwnCredentialReport:
    return OwnCredentialReport(
        state,
        credential.gitlab_id,
        credential.name,
        credential.scopes,
        credential.expires_on,
        days_left(credential.expires_on, today),
        problem,
    )


def _report_of(
    issued: IssuedToken, today: date, state: OwnCredentialState, problem: str
) -> OwnCredentialReport:
    new = issued.record
    left = days_left(new.expires_on, today)
    return OwnCredentialReport(
        state, new.gitlab_id, new.name, new.scopes, new.expires_on, left, problem
    )
