"""Block Kit for the Home tab and for `/token mine` and `/token pending`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.domain.expiry import days_left, shown_expiry
from bot.domain.hygiene_report import FlaggedCredential
from bot.domain.profiles import PROFILES
from bot.domain.requests import RequestState, TokenRequest
from bot.slack import ids
from bot.slack import text as t
from bot.slack.blocks import parts
from bot.slack.blocks.handoffs import rotate_button
from bot.slack.blocks.hygiene import home_findings
from bot.slack.blocks.links import WHY, link_button

# A Home tab holds at most 100 blocks; each list is cut well before that.
MAX_ITEMS = 12
HOME_BLOCKS = 100  # Slack's most blocks in a Home tab
_SHOWN_NAME = 300  # a name or path: GitLab's 255 characters and some entities
_SHOWN_REASON = 1200  # a reason in a list item, which also names the token and the target
_SHOWN_FAILURE = 600
_TOKEN_STATES = {RequestState.PROVISIONED, RequestState.ROTATING}
_OPEN_STATES = {
    RequestState.PENDING,
    RequestState.APPROVED,
    RequestState.PROVISIONING,
    RequestState.FAILED,
}


def my_tokens(requests: Sequence[TokenRequest], today: date) -> list[TokenRequest]:
    """Tokens made for the person through tokenbot that still work, soonest expiry first."""
    live = [
        r
        for r in requests
        if r.state in _TOKEN_STATES and (r.draft.expires_on is None or r.draft.expires_on > today)
    ]
    return sorted(live, key=lambda r: r.draft.expires_on or date.max)


def my_open_requests(requests: Sequence[TokenRequest]) -> list[TokenRequest]:
    return [r for r in requests if r.state in _OPEN_STATES]


def home_view(
    *,
    requests: Sequence[TokenRequest],
    waiting: Sequence[TokenRequest] | str,
    today: date,
    can_request: bool = True,
    link_url: str | None = None,
    findings: Sequence[FlaggedCredential] | None = None,
    findings_total: int | None = None,
) -> dict[str, Any]:
    """The Home tab: start buttons, my tokens, my requests, requests waiting for me, and
    (`findings`, with how many in all) the hygiene findings of my credentials.

    `waiting` is a message instead of a list when it cannot be worked out (no GitLab link);
    it is plain words (an error's text, say) and is escaped here. `link_url` adds the
    "Link your GitLab account" button (GitLab sign-in, for someone nobody knows yet).
    """
    starts = [ButtonElement(text="Which token should I use?", action_id=ids.HOME_ADVISE)]
    if can_request:
        starts.append(
            ButtonElement(
                text="Request a token", action_id=ids.REQUEST_OPEN, value="{}", style="primary"
            )
        )
    blocks: list[Block] = [
        HeaderBlock(text="tokenbot"),
        SectionBlock(
            text=MarkdownTextObject(
                text="I help you choose the right GitLab credential with the least scopes and"
                " role, and get it through approval."
            )
        ),
        ActionsBlock(elements=starts),
    ]
    if can_request:
        blocks += _section("Your tokens", token_items(my_tokens(requests, today), today))
        blocks += _section("Your requests", request_items(my_open_requests(requests)))
        if isinstance(waiting, str):
            blocks += [
                DividerBlock(),
                HeaderBlock(text="Waiting for you"),
                parts.section(t.prose(waiting, t.SECTION_TEXT)),
            ]
            if link_url is not None:
                blocks.append(ActionsBlock(elements=[link_button(link_url)]))
        else:
            blocks += _section("Waiting for you", decision_items(waiting))
    else:
        blocks.append(
            ContextBlock(
                elements=[
                    MarkdownTextObject(
                        text="Token requests are not set up in this workspace yet; ask an admin."
                    )
                ]
            )
        )
    if findings is not None:
        blocks += home_findings(findings, total=findings_total)
    view = View(type="home", blocks=blocks[:HOME_BLOCKS])
    return view.to_dict()


def mine_message(
    requests: Sequence[TokenRequest], today: date, *, link_url: str | None = None
) -> tuple[list[dict[str, Any]], str]:
    """`/token mine`: my tokens and my open requests (and the link button, when tokenbot does
    not know who this is in GitLab yet)."""
    tokens = my_tokens(requests, today)
    open_requests = my_open_requests(requests)
    text = (
        f"You have {_count(len(tokens), 'token')} and {_count(len(open_requests), 'open request')}."
    )
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=text))]
    blocks += _section("Your tokens", token_items(tokens, today))
    blocks += _section("Your requests", request_items(open_requests))
    if link_url is not None:
        blocks += [parts.section(WHY), ActionsBlock(elements=[link_button(link_url)])]
    return [b.to_dict() for b in blocks], text


def pending_message(waiting: Sequence[TokenRequest]) -> tuple[list[dict[str, Any]], str]:
    """`/token pending`: requests this person may decide on."""
    text = f"{_count(len(waiting), 'request').capitalize()} waiting for you."
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=text))]
    blocks += decision_items(waiting)
    return [b.to_dict() for b in blocks], text


def token_items(tokens: Sequence[TokenRequest], today: date) -> list[Block]:
    items: list[Block] = []
    for request in tokens[:MAX_ITEMS]:
        left = days_left(request.draft.expires_on, today)
        until = (
            f"Expires on {shown_expiry(request.draft.expires_on)} ({_count(left, 'day')} left)"
            if left is not None
            else "No expiry date"
        )
        items.append(
            parts.section(
                f"*{_name(request)}*: {_what(request)}\n{until}",
                accessory=rotate_button(request),
            )
        )
    return items + _more(len(tokens))


def request_items(requests: Sequence[TokenRequest]) -> list[Block]:
    items: list[Block] = []
    for request in requests[:MAX_ITEMS]:
        cancellable = request.state in {RequestState.PENDING, RequestState.FAILED}
        items.append(
            parts.section(
                f"*{_name(request)}*: {_what(request)}\n{_state(request)}",
                accessory=ButtonElement(
                    text="Cancel request", action_id=ids.REQUEST_CANCEL, value=request.id
                )
                if cancellable
                else None,
            )
        )
    return items + _more(len(requests))


def decision_items(requests: Sequence[TokenRequest]) -> list[Block]:
    items: list[Block] = []
    for request in requests[:MAX_ITEMS]:
        items.append(parts.section(_decision_text(request)))
        first = (
            ButtonElement(
                text="Retry", action_id=ids.REQUEST_RETRY, value=request.id, style="primary"
            )
            if request.state is RequestState.FAILED
            else ButtonElement(
                text="Approve", action_id=ids.REQUEST_APPROVE, value=request.id, style="primary"
            )
        )
        deny = ButtonElement(
            text="Deny", action_id=ids.REQUEST_DENY, value=request.id, style="danger"
        )
        items.append(ActionsBlock(elements=[first, deny]))
    return items + _more(len(requests))


def _section(title: str, items: list[Block]) -> list[Block]:
    body: list[Block] = items or [ContextBlock(elements=[MarkdownTextObject(text="Nothing here.")])]
    return [DividerBlock(), HeaderBlock(text=title), *body]


def _decision_text(request: TokenRequest) -> str:
    flags = ", ".join(t.prose(flag, 200) for flag in request.risk_flags)
    risk = f"\n:warning: Risk: {flags}" if flags else ""
    return (
        f"{t.mention(request.requester)} asks for *{_name(request)}*: {_what(request)}"
        f"\nReason: {t.prose(request.draft.reason, _SHOWN_REASON)}{risk}"
    )


def _name(request: TokenRequest) -> str:
    return t.code(request.draft.name, _SHOWN_NAME)


def _what(request: TokenRequest) -> str:
    draft = request.draft
    scopes = f", {', '.join(draft.scopes)}" if draft.scopes else ""
    role = f", {draft.access_level.label}" if draft.access_level else ""
    target = t.code(draft.target, _SHOWN_NAME)
    return f"{PROFILES[draft.token_type].title} on {target}{role}{scopes}"


def _state(request: TokenRequest) -> str:
    approvals = f"{len(request.approvals)} of {request.required_approvals} approvals"
    return {
        RequestState.PENDING: f"Waiting for approval ({approvals}).",
        RequestState.APPROVED: "Approved; the token is being created.",
        RequestState.PROVISIONING: "Approved; the token is being created.",
        RequestState.FAILED: "Approved, but GitLab refused: "
        + t.prose(request.failure or "", _SHOWN_FAILURE),
    }.get(request.state, request.state.value)


def _more(total: int) -> list[Block]:
    if total <= MAX_ITEMS:
        return []
    return [
        ContextBlock(
            elements=[MarkdownTextObject(text=f"… and {total - MAX_ITEMS} more not shown.")]
        )
    ]


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
