"""Block Kit for expiry reminders: one token with its buttons, or a digest by days left."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    DatePickerElement,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    PlainTextInputElement,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.domain.profiles import PROFILES
from bot.domain.reminders import Reminder, TrackedToken, expiry_phrase
from bot.services.renewals import can_rotate
from bot.slack import ids

DIGEST_LINES = 40  # a message holds 50 blocks; the rest is summarised


when = expiry_phrase


def where(token: TrackedToken) -> str:
    url = token.namespace.web_url
    return f"<{url}|{token.namespace.path}>" if url else f"`{token.namespace.path}`"


def owner_text(token: TrackedToken) -> str:
    return f"<@{token.owner}>" if token.owner else "no known owner"


def reminder_message(
    reminder: Reminder, *, note: str | None = None, renewals: bool = False
) -> tuple[list[dict[str, Any]], str]:
    """One token's reminder; `renewals`: Rotate and Renew can be offered (requests are on)."""
    token = reminder.token
    title = PROFILES[token.token_type].title
    text = f"{title} '{token.name}' in {token.namespace.path} {when(reminder.days_left, token)}"
    lead = f"{owner_text(token)}: {title} *{token.name}* in {where(token)}"
    lead += f" {when(reminder.days_left, token)}."
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=lead)),
        SectionBlock(
            fields=[
                MarkdownTextObject(text=f"*Scopes*\n{', '.join(token.scopes) or '—'}"),
                MarkdownTextObject(
                    text=f"*Role*\n{token.access_level.label if token.access_level else '—'}"
                ),
                MarkdownTextObject(text=f"*Expires on*\n{_date(token)}"),
                MarkdownTextObject(text=f"*Days left*\n{max(reminder.days_left, 0)}"),
                MarkdownTextObject(text=f"*Last used*\n{_last_used(token.last_used_at)}"),
                MarkdownTextObject(text=f"*Owner*\n{owner_text(token)}"),
            ]
        ),
    ]
    if note:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=note)]))
    else:
        rotatable = renewals and reminder.days_left > 0 and can_rotate(token)
        blocks.append(ActionsBlock(elements=_buttons(token, rotatable=rotatable)))
    return [b.to_dict() for b in blocks], text


def digest_message(reminders: Sequence[Reminder]) -> tuple[list[dict[str, Any]], str]:
    """Many reminders in one message, grouped by days left, nearest first."""
    text = f"{len(reminders)} GitLab tokens in this channel's groups need attention."
    blocks: list[Block] = [HeaderBlock(text="Expiring GitLab tokens")]
    blocks.append(SectionBlock(text=MarkdownTextObject(text=text)))
    groups: dict[str, list[Reminder]] = {}
    for reminder in sorted(reminders, key=lambda r: r.days_left):
        groups.setdefault(_bucket(reminder.days_left), []).append(reminder)
    shown = 0
    for bucket, members in groups.items():
        if shown >= DIGEST_LINES:
            break
        lines = []
        for reminder in members[: DIGEST_LINES - shown]:
            token = reminder.token
            lines.append(
                f"• *{token.name}* ({PROFILES[token.token_type].title}) in {where(token)},"
                f" {owner_text(token)}"
            )
        shown += len(lines)
        blocks.append(SectionBlock(text=MarkdownTextObject(text=f"*{bucket}*\n" + _fit(lines))))
    if len(reminders) > shown:
        blocks.append(
            ContextBlock(
                elements=[
                    MarkdownTextObject(
                        text=f"… and {len(reminders) - shown} more; `tokenbot remind --dry-run`"
                        " lists them all."
                    )
                ]
            )
        )
    return [b.to_dict() for b in blocks], text


def _buttons(token: TrackedToken, *, rotatable: bool) -> list[ButtonElement]:
    key = token.key
    buttons = []
    if rotatable and token.owner is not None:
        buttons.append(
            ButtonElement(
                text="Renew",
                action_id=ids.REMINDER_RENEW,
                value=key,
                style="primary",
            )
        )
        buttons.append(
            ButtonElement(
                text="Rotate",
                action_id=ids.REMINDER_ROTATE,
                value=key,
                confirm=ConfirmObject(
                    title="Rotate this token?",
                    text=f"The current secret of '{token.name}' stops working at once; a new"
                    f" one with the same expiry date goes to <@{token.owner}>.",
                    confirm="Rotate",
                    deny="Keep it",
                ),
            )
        )
    buttons.append(
        ButtonElement(text="Let it expire", action_id=ids.REMINDER_LET_EXPIRE, value=key)
    )
    buttons.append(
        ButtonElement(
            text="Revoke now",
            action_id=ids.REMINDER_REVOKE,
            value=key,
            style="danger",
            confirm=ConfirmObject(
                title="Revoke this token?",
                text=f"'{token.name}' in {token.namespace.path} stops working at once. Anything"
                " still using it will fail.",
                confirm="Revoke",
                deny="Keep it",
                style="danger",
            ),
        )
    )
    if token.owner is None:
        buttons.append(ButtonElement(text="Claim", action_id=ids.REMINDER_CLAIM, value=key))
    return buttons


def renew_modal(
    token: TrackedToken, *, offered: date, max_date: date | None, reminder: str = ""
) -> dict[str, Any]:
    """The Renew form: a new expiry date and a reason; `reminder` is "channel ts" to redraw."""
    hint = "The token keeps its scopes and role; it gets a new secret, sent to its owner."
    if max_date is not None:
        hint += f" Policy allows dates up to {max_date.isoformat()}."
    view = View(
        type="modal",
        callback_id=ids.REMINDER_RENEW_SUBMIT,
        private_metadata=f"{token.key} {reminder}".strip(),
        title="Renew token",
        submit="Renew",
        close="Cancel",
        blocks=[
            SectionBlock(
                text=MarkdownTextObject(
                    text=f"Renew *{token.name}* in {where(token)}, now {_date(token)}."
                )
            ),
            InputBlock(
                block_id="expires_on",
                label="Expires on",
                element=DatePickerElement(action_id="value", initial_date=offered.isoformat()),
                hint=hint,
            ),
            InputBlock(
                block_id="reason",
                label="Reason",
                element=PlainTextInputElement(
                    action_id="value",
                    multiline=True,
                    max_length=500,
                    placeholder="What still uses this token",
                ),
            ),
        ],
    )
    return view.to_dict()


def _date(token: TrackedToken) -> str:
    return token.expires_on.isoformat() if token.expires_on else "—"


def _bucket(days_left: int) -> str:
    if days_left <= 0:
        return "Expired"
    if days_left == 1:
        return "Expires tomorrow"
    return f"Expires in {days_left} days"


def _last_used(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC") if at else "never, or not known"


def _fit(lines: list[str], limit: int = 2900) -> str:
    """Section text holds 3,000 characters; cut whole lines."""
    out: list[str] = []
    size = 0
    for line in lines:
        if size + len(line) + 1 > limit:
            out.append("…")
            break
        out.append(line)
        size += len(line) + 1
    return "\n".join(out)
