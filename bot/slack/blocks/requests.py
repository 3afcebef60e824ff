"""Block Kit for token requests: the request form, the approval card, the one-time reveal."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DatePickerElement,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    RadioButtonsElement,
    SectionBlock,
    StaticMultiSelectElement,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.domain.credentials import Secret
from bot.domain.profiles import PROFILES, how_to_use
from bot.domain.request_policy import REQUESTABLE
from bot.domain.requests import Delivery, RequestState, TokenRequest
from bot.domain.tokens import AccessLevel, Scope, TokenType
from bot.slack import ids

_DELIVERY = {
    Delivery.REVEAL: "Show it to me once",
    Delivery.CI_VARIABLE: "Put it into a masked, protected CI/CD variable",
}


def request_modal(
    *,
    today: date,
    token_type: TokenType | None = None,
    scopes: tuple[Scope, ...] = (),
    role: AccessLevel | None = None,
    lifetime_days: int = 90,
    scope_choices: Sequence[Scope] | None = None,
    with_role: bool = True,
) -> dict[str, Any]:
    """The request form; fields the advisor already knows are filled in.

    `scope_choices` are the scopes the chosen type may have (None: every scope, before a type
    is chosen); with none, and without a role, those fields are left out. Choosing a type
    updates the form (the type select dispatches an action).
    """
    types = [Option(value=t.value, label=PROFILES[t].title) for t in REQUESTABLE]
    choices = list(Scope) if scope_choices is None else list(scope_choices)
    scope_options = [Option(value=s.value, label=s.value) for s in choices]
    roles = [Option(value=str(int(r)), label=r.label) for r in AccessLevel]
    delivery = [Option(value=d.value, label=label) for d, label in _DELIVERY.items()]
    blocks: list[Block] = [
        _input(
            "target",
            "Project or group path",
            PlainTextInputElement(action_id="value", placeholder="group/project"),
        ),
        InputBlock(
            block_id="token_type",
            label="Token type",
            dispatch_action=True,
            element=StaticSelectElement(
                action_id="value",
                options=types,
                initial_option=_pick(types, token_type.value if token_type else None),
            ),
        ),
        _input(
            "name",
            "Name",
            PlainTextInputElement(action_id="value", placeholder="what uses it, e.g. ci-release"),
        ),
    ]
    if scope_options:
        blocks.append(
            _input(
                "scopes",
                "Scopes",
                StaticMultiSelectElement(
                    action_id="value",
                    options=scope_options,
                    initial_options=[o for o in scope_options if o.value in scopes] or None,
                ),
                optional=True,
            )
        )
    if with_role:
        blocks.append(
            _input(
                "role",
                "Role",
                StaticSelectElement(
                    action_id="value",
                    options=roles,
                    initial_option=_pick(roles, str(int(role)) if role else None),
                ),
                optional=True,
            )
        )
    blocks += [
        _input(
            "expires_on",
            "Expires on",
            DatePickerElement(
                action_id="value", initial_date=(today + timedelta(days=lifetime_days)).isoformat()
            ),
        ),
        _input("reason", "Reason", PlainTextInputElement(action_id="value", multiline=True)),
        _input(
            "delivery",
            "Delivery",
            RadioButtonsElement(action_id="value", options=delivery, initial_option=delivery[0]),
        ),
        _input(
            "variable_project",
            "CI/CD variable project",
            PlainTextInputElement(
                action_id="value", placeholder="only for delivery into a variable"
            ),
            optional=True,
        ),
        _input(
            "variable_key",
            "CI/CD variable name",
            PlainTextInputElement(action_id="value", placeholder="e.g. RELEASE_TOKEN"),
            optional=True,
        ),
    ]
    view = View(
        type="modal",
        callback_id=ids.REQUEST_SUBMIT,
        title="Request a GitLab token",
        submit="Request",
        close="Cancel",
        blocks=blocks,
    )
    return view.to_dict()


def approval_card(request: TokenRequest) -> tuple[list[dict[str, Any]], str]:
    draft = request.draft
    role = draft.access_level.label if draft.access_level else "—"
    if request.renews is None:
        header = "GitLab token request"
        lead = (
            f"<@{request.requester}> asks for a *{PROFILES[draft.token_type].title}*"
            f" on `{draft.target}`"
        )
    else:
        asker = request.renews.asked_by or request.requester
        header = "GitLab token renewal"
        lead = (
            f"<@{asker}> asks to renew the *{PROFILES[draft.token_type].title}* '{draft.name}'"
            f" on `{draft.target}` until {draft.expires_on.isoformat()}; its new secret goes"
            f" to its owner <@{request.requester}>"
        )
    blocks: list[Block] = [
        HeaderBlock(text=header),
        SectionBlock(text=MarkdownTextObject(text=lead)),
        SectionBlock(
            fields=[
                MarkdownTextObject(text=f"*Name*\n{draft.name}"),
                MarkdownTextObject(text=f"*Scopes*\n{', '.join(draft.scopes) or '—'}"),
                MarkdownTextObject(text=f"*Role*\n{role}"),
                MarkdownTextObject(text=f"*Expires on*\n{draft.expires_on.isoformat()}"),
                MarkdownTextObject(text=f"*Delivery*\n{_DELIVERY[draft.delivery]}"),
                MarkdownTextObject(
                    text=f"*Approvals*\n{len(request.approvals)} of {request.required_approvals}"
                ),
            ]
        ),
        SectionBlock(text=MarkdownTextObject(text=f"*Reason*\n{draft.reason}")),
    ]
    if request.risk_flags:
        blocks.append(
            ContextBlock(
                elements=[
                    MarkdownTextObject(text=":warning: Risk: " + ", ".join(request.risk_flags))
                ]
            )
        )
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=_status(request))]))
    value = request.id
    if request.state is RequestState.PENDING:
        blocks.append(
            ActionsBlock(
                elements=[
                    ButtonElement(
                        text="Approve", action_id=ids.REQUEST_APPROVE, value=value, style="primary"
                    ),
                    ButtonElement(
                        text="Deny", action_id=ids.REQUEST_DENY, value=value, style="danger"
                    ),
                ]
            )
        )
    elif request.state is RequestState.FAILED:
        blocks.append(
            ActionsBlock(
                elements=[
                    ButtonElement(text="Retry", action_id=ids.REQUEST_RETRY, value=value),
                    ButtonElement(
                        text="Deny", action_id=ids.REQUEST_DENY, value=value, style="danger"
                    ),
                ]
            )
        )
    text = f"Token request from <@{request.requester}> for {draft.target}: {request.state}"
    return [b.to_dict() for b in blocks], text


def deny_modal(request_id: str) -> dict[str, Any]:
    view = View(
        type="modal",
        callback_id=ids.DENY_SUBMIT,
        title="Deny the request",
        submit="Deny",
        close="Cancel",
        private_metadata=request_id,
        blocks=[
            _input(
                "deny_reason", "Reason", PlainTextInputElement(action_id="value", multiline=True)
            )
        ],
    )
    return view.to_dict()


def waiting_message(request: TokenRequest, channel: str) -> tuple[list[dict[str, Any]], str]:
    """The requester's DM after submitting, with a way to cancel."""
    text = (
        f"Your request for '{request.draft.name}' on `{request.draft.target}` is waiting"
        f" for approval in <#{channel}>."
    )
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=text)),
        ActionsBlock(
            elements=[
                ButtonElement(text="Cancel request", action_id=ids.REQUEST_CANCEL, value=request.id)
            ]
        ),
    ]
    return [b.to_dict() for b in blocks], text


