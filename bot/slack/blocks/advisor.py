"""The advisor conversation as one Slack message, rebuilt after every answer."""

from __future__ import annotations

import json
import threading
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    Option,
    PlainTextObject,
    StaticMultiSelectElement,
)

from bot.domain.advice import Recommendation
from bot.domain.request_policy import REQUESTABLE
from bot.domain.tokens import TokenType
from bot.domain.walk import Prompt
from bot.services.conversations import Turn
from bot.slack import ids
from bot.slack import text as t
from bot.slack.blocks import parts
from bot.slack.blocks.job_token import job_access_button
from bot.slack.parse import ButtonValue


def conversation_message(
    turn: Turn, *, owner: str, can_request: bool = False
) -> tuple[list[dict[str, Any]], str]:
    """Blocks and the notification text for the conversation's current state."""
    blocks: list[Block] = [HeaderBlock(text="Which GitLab token should you use?")]
    if turn.history:
        lines = [
            f"✓ {_words(question)}  →  *{_words(answer)}*" for question, answer in turn.history
        ]
        blocks.append(parts.context("\n".join(lines)))
    if turn.notice:
        blocks.append(parts.section(f":warning: {_words(turn.notice)}"))
    prompt, rec = turn.advice.prompt, turn.advice.recommendation
    if prompt is not None:
        blocks += _prompt_blocks(prompt, owner, step=len(turn.history) + 1)
        text = f"Which GitLab token? {_words(prompt.text)}"
    elif rec is not None:
        blocks += recommendation_blocks(rec)
        text = f"Recommendation: {_words(rec.title)}"
    else:
        text = "Which GitLab token?"
    navigation = _navigation(owner, can_go_back=turn.can_go_back)
    if can_request and rec is not None and rec.token_type in REQUESTABLE:
        navigation.elements.insert(0, _request_button(rec))
    if can_request and rec is not None and rec.token_type is TokenType.CI_JOB_TOKEN:
        navigation.elements.insert(0, job_access_button())
    blocks.append(navigation)
    return [block.to_dict() for block in blocks], t.clip(text, t.MESSAGE_TEXT)


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
    blocks: list[Block] = [parts.section(f"*{step}. {_words(prompt.text)}*")]
    if prompt.help:
        help_text = PlainTextObject(text=t.plain(prompt.help, t.CONTEXT_TEXT))
        blocks.append(ContextBlock(elements=[help_text]))
    if prompt.multiple:
        select = StaticMultiSelectElement(
            action_id=ids.CAPABILITIES_SELECT,
            placeholder="Choose what the token must do",
            options=[
                Option(value=c.value, label=t.plain(c.label, t.OPTION_TEXT)) for c in prompt.choices
            ],
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
            text=t.plain(choice.label, t.BUTTON_TEXT),
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
    scopes = ", ".join(t.code(s) for s in rec.scopes) or "none to choose"
    blocks: list[Block] = [
        DividerBlock(),
        parts.section(
            f"*Recommendation: {_words(rec.title)}* ({t.code(rec.token_type.value)})"
            f"\n{_words(rec.summary)}"
        ),
        parts.fields(
            f"*Scopes*\n{scopes}",
            f"*Role*\n{role}",
            f"*Lifetime*\n{lifetime}",
            f"*Risk*\n{_words(rec.risk)}",
        ),
        parts.section("*Why*\n" + _bullets(rec.reasons)),
    ]
    if rec.warnings:
        blocks.append(parts.section("*Watch out*\n" + _bullets(rec.warnings)))
    blocks.append(parts.section("*How*\n" + _bullets(rec.how_to)))
    return blocks


def _navigation(owner: str, *, can_go_back: bool) -> ActionsBlock:
    value = ButtonValue(owner).encode()
    elements = [ButtonElement(text="Start over", action_id=ids.START_OVER, value=value)]
    if can_go_back:
        elements.insert(0, ButtonElement(text="Back", action_id=ids.BACK, value=value))
    return ActionsBlock(elements=elements)


def _bullets(lines: tuple[str, ...]) -> str:
    return "\n".join(f"• {_words(line)}" for line in lines)


def _words(text: str) -> str:
    """The advice tree's prose: tokenbot's own, but `<token>` in it must read as written."""
    return t.prose(text, t.SECTION_TEXT)


class FirstQuestions:
    """The conversation's first message, drawn once per advice context and handed out with
    each person's id put into its buttons: drawing Block Kit costs about 2 ms of CPU a
    message; copying and re-addressing it, a tenth of that. (`advise({})` depends only on the
    context, which is fixed for the process; a new context is drawn anew.)"""

    _ANYONE = "U0TOKENBOTANYONE"  # never a Slack id: they hold no such letters at that length

    def __init__(self) -> None:
        self._drawn: tuple[object, str] | None = None
        self._lock = threading.Lock()

    def message(
        self, context: object, first: Turn, *, owner: str
    ) -> tuple[list[dict[str, Any]], str]:
        with self._lock:
            drawn = self._drawn
        if drawn is None or drawn[0] is not context:
            blocks, text = conversation_message(first, owner=self._ANYONE)
            drawn = (context, json.dumps([blocks, text]))
            with self._lock:
                self._drawn = drawn
        blocks, text = json.loads(drawn[1])
        for element in _elements(blocks):
            value = element.get("value")
            if isinstance(value, str) and value.startswith('{"o":'):
                was = ButtonValue.decode(value)
                element["value"] = ButtonValue(owner, was.question_id, was.value).encode()
        return blocks, text


def _elements(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = [b["accessory"] for b in blocks if isinstance(b.get("accessory"), dict)]
    for block in blocks:
        found += [e for e in block.get("elements", []) if isinstance(e, dict)]
    return found
