"""Messages about hand-off rotations: under way (with its two buttons), new token used, old
token revoked, cancelled. Every name and path came from people or GitLab: made inert here."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement

from bot.domain.handoff import Handoff, HandoffOutcome
from bot.domain.profiles import PROFILES
from bot.domain.requests import TokenRequest
from bot.services.request_handoff import hands_off_request
from bot.slack import ids
from bot.slack import text as t
from bot.slack.blocks import parts

_NAME = 300
_CONFIRM_NAME = 80


def _token(handoff: Handoff) -> str:
    title = PROFILES[handoff.token_type].title
    return f"{title} {t.code(handoff.name, _NAME)} on {t.code(handoff.target, _NAME)}"


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def under_way(handoff: Handoff, *, cancellable: bool = True) -> tuple[list[dict[str, Any]], str]:
    """The DM once the new token exists: what happens next, and the buttons (no Cancel for a
    hand-off that wrote its CI/CD variable: the variable holds the new secret already)."""
    text = (
        f"Hand-off under way for your {_token(handoff)}: the old token keeps working beside"
        " the new one. Put the new secret wherever the old one is used; tokenbot revokes the"
        " old token once GitLab sees the new one in use, and at the latest on"
        f" {_when(handoff.deadline)}."
    )
    name = t.plain(handoff.name, _CONFIRM_NAME)
    revoke = ButtonElement(
        text="Revoke the old one now",
        action_id=ids.HANDOFF_REVOKE_OLD,
        value=handoff.request_id,
        style="danger",
        confirm=parts.confirm(
            title="Revoke the old token now?",
            words=f"Everything still using the old secret of '{name}' stops working at once.",
            ok="Revoke it",
            deny="Keep it",
        ),
    )
    cancel = ButtonElement(
        text="Cancel hand-off",
        action_id=ids.HANDOFF_CANCEL,
        value=handoff.request_id,
        confirm=parts.confirm(
            title="Cancel the hand-off?",
            words=f"The new token for '{name}' is revoked; the old one stays as it is.",
            ok="Cancel hand-off",
            deny="Go on",
        ),
    )
    buttons = [revoke, cancel] if cancellable else [revoke]
    blocks: list[Block] = [parts.section(text), ActionsBlock(elements=buttons)]
    return [b.to_dict() for b in blocks], t.clip(text, t.MESSAGE_TEXT)


def rotate_button(request: TokenRequest) -> ButtonElement:
    """ "Rotate token" on a requested token, with a confirmation saying what follows."""
    name = t.plain(request.draft.name, _CONFIRM_NAME)
    words = (
        f"A new token like '{name}' goes to you. The old one keeps working until GitLab sees"
        " the new one in use, or until the hand-off deadline; then tokenbot revokes it."
        if hands_off_request(request)
        else f"This kind of token can only be rotated in place: the current secret of '{name}'"
        " stops working at once, and a new one goes to you."
    )
    return ButtonElement(
        text="Rotate token",
        action_id=ids.REQUEST_ROTATE,
        value=request.id,
        confirm=parts.confirm(title="Rotate this token?", words=words, ok="Rotate", deny="Keep it"),
    )


def rotate_buttons(request: TokenRequest) -> list[ButtonElement]:
    """Rotate token, and beside it Rotate in place where Rotate hands off (a leaked secret
    should die at once)."""
    buttons = [rotate_button(request)]
    if hands_off_request(request):
        name = t.plain(request.draft.name, _CONFIRM_NAME)
        buttons.append(
            ButtonElement(
                text="Rotate in place",
                action_id=ids.REQUEST_ROTATE_IN_PLACE,
                value=request.id,
                confirm=parts.confirm(
                    title="Rotate in place?",
                    words=f"The current secret of '{name}' stops working at once (use this"
                    " when it leaked); a new one goes to you.",
                    ok="Rotate in place",
                    deny="Keep it",
                ),
            )
        )
    return buttons


def successor_used(handoff: Handoff) -> str:
    seen = _when(handoff.successor_used_at) if handoff.successor_used_at else "recently"
    return (
        f"GitLab saw the new {_token(handoff)} in use ({seen}). tokenbot revokes the old one"
        " at its next sync."
    )


_WHY = {
    HandoffOutcome.USED: "the new one is in use",
    HandoffOutcome.DEADLINE: "the hand-off deadline passed",
    HandoffOutcome.NOW: "it was asked to at once",
}


def old_revoked(handoff: Handoff) -> str:
    why = _WHY.get(handoff.outcome or HandoffOutcome.NOW, "the hand-off ended")
    who = (
        "" if handoff.finished_by in {None, "tokenbot"} else f" by {t.mention(handoff.finished_by)}"
    )
    return f"The old {_token(handoff)} was revoked{who}: {why}. Only the new one works now."


def successor_gone(handoff: Handoff) -> str:
    return (
        f"The new {_token(handoff)} is no longer in GitLab (it was revoked there), so the"
        " hand-off ended: the old token keeps working and is reminded of again. Rotate it"
        " again when you are ready."
    )


def cancelled(handoff: Handoff) -> str:
    return (
        f"Hand-off cancelled for the {_token(handoff)}: the new token was revoked and the old"
        " one keeps working as before."
    )