def rotate_offer(request: TokenRequest, text: str) -> tuple[list[dict[str, Any]], str]:
    """A DM line about a token whose secret is gone, with a way to get a fresh one."""
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=text)),
        ActionsBlock(
            elements=[
                ButtonElement(text="Rotate token", action_id=ids.REQUEST_ROTATE, value=request.id)
            ]
        ),
    ]
    return [b.to_dict() for b in blocks], text


def ready_message(
    request: TokenRequest, *, ttl: timedelta, lead: str | None = None
) -> tuple[list[dict[str, Any]], str]:
    """The requester's DM with the Reveal button; `lead` replaces the first sentence."""
    opening = lead or (
        f"Your {PROFILES[request.draft.token_type].title} '{request.draft.name}' on"
        f" `{request.draft.target}` is ready."
    )
    text = f"{opening} Reveal it once, within {_duration(ttl)}."
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=text)),
        ActionsBlock(
            elements=[
                ButtonElement(
                    text="Reveal token",
                    action_id=ids.REQUEST_REVEAL,
                    value=request.id,
                    style="primary",
                )
            ]
        ),
    ]
    return [b.to_dict() for b in blocks], text


def reveal_modal(request: TokenRequest, secret: Secret) -> dict[str, Any]:
    """The only place a secret is ever written to Slack: a modal, shown once."""
    steps = "\n".join(f"• {line}" for line in how_to_use(request.draft.token_type))
    view = View(
        type="modal",
        title="Your new token",
        close="Done",
        blocks=[
            SectionBlock(
                text=MarkdownTextObject(
                    text="Copy it now: tokenbot has forgotten it and will not show it again."
                )
            ),
            SectionBlock(text=MarkdownTextObject(text=f"```{secret.reveal()}```")),
            SectionBlock(text=MarkdownTextObject(text=f"*How to use it*\n{steps}")),
        ],
    )
    return view.to_dict()


def _status(request: TokenRequest) -> str:
    approvers = ", ".join(f"<@{a.approver}>" for a in request.approvals)
    by = f" by {approvers}" if approvers else ""
    return {
        RequestState.PENDING: f"Waiting for approval{by}.",
        RequestState.APPROVED: f"Approved{by}; creating the token…",
        RequestState.PROVISIONING: f"Approved{by}; creating the token…",
        RequestState.PROVISIONED: f"Approved{by}; token created (GitLab id"
        f" {request.gitlab_token_id}).",
        RequestState.ROTATING: f"Approved{by}; token created, now being rotated.",
        RequestState.FAILED: f"Approved{by}, but GitLab refused: {request.failure}",
        RequestState.DENIED: f"Denied by <@{request.decided_by}>: {request.deny_reason}",
        RequestState.CANCELLED: "Cancelled by the requester.",
        RequestState.EXPIRED: "Expired: nobody decided in time.",
    }[request.state]


def _input(block_id: str, label: str, element: Any, *, optional: bool = False) -> InputBlock:
    return InputBlock(block_id=block_id, label=label, element=element, optional=optional)


def _pick(options: list[Option], value: str | None) -> Option | None:
    return next((o for o in options if o.value == value), None)


def _duration(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    if minutes % 60 == 0:
        hours = minutes // 60
        return "the hour" if hours == 1 else f"{hours} hours"
    return f"{minutes} minutes"
