"""Block Kit for token requests: the approval card, the requester's DMs, the one-time reveal.

The forms (`request_modal`, `deny_modal`) live in `request_forms` and are re-exported here.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement
from slack_sdk.models.views import View

from bot.domain.access import ABOVE_ROLE
from bot.domain.credentials import Secret
from bot.domain.expiry import shown_expiry
from bot.domain.profiles import PROFILES, how_to_use
from bot.domain.requests import RequestState, TokenRequest
from bot.domain.tokens import TokenType
from bot.domain.usage import Usage
from bot.slack import ids
from bot.slack import text as t
from bot.slack.blocks import parts
from bot.slack.blocks.handoffs import rotate_buttons
from bot.slack.blocks.request_forms import DELIVERY, deny_modal, request_modal
from bot.slack.blocks.usage import usage_blocks

__all__ = [
    "approval_card",
    "deny_modal",
    "ready_message",
    "request_modal",
    "reveal_modal",
    "rotate_offer",
    "waiting_message",
]

_SHOWN_NAME = 300  # a name or path in a sentence: GitLab's 255 characters and some entities
_SHOWN_FAILURE = 1000


def approval_card(request: TokenRequest, asked: str = "") -> tuple[list[dict[str, Any]], str]:
    """The card; `asked` (own mrkdwn, mentions built by `blocks.approvals`) names who may
    approve while it waits."""
    draft = request.draft
    blocks: list[Block] = [
        parts.header("GitLab token request" if request.renews is None else "GitLab token renewal"),
        parts.section(_lead(request)),
        parts.fields(
            f"*Name*\n{t.code(draft.name, t.SECTION_FIELD - 10)}",
            f"*Scopes*\n{', '.join(draft.scopes) or t.EMPTY}",
            f"*Role*\n{draft.access_level.label if draft.access_level else t.EMPTY}",
            _expiry_field(request),
            f"*Delivery*\n{DELIVERY[draft.delivery]}",
            f"*Approvals*\n{len(request.approvals)} of {request.required_approvals}",
        ),
        parts.section("*Reason*\n" + t.prose(draft.reason, t.SECTION_TEXT)),
    ]
    if request.risk_flags:
        blocks.append(parts.context(":warning: Risk: " + _listed(request.risk_flags)))
    blocks.append(parts.context(_status(request)))
    waiting = asked and request.state is RequestState.PENDING
    if waiting:
        blocks.append(parts.context(asked))
    buttons = _decision_buttons(request)
    if buttons:
        blocks.append(ActionsBlock(elements=buttons))
    text = (
        f"Token request from {t.mention(request.requester)} for"
        f" {t.code(draft.target, _SHOWN_NAME)}: {request.state}"
    ) + (f". {asked}" if waiting else "")
    return [b.to_dict() for b in blocks], t.clip(text, t.MESSAGE_TEXT)


def waiting_message(request: TokenRequest, channel: str) -> tuple[list[dict[str, Any]], str]:
    """The requester's DM after submitting, with a way to cancel."""
    text = (
        f"Your request for {_name(request)} on {_target(request)} is waiting"
        f" for approval in {t.channel_link(channel)}."
    )
    cancel = ButtonElement(text="Cancel request", action_id=ids.REQUEST_CANCEL, value=request.id)
    blocks: list[Block] = [parts.section(text), ActionsBlock(elements=[cancel])]
    return [b.to_dict() for b in blocks], t.clip(text, t.MESSAGE_TEXT)


def rotate_offer(request: TokenRequest, text: str) -> tuple[list[dict[str, Any]], str]:
    """A DM line about a token whose secret is gone, with a way to get a fresh one.

    `text` is the caller's mrkdwn: what came from people in it must be escaped already
    (`bot.slack.text`); here it is only bounded.
    """
    blocks: list[Block] = [parts.section(text)]
    if not request.break_glass:  # never rotated: it ends within a day (break glass again)
        blocks.append(ActionsBlock(elements=list(rotate_buttons(request))))
    return [b.to_dict() for b in blocks], t.clip(text, t.MESSAGE_TEXT)


def ready_message(
    request: TokenRequest, *, ttl: timedelta, lead: str | None = None
) -> tuple[list[dict[str, Any]], str]:
    """The requester's DM with the Reveal button; `lead` replaces the first sentence.

    `lead` is the caller's mrkdwn, escaped already where it holds people's text.
    """
    opening = lead or (
        f"Your {PROFILES[request.draft.token_type].title} {_name(request)} on"
        f" {_target(request)} is ready."
    )
    text = f"{opening} Reveal it once, within {_duration(ttl)}."
    reveal = ButtonElement(
        text="Reveal token", action_id=ids.REQUEST_REVEAL, value=request.id, style="primary"
    )
    blocks: list[Block] = [parts.section(text), ActionsBlock(elements=[reveal])]
    return [b.to_dict() for b in blocks], t.clip(text, t.MESSAGE_TEXT)


