"""The advisor conversation as one Slack message, rebuilt after every answer."""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    Option,
    PlainTextObject,
    SectionBlock,
    StaticMultiSelectElement,
)

from bot.domain.advice import Recommendation
from bot.domain.request_policy import REQUESTABLE
from bot.domain.walk import Prompt
from bot.services.conversations import Turn
from bot.slack import ids
from bot.slack.parse import ButtonValue

_SECTION_LIMIT = 2900  # Slack allows 3000 characters in a section's text


def conversation_message(
    turn: Turn, *, owner: str, can_request: bool = False
) -> tuple[list[dict[str, Any]], str]:
    """Blocks and the notification text for the conversation's current state."""
    blocks: list[Block] = [HeaderBlock(text="Which GitLab token should you use?")]
    if turn.history:
        lines = [f"✓ {question}  →  *{answer}*" for question, answer in turn.history]
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=_fit("\n".join(lines)))]))
    if turn.notice:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=f":warning: {turn.notice}")))
    prompt, rec = turn.advice.prompt, turn.advice.recommendation
    if prompt is not None:
        blocks += _prompt_blocks(prompt, owner, step=len(turn.history) + 1)
        text = f"Which GitLab token? {prompt.text}"
    elif rec is not None:
        blocks += recommendation_blocks(rec)
        text = f"Recommendation: {rec.title}"
    else:
        text = "Which GitLab token?"
    navigation = _navigation(owner, can_go_back=turn.can_go_back)
    if can_request and rec is not None and rec.token_type in REQUESTABLE:
        navigation.elements.insert(0, _request_button(rec))
    blocks.append(navigation)
    return [block.to_dict() for block in blocks], text


def _request_button(rec: Recommendation) -> ButtonElement:
    prefill = {
        "t": rec.token_type.value,
        "s": [s.value for s in rec.scopes],
        "r": int(rec.access_level) if rec.access_level else None,
        "l": rec.lifetime_days,
    }
    return ButtonElement(
        text="Request this token",
        action_id=ids.REQUEST_OPEN,
        style="primary",
        value=json.dumps(prefill, separators=(",", ":")),
    )


def _prompt_blocks(prompt: Prompt, owner: str, *, step: int) -> list[Block]:
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=f"*{step}. {prompt.text}*"))]
    if prompt.help:
        blocks.append(ContextBlock(elements=[PlainTextObject(text=prompt.help)]))
    if prompt.multiple:
        select = StaticMultiSelectElement(
            action_id=ids.CAPABILITIES_SELECT,
            placeholder="Choose what the token must do",
            options=[Option(value=c.value, label=c.label) for c in prompt.choices],
        )
        done = ButtonElement(
            text="Continue",
            action_id=ids.CAPABILITIES_DONE,
            style="primary",
            value=ButtonValue(owner, prompt.question_id).encode(),
        )
        blocks.append(ActionsBlock(block_id=ids.CAPABILITIES_BLOCK, elements=[select, done]))
        return blocks
    buttons = [
        ButtonElement(
            text=_label(choice.label),
            action_id=f"{ids.ANSWER}.{index}",
            value=ButtonValue(owner, prompt.question_id, choice.value).encode(),
        )
        for index, choice in enumerate(prompt.choices)
    ]
    blocks.append(ActionsBlock(elements=buttons))
    return blocks


def recommendation_blocks(rec: Recommendation) -> list[Block]:
    role = f"{rec.access_level.label} ({int(rec.access_level)})" if rec.access_level else "—"
    lifetime = f"{rec.lifetime_days} days" if rec.lifetime_days else "no expiry date to set"
    scopes = ", ".join(f"`{s}`" for s in rec.scopes) or "none to choose"
    blocks: list[Block] = [
        DividerBlock(),
        SectionBlock(
            text=MarkdownTextObject(
                text=f"*Recommendation: {rec.title}* (`{rec.token_type.value}`)\n{rec.summary}"
            )
        ),
        SectionBlock(
            fields=[
                MarkdownTextObject(text=f"*Scopes*\n{scopes}"),
                MarkdownTextObject(text=f"*Role*\n{role}"),
                MarkdownTextObject(text=f"*Lifetime*\n{lifetime}"),
                MarkdownTextObject(text=f"*Risk*\n{rec.risk}"),
            ]
        ),
        SectionBlock(text=MarkdownTextObject(text=_fit("*Why*\n" + _bullets(rec.reasons)))),
    ]
    if rec.warnings:
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(text=_fit("*Watch out*\n" + _bullets(rec.warnings)))
            )
        )
    blocks.append(
        SectionBlock(text=MarkdownTextObject(text=_fit("*How*\n" + _bullets(rec.how_to))))
    )
    return blocks


def _navigation(owner: str, *, can_go_back: bool) -> ActionsBlock:
    value = ButtonValue(owner).encode()
    elements = [ButtonElement(text="Start over", action_id=ids.START_OVER, value=value)]
    if can_go_back:
        elements.insert(0, ButtonElement(text="Back", action_id=ids.BACK, value=value))
    return ActionsBlock(elements=elements)


def _bullets(lines: tuple[str, ...]) -> str:
    return "\n".join(f"• {line}" for line in lines)


def _label(text: str) -> str:
    return text if len(text) <= 75 else text[:74] + "…"


def _fit(text: str) -> str:
    return text if len(text) <= _SECTION_LIMIT else text[: _SECTION_LIMIT - 1] + "…"
