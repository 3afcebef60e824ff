"""The short messages tokenbot sends people: every value from people or GitLab made inert.

Listeners send these as they are (mrkdwn); nothing here takes text that is already markup.
"""

from __future__ import annotations

from bot.domain.expiry import shown_expiry
from bot.domain.requests import Delivery, RequestDraft, TokenRequest
from bot.slack import ids
from bot.slack import text as t

_NAME = 300  # a name or path in a sentence: GitLab's 255 characters and some entities
_WORDS = 1200  # an error or a reason in a sentence
_SAID = 2000  # a whole note


def said(words: str) -> str:
    """Plain words (a refusal, an error) as safe mrkdwn."""
    return t.prose(words, _SAID)


def _name(draft: RequestDraft) -> str:
    return t.code(draft.name, _NAME)


def _where(path: str | None) -> str:
    return t.code(path or "", _NAME)


def _expiry(draft: RequestDraft) -> str:
    return shown_expiry(draft.expires_on)


def denied(request: TokenRequest, by: str) -> str:
    reason = t.prose(request.deny_reason or "", _WORDS)
    return f"Your request for {_name(request.draft)} was denied by {t.mention(by)}: {reason}"


def cancelled(request: TokenRequest) -> str:
    draft = request.draft
    return f"You cancelled your request for {_name(draft)} on {_where(draft.target)}."


def refused_by_gitlab(request: TokenRequest, *, renewal: bool) -> str:
    verb = "rotate" if renewal else "create"
    failure = t.prose(request.failure or "", _WORDS)
    return (
        f"Your request for {_name(request.draft)} was approved, but GitLab refused to {verb}"
        f" it: {failure}. An approver can retry."
    )


def in_variable(draft: RequestDraft, *, rotated: bool) -> str:
    verb = "was rotated; the new secret is" if rotated else "is"
    return (
        f"Your token {_name(draft)} {verb} in the masked, protected CI/CD variable"
        f" {_where(draft.variable_key)} of {_where(draft.variable_project)}."
    )


def rotated_lead(draft: RequestDraft, problem: str | None) -> str:
    lead = (
        f"Your token {_name(draft)} on {_where(draft.target)} was rotated: the old secret no"
        f" longer works. It expires on {_expiry(draft)}."
    )
    if problem is not None:
        lead += (
            f" But {t.prose(problem, _WORDS)}: reveal the new secret and set the variable yourself."
        )
    return lead


def not_in_variable(draft: RequestDraft, problem: str) -> str:
    """A hand-off's new token whose variable could not be written: the old one still works."""
    return (
        f"Your new token {_name(draft)} on {_where(draft.target)} is ready, but"
        f" {t.prose(problem, _WORDS)}: reveal it and set the variable yourself. The old token"
        " keeps working until the new one is in use."
    )


def revealed(draft: RequestDraft) -> str:
    return (
        f"Your token {_name(draft)} was revealed. Store it somewhere safe; if you lose it,"
        " rotate the token to get a fresh secret."
    )


def secret_gone(draft: RequestDraft) -> str:
    return (
        f"The secret of {_name(draft)} is gone: it was revealed, or nobody revealed it in"
        " time. Rotate the token to get a fresh one."
    )


def expired(draft: RequestDraft) -> str:
    return (
        f"Your request for {_name(draft)} on {_where(draft.target)} expired: nobody decided"
        f" on it in time. Use `{ids.COMMAND} request` to ask again."
    )


def withdrawn() -> str:
    return (
        "Your request could not be put before the approvers (Slack refused its approval"
        " card), so tokenbot withdrew it; nothing was created. Please try again, or tell"
        " your tokenbot admin."
    )


def renewal_waits(request: TokenRequest, channel: str) -> str:
    draft = request.draft
    return (
        f"A renewal of the token {_name(draft)} on {_where(draft.target)} until"
        f" {_expiry(draft)} waits for approval in {t.channel_link(channel)}. Once approved,"
        " its new secret comes here."
    )


def renewal_asked(by: str, request: TokenRequest, channel: str) -> str:
    return (
        f"{t.mention(by)} asked to renew it until {_expiry(request.draft)}; waiting for"
        f" approval in {t.channel_link(channel)}."
    )


def rotated_by(by: str, request: TokenRequest) -> str:
    if request.renews is not None and request.renews.handoff:
        return (
            f"{t.mention(by)} rotated it by hand-off: a new token, valid until"
            f" {_expiry(request.draft)}, went to {t.mention(request.requester)}; this one keeps"
            " working until the new one is in use, then tokenbot revokes it."
        )
    return (
        f"{t.mention(by)} rotated it: the old secret no longer works; the new one, valid until"
        f" {_expiry(request.draft)}, went to {t.mention(request.requester)}."
    )


def rotation_interrupted(request: TokenRequest) -> str:
    """The reconciler finished a rotation a stopped tokenbot left behind: GitLab rotated
    the token, and nobody holds the new secret."""
    draft = request.draft
    text = (
        f"Your rotation of {_name(draft)} on {_where(draft.target)} was interrupted: GitLab"
        " gave the token a new secret, but tokenbot was stopped before it could hand it to"
        " you. The old secret no longer works. Click Rotate token to get a fresh one."
    )
    if draft.delivery is Delivery.CI_VARIABLE:
        text += (
            f" The CI/CD variable {_where(draft.variable_key)} of"
            f" {_where(draft.variable_project)} still holds the old secret; Rotate token"
            " writes the fresh one into it."
        )
    return text


def rotation_refused(by: str) -> str:
    return f"{t.mention(by)} asked for a fresh secret, but GitLab refused: see their DM."


def rotated_for_someone_else(request: TokenRequest) -> str:
    """To the owner of a token someone else rotated: where their token went."""
    draft = request.draft
    return (
        f"{t.mention(request.requester)} rotated your token {_name(draft)} on"
        f" {_where(draft.target)}: its old secret no longer works. The new secret went to"
        f" {t.mention(request.requester)}, who owns the new token."
    )


def let_expire_by(user: str) -> str:
    return f"{t.mention(user)} chose to let it expire: no more reminders for it."


def revoked_by(user: str) -> str:
    return f"{t.mention(user)} revoked it; it no longer works."


def not_yours(owner: str) -> str:
    return (
        f"This conversation belongs to {t.mention(owner)}. Start your own with"
        f" `{ids.COMMAND} which`, or ask me in a direct message."
    )


def unknown_subcommand(sub: str, help_text: str) -> str:
    return f"I don't know {t.code(sub, 60)} yet.\n{help_text}"
