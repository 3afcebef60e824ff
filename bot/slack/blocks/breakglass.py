"""Block Kit for break-glass: its form, the loud announcement, the review card, and the
messages of the sweep (escalation, end of lifetime). Values from people and GitLab are made
inert by `bot.slack.text` before they are placed."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    StaticMultiSelectElement,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.domain.breakglass import BreakGlassReview
from bot.domain.profiles import PROFILES
from bot.domain.requests import RequestState, TokenRequest
from bot.domain.tokens import AccessLevel, Scope, TokenType
from bot.slack import ids
from bot.slack import text as t
from bot.slack.blocks import limits, parts
from bot.slack.blocks.submitted import checking_view, done_view, refilled

_SHOWN = 300  # a name or path in a sentence
TITLE = "Break glass"


def breakglass_modal(
    *,
    types: Sequence[TokenType],
    scopes: Sequence[Scope],
    roles: Sequence[AccessLevel],
    hours: int,
) -> dict[str, Any]:
    """The break-glass form: what, where, why. Lifetime and delivery are not asked: it lives
    `hours` and is shown once to the person who asked."""
    type_options = [Option(value=k.value, label=PROFILES[k].title) for k in types]
    blocks: list[Block] = [
        parts.section(
            f":rotating_light: *Break glass*: the token is made at once, without approval, and"
            f" works for {hours} hours. The approvals channel is told now, and an approver"
            " reviews it afterwards."
        ),
        _text("target", "Project or group path", limits.TARGET_MAX_LENGTH, "group/project"),
        InputBlock(
            block_id="token_type",
            label="Token type",
            element=StaticSelectElement(action_id="value", options=type_options),
        ),
        _text("name", "Name", limits.NAME_MAX_LENGTH, "what uses it, e.g. incident-1234"),
    ]
    if scopes:
        options = [Option(value=s.value, label=s.value) for s in scopes]
        select = StaticMultiSelectElement(action_id="value", options=options)
        blocks.append(InputBlock(block_id="scopes", label="Scopes", element=select, optional=True))
    if roles:
        options = [Option(value=str(int(r)), label=r.label) for r in roles]
        role = StaticSelectElement(action_id="value", options=options)
        blocks.append(InputBlock(block_id="role", label="Role", element=role, optional=True))
    blocks.append(
        _text("reason", "Why break glass?", limits.REASON_MAX_LENGTH, "the incident", multi=True)
    )
    view = View(
        type="modal",
        callback_id=ids.BREAKGLASS_SUBMIT,
        title=TITLE,
        submit="Make it now",
        close="Cancel",
        blocks=blocks,
    )
    return view.to_dict()


def checking_modal() -> dict[str, Any]:
    """Opened at once (a command's trigger lasts 3 s; asking GitLab may take longer), then
    replaced by the form or by the refusal."""
    return _notice_modal("Checking with GitLab that break-glass is open to you…")


def submit_checking_modal() -> dict[str, Any]:
    """The submit's ack, while GitLab and the gate are asked."""
    return checking_view(
        callback_id=ids.BREAKGLASS_SUBMIT,
        title=TITLE,
        words="The form comes back here if anything needs fixing; nothing is made until"
        " GitLab and the break-glass policy agree.",
    )


def form_again(
    form: dict[str, Any], submitted: Mapping[str, Any], problems: Mapping[str, str]
) -> dict[str, Any]:
    return refilled(form, submitted, problems, again="Make it now")


def made_modal(request: TokenRequest) -> dict[str, Any]:
    """The confirmation: the token is being made, and where it and the news of it go."""
    kind = PROFILES[request.draft.token_type].title
    what = f"{kind} {t.code(request.draft.name, _SHOWN)}"
    return done_view(
        callback_id=ids.BREAKGLASS_SUBMIT,
        title=TITLE,
        markup=f":rotating_light: *Breaking glass.* tokenbot makes the {what} on"
        f" {t.code(request.draft.target, _SHOWN)} now; it is shown to you once, in a direct"
        " message. The approvals channel is told, and an approver reviews it afterwards.",
    )


def refused_modal(words: str) -> dict[str, Any]:
    """In place of the form, for someone the policy does not allow: no submit button."""
    return _notice_modal(":no_entry: " + t.prose(words, t.SECTION_TEXT - 20))


def _notice_modal(markup: str) -> dict[str, Any]:
    view = View(
        type="modal",
        callback_id=ids.BREAKGLASS_SUBMIT,
        title=TITLE,
        close="Close",
        blocks=[parts.section(markup)],
    )
    return view.to_dict()


def announcement(
    request: TokenRequest, review: BreakGlassReview
) -> tuple[list[dict[str, Any]], str]:
    """The loud message in the approvals channel: who, what, why, until when."""
    who, where = t.mention(request.requester), t.code(request.draft.target, _SHOWN)
    made = (
        "made it at once, without approval"
        if request.state is RequestState.PROVISIONED
        else f"asked for it, and it is {request.state.value}"
    )
    blocks: list[Block] = [
        parts.header(":rotating_light: Break-glass token"),
        parts.section(f"<!here> {who} broke glass on {where}: tokenbot {made}."),
        *_facts(request, review),
    ]
    text = f"<!here> Break-glass: {who} on {where}"
    return [b.to_dict() for b in blocks], t.clip(text, t.MESSAGE_TEXT)


def review_card(
    request: TokenRequest, review: BreakGlassReview
) -> tuple[list[dict[str, Any]], str]:
    """The review an approver must acknowledge; redrawn after each step."""
    blocks: list[Block] = [
        parts.header("Break-glass review"),
        parts.section(
            f"{t.mention(request.requester)} broke glass on"
            f" {t.code(request.draft.target, _SHOWN)}. An approver acknowledges that they"
            " reviewed it."
        ),
        *_facts(request, review),
        parts.context(_review_status(review)),
    ]
    if not review.acknowledged:
        blocks.append(
            ActionsBlock(
                elements=[
                    ButtonElement(
                        text="Acknowledge",
                        action_id=ids.BREAKGLASS_ACKNOWLEDGE,
                        value=request.id,
                        style="primary",
                    )
                ]
            )
        )
    text = f"Break-glass review of {t.mention(request.requester)}: {_review_status(review)}"
    return [b.to_dict() for b in blocks], t.clip(text, t.MESSAGE_TEXT)


def escalation(request: TokenRequest, review: BreakGlassReview, approvers: Collection[str]) -> str:
    """The overdue review, said again with mentions: the approvers, else the channel."""
    named = " ".join(t.mention(a) for a in sorted(approvers)) or "<!channel>"
    return t.clip(
        f"{named} :warning: the break-glass review of {t.mention(request.requester)} on"
        f" {t.code(request.draft.target, _SHOWN)} ({t.code(request.draft.name, _SHOWN)}) is"
        f" overdue: nobody acknowledged it by {_when(review.review_due)}. Please review it"
        " and click Acknowledge on its card.",
        t.MESSAGE_TEXT,
    )


def ended(request: TokenRequest) -> str:
    """The requester's DM when tokenbot revoked the token at the end of its lifetime."""
    return t.clip(
        f"Your break-glass token {t.code(request.draft.name, _SHOWN)} on"
        f" {t.code(request.draft.target, _SHOWN)} reached the end of its lifetime; tokenbot"
        " revoked it. Request a token with `/token request` if you still need one.",
        t.MESSAGE_TEXT,
    )


def _facts(request: TokenRequest, review: BreakGlassReview) -> list[Block]:
    draft = request.draft
    return [
        parts.fields(
            f"*Token*\n{t.prose(PROFILES[draft.token_type].title, 200)}",
            f"*Name*\n{t.code(draft.name, t.SECTION_FIELD - 10)}",
            f"*Scopes*\n{', '.join(draft.scopes) or t.EMPTY}",
            f"*Role*\n{draft.access_level.label if draft.access_level else t.EMPTY}",
            f"*Works until*\n{_when(review.ends_at)}",
            f"*Review due*\n{_when(review.review_due)}",
        ),
        parts.section("*Why*\n" + t.prose(draft.reason, t.SECTION_TEXT - 10)),
    ]


def _review_status(review: BreakGlassReview) -> str:
    if review.acknowledged_at is not None:
        return (
            f":white_check_mark: Acknowledged by {t.mention(review.acknowledged_by)}"
            f" at {_when(review.acknowledged_at)}"
        )
    if review.escalated_at is not None:
        return f":warning: Overdue: escalated at {_when(review.escalated_at)}; not acknowledged yet"
    return f"Waiting for an approver's acknowledgement, due {_when(review.review_due)}"


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _text(
    block_id: str, label: str, max_length: int, placeholder: str, *, multi: bool = False
) -> InputBlock:
    element = PlainTextInputElement(
        action_id="value", placeholder=placeholder, multiline=multi or None, max_length=max_length
    )
    return InputBlock(block_id=block_id, label=label, element=element)
