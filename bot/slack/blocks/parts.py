"""Block Kit pieces that cannot outgrow Slack: every text is clipped to what its slot holds.

The markup passed in is the builders' own mrkdwn, with every value from people or GitLab
already made inert by `bot.slack.text`; these helpers only bound it.
"""

from __future__ import annotations

from slack_sdk.models.blocks import (
    BlockElement,
    ConfirmObject,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.slack import text as t

_FIELDS_PER_SECTION = 10


def mrkdwn(markup: str, limit: int = t.SECTION_TEXT) -> MarkdownTextObject:
    return MarkdownTextObject(text=t.clip(markup, limit) or t.EMPTY)


def section(markup: str, *, accessory: BlockElement | None = None) -> SectionBlock:
    return SectionBlock(text=mrkdwn(markup), accessory=accessory)


def fields(*markups: str) -> SectionBlock:
    """Label/value pairs in two columns; Slack takes ten, of 2,000 characters each."""
    shown = markups[:_FIELDS_PER_SECTION]
    return SectionBlock(fields=[mrkdwn(m, t.SECTION_FIELD) for m in shown])


def context(*markups: str) -> ContextBlock:
    shown = markups[: t.CONTEXT_ELEMENTS]
    return ContextBlock(elements=[mrkdwn(m, t.CONTEXT_TEXT) for m in shown])


def header(words: str) -> HeaderBlock:
    return HeaderBlock(text=t.plain(words, t.HEADER_TEXT))


def confirm(*, title: str, words: str, ok: str, deny: str) -> ConfirmObject:
    """A confirmation dialog; its text is plain_text, so nothing in it is parsed."""
    return ConfirmObject(
        title=t.plain(title, t.CONFIRM_TITLE),
        text=PlainTextObject(text=t.plain(words, t.CONFIRM_TEXT), emoji=True),
        confirm=t.plain(ok, t.CONFIRM_BUTTON),
        deny=t.plain(deny, t.CONFIRM_BUTTON),
    )
