"""Block Kit for asking people to approve: the line naming them on the card, the direct
message with Approve and Deny, reminders, escalation, and the notes to the requester."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from bot.domain.approval_notices import SUBTEAM_PREFIX
from bot.domain.requests import TokenRequest
from bot.domain.tokens import AccessLevel
from bot.slack import text as t
from bot.slack.blocks import parts
from bot.slack.blocks.requests import approval_card

_NAME = 300
_MENTIONED = 40  # people and groups named on one card; more are "and N others"


def mentions(asked: Sequence[str]) -> str:
    """`asked` as mrkdwn mentions: Slack users, and user groups ("subteam:S…")."""
    shown = [
        t.group_mention(who.removeprefix(SUBTEAM_PREFIX))
        if who.startswith(SUBTEAM_PREFIX)
        else t.mention(who)
        for who in asked[:_MENTIONED]
    ]
    more = len(asked) - len(shown)
    return ", ".join(shown) + (f" and {more} others" if more > 0 else "")


def asked_line(asked: Sequence[str]) -> str:
    return f"Can approve: {mentions(asked)}" if asked else ""


def _about(request: TokenRequest) -> str:
    draft = request.draft
    return (
        f"{t.mention(request.requester) if t.is_user_id(request.requester) else _shell(request)}"
        f"'s request for {t.code(draft.name, _NAME)} on {t.code(draft.target, _NAME)}"
    )


def _shell(request: TokenRequest) -> str:
    return f"{t.code(request.requester, 64)} (in tokenbot shell)"


def approver_message(request: TokenRequest, lead: str) -> tuple[list[dict[str, Any]], str]:
    """The request's card with its Approve and Deny buttons, after `lead` (own mrkdwn)."""
    blocks, text = approval_card(request)
    return [parts.section(lead).to_dict(), *blocks], t.clip(f"{lead} {text}", t.MESSAGE_TEXT)


def ask_lead(request: TokenRequest) -> str:
    return f"You can approve {_about(request)}. It waits for you:"


def decided_lead(request: TokenRequest) -> str:
    return f"You were asked about {_about(request)}; it is {request.state.value} now."


def reminder_lead(request: TokenRequest, waited: timedelta) -> str:
    return f"Reminder: {_about(request)} has waited {_hours(waited)} for a decision."


def fallback_lead(request: TokenRequest, nobody: bool) -> str:
    why = "nobody but the requester can approve it" if nobody else "nobody has decided on it"
    return f"You are a fallback approver: {_about(request)} needs you, because {why}."


def escalation(request: TokenRequest, fallback: Sequence[str], waited: timedelta) -> str:
    """The post in the approvals channel (under the card) that names the fallback approvers."""
    who = mentions(fallback) if fallback else "nobody (set TOKENBOT_FALLBACK_APPROVERS)"
    return (
        f":rotating_light: {_about(request)} has waited {_hours(waited)} and nobody has"
        f" decided. Escalated to the fallback approvers: {who}."
    )


def refused_fallback(request: TokenRequest, reason: str, role: AccessLevel) -> str:
    """A fallback approver the rules would not let approve: whom to ask instead."""
    target = t.code(request.draft.target, _NAME)
    return (
        f"You are a fallback approver for {_about(request)}, but you cannot approve it:"
        f" {t.prose(reason, 500)}. Ask someone with {role.label} or higher on {target} in"
        " GitLab to approve it (they see it with `/token pending` once tokenbot knows them),"
        " or a tokenbot approver (TOKENBOT_APPROVERS)."
    )


def nobody_can(request: TokenRequest, role: AccessLevel, fallback: Sequence[str]) -> str:
    """To the requester at submit: plainly, that nobody else could approve it."""
    target = t.code(request.draft.target, _NAME)
    known = (
        f"Nobody but you can approve this request: tokenbot knows nobody else with"
        f" {role.label} or higher on {target} in GitLab (tokenbot knows people who linked"
        " their GitLab account with `/token link` or are in TOKENBOT_USER_MAP)."
    )
    if fallback:
        return f"{known} I have asked the fallback approvers: {mentions(fallback)}."
    return (
        f"{known} No fallback approvers are set (TOKENBOT_FALLBACK_APPROVERS): ask someone"
        f" with {role.label} or higher on {target} to link their account and approve it, or"
        " the request expires unanswered."
    )


def shell_ready(request: TokenRequest, ttl: timedelta) -> str:
    """To a shell requester's Slack user: the secret stays where it was asked for."""
    sid = request.id[:8]
    return (
        f"Your request for {t.code(request.draft.name, _NAME)} on"
        f" {t.code(request.draft.target, _NAME)}, made in tokenbot shell, is approved and the"
        f" token is ready: type `reveal {sid}` in tokenbot shell within {_minutes(ttl)}."
    )


def shell_decided(request: TokenRequest, words: str) -> str:
    """To a shell requester's Slack user: what happened to their request."""
    return (
        f"Your request for {t.code(request.draft.name, _NAME)} on"
        f" {t.code(request.draft.target, _NAME)}, made in tokenbot shell: {words}"
    )


def _hours(span: timedelta) -> str:
    hours = int(span.total_seconds() // 3600)
    return "an hour" if hours == 1 else f"{hours} hours"


def _minutes(span: timedelta) -> str:
    return f"{int(span.total_seconds() // 60)} minutes"