RUNS_AS_BOT = (
    ":warning: Pipelines this trigger token starts run with the rights of tokenbot's GitLab"
    " account, not yours: keep it as safe as that account. It has no expiry date; delete it"
    " in GitLab when it is no longer needed."
)


def reveal_modal(
    request: TokenRequest, secret: Secret, usage: Usage | None = None
) -> dict[str, Any]:
    """The only place a secret is ever written to Slack: a modal, shown once. `usage` (its
    username and commands) holds no secret."""
    blocks: list[Block] = [
        parts.section("Copy it now: tokenbot has forgotten it and will not show it again."),
        # Escaped, not clipped: a secret cut short is no secret; GitLab's are short.
        parts.section(f"```{t.escape(secret.reveal())}```"),
    ]
    if usage is not None:
        blocks += [parts.section("*How to use it*"), *usage_blocks(usage)]
    else:
        how_to = how_to_use(request.draft.token_type)
        steps = "\n".join(f"• {t.prose(line, t.SECTION_TEXT)}" for line in how_to)
        blocks.append(parts.section(f"*How to use it*\n{steps}"))
    if request.draft.token_type is TokenType.PIPELINE_TRIGGER_TOKEN:
        blocks.insert(1, parts.section(RUNS_AS_BOT))
    if request.draft.token_type is TokenType.SERVICE_ACCOUNT_PAT and request.draft.access_level:
        blocks.insert(1, parts.section(_account_membership(request)))
    view = View(type="modal", title="Your new token", close="Done", blocks=blocks)
    return view.to_dict()


def _account_membership(request: TokenRequest) -> str:
    """Where a new service account may act: GitLab makes it a member of nothing by itself."""
    role = request.draft.access_level.label if request.draft.access_level else ""
    return (
        f"The service account {t.code(request.draft.name, 120)} is a member of"
        f" {_target(request)} with the {t.escape(role)} role: its token can reach that group"
        " and its projects, and nothing else."
    )


def _lead(request: TokenRequest) -> str:
    draft = request.draft
    title = PROFILES[draft.token_type].title
    if request.renews is None:
        return f"{t.mention(request.requester)} asks for a *{title}* on {_target(request)}"
    above = (
        " (above their own role: approvers grant it)" if ABOVE_ROLE in request.risk_flags else ""
    )
    return (
        f"{t.mention(request.requester)} asks to renew the *{title}* {_name(request)} on"
        f" {_target(request)} until {shown_expiry(draft.expires_on)}; the new secret goes to"
        f" them{above}"
    )


def _expiry_field(request: TokenRequest) -> str:
    """When it stops working; a trigger token has no date, but says whose rights it uses."""
    if request.draft.token_type is TokenType.PIPELINE_TRIGGER_TOKEN:
        return "*Pipelines run as*\ntokenbot's GitLab account (no expiry date)"
    return f"*Expires on*\n{shown_expiry(request.draft.expires_on)}"


def _decision_buttons(request: TokenRequest) -> list[ButtonElement]:
    value = request.id
    deny = ButtonElement(text="Deny", action_id=ids.REQUEST_DENY, value=value, style="danger")
    if request.state is RequestState.PENDING:
        approve = ButtonElement(
            text="Approve", action_id=ids.REQUEST_APPROVE, value=value, style="primary"
        )
        return [approve, deny]
    if request.state is RequestState.FAILED:
        return [ButtonElement(text="Retry", action_id=ids.REQUEST_RETRY, value=value), deny]
    return []


def _status(request: TokenRequest) -> str:
    approvers = ", ".join(t.mention(a.approver) for a in request.approvals)
    by = f" by {approvers}" if approvers else ""
    failure = t.prose(request.failure or "", _SHOWN_FAILURE)
    denial = t.prose(request.deny_reason or "", t.CONTEXT_TEXT)
    return {
        RequestState.PENDING: f"Waiting for approval{by}.",
        RequestState.APPROVED: f"Approved{by}; creating the token…",
        RequestState.PROVISIONING: f"Approved{by}; creating the token…",
        RequestState.PROVISIONED: f"Approved{by}; token created (GitLab id"
        f" {request.gitlab_token_id}).",
        RequestState.ROTATING: f"Approved{by}; token created, now being rotated.",
        RequestState.FAILED: f"Approved{by}, but GitLab refused: {failure}",
        RequestState.DENIED: f"Denied by {t.mention(request.decided_by)}: {denial}",
        RequestState.CANCELLED: "Cancelled by the requester.",
        RequestState.EXPIRED: "Expired: nobody decided in time.",
    }[request.state]


def _name(request: TokenRequest) -> str:
    return t.code(request.draft.name, _SHOWN_NAME)


def _target(request: TokenRequest) -> str:
    return t.code(request.draft.target, _SHOWN_NAME)


def _listed(words: Iterable[str]) -> str:
    return ", ".join(t.prose(word, 200) for word in words)


def _duration(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    if minutes % 60 == 0:
        hours = minutes // 60
        return "the hour" if hours == 1 else f"{hours} hours"
    return f"{minutes} minutes"
