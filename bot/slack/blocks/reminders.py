"""Block Kit for expiry reminders: one token with its buttons, or a digest by days left."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    DatePickerElement,
    InputBlock,
    PlainTextInputElement,
)
from slack_sdk.models.views import View

from bot.domain.handoff import can_hand_off
from bot.domain.profiles import PROFILES
from bot.domain.reminders import Reminder, TrackedToken, expiry_phrase
from bot.services.reminder_actions import can_revoke
from bot.services.renewals import can_rotate
from bot.slack import ids
from bot.slack import text as t
from bot.slack.blocks import limits, parts

DIGEST_LINES = 40  # a message holds 50 blocks; the rest is summarised
_SHOWN_NAME = 300  # a name or path in a sentence: GitLab's 255 characters and some entities
_DIGEST_NAME = 120  # in a digest line, so that many lines fit one section
_CONFIRM_NAME = 80  # in a confirmation dialog, whose whole text is at most 300


when = expiry_phrase


def where(token: TrackedToken, *, limit: int = _SHOWN_NAME) -> str:
    """The token's project or group: a link to it in GitLab, or its path as code."""
    namespace = token.namespace
    if namespace.web_url:
        return t.link(namespace.web_url, namespace.path, limit=limit + 400)
    return t.code(namespace.path, limit)


OWN_KEY = "own:"  # tokenbot's own token, as its daily check tracks it
OWN_NOTE = (
    "This is tokenbot's own GitLab token: tokenbot rotates it itself when"
    " TOKENBOT_SELF_ROTATE_DAYS is set, or an admin replaces it (docs/operations.md)."
    " Nobody can act on it from Slack."
)


def owner_text(token: TrackedToken) -> str:
    return t.mention(token.owner) if token.owner else "no known owner"


def reminder_message(
    reminder: Reminder, *, note: str | None = None, renewals: bool = False
) -> tuple[list[dict[str, Any]], str]:
    """One token's reminder; `renewals`: Rotate and Renew can be offered (requests are on).

    `note` is the caller's mrkdwn (who did what), escaped already where it holds people's text.
    """
    token = reminder.token
    title = PROFILES[token.token_type].title
    name = t.code(token.name, _SHOWN_NAME)
    phrase = when(reminder.days_left, token)
    text = f"{title} {name} in {t.code(token.namespace.path, _SHOWN_NAME)} {phrase}"
    blocks: list[Block] = [
        parts.section(f"{owner_text(token)}: {title} {name} in {where(token)} {phrase}."),
        parts.fields(
            f"*Scopes*\n{_scopes(token)}",
            f"*Role*\n{token.access_level.label if token.access_level else t.EMPTY}",
            f"*Expires on*\n{_date(token)}",
            f"*Days left*\n{max(reminder.days_left, 0)}",
            f"*Last used*\n{_last_used(token.last_used_at)}",
            f"*Owner*\n{owner_text(token)}",
        ),
    ]
    if note:
        blocks.append(parts.context(note))
    elif token.key.startswith(OWN_KEY):
        blocks.append(parts.context(OWN_NOTE))
    else:
        rotatable = renewals and reminder.days_left > 0 and can_rotate(token)
        blocks.append(ActionsBlock(elements=_buttons(token, rotatable=rotatable)))
    return [b.to_dict() for b in blocks], t.clip(text, t.MESSAGE_TEXT)


def digest_message(reminders: Sequence[Reminder]) -> tuple[list[dict[str, Any]], str]:
    """Many reminders in one message, grouped by days left, nearest first."""
    text = f"{len(reminders)} GitLab tokens in this channel's groups need attention."
    blocks: list[Block] = [parts.header("Expiring GitLab tokens"), parts.section(text)]
    groups: dict[str, list[Reminder]] = {}
    for reminder in sorted(reminders, key=lambda r: r.days_left):
        groups.setdefault(_bucket(reminder.days_left), []).append(reminder)
    shown = 0
    for bucket, members in groups.items():
        if shown >= DIGEST_LINES:
            break
        lines = [_digest_line(reminder.token) for reminder in members[: DIGEST_LINES - shown]]
        shown += len(lines)
        blocks.append(parts.section(f"*{bucket}*\n" + _fit(lines)))
    if len(reminders) > shown:
        blocks.append(
            parts.context(
                f"… and {len(reminders) - shown} more; `tokenbot remind --dry-run` lists them all."
            )
        )
    return [b.to_dict() for b in blocks], text


def _digest_line(token: TrackedToken) -> str:
    return (
        f"• {t.code(token.name, _DIGEST_NAME)} ({PROFILES[token.token_type].title}) in"
        f" {where(token, limit=_DIGEST_NAME)}, {owner_text(token)}"
    )


def _buttons(token: TrackedToken, *, rotatable: bool) -> list[ButtonElement]:
    key = token.key
    name = t.plain(token.name, _CONFIRM_NAME)
    buttons = []
    if rotatable:
        renew = ButtonElement(
            text="Renew", action_id=ids.REMINDER_RENEW, value=key, style="primary"
        )
        rotate_words = (
            f"A new token like '{name}' goes to you. The old one keeps working until GitLab"
            " sees the new one in use, or until the hand-off deadline; then tokenbot revokes it."
            if can_hand_off(token)
            else f"This kind of token can only be rotated in place: the current secret of"
            f" '{name}' stops working at once; a new one with the same expiry date goes to you."
        )
        rotate = ButtonElement(
            text="Rotate",
            action_id=ids.REMINDER_ROTATE,
            value=key,
            confirm=parts.confirm(
                title="Rotate this token?", words=rotate_words, ok="Rotate", deny="Keep it"
            ),
        )
        buttons += [renew, rotate]
    buttons.append(
        ButtonElement(text="Let it expire", action_id=ids.REMINDER_LET_EXPIRE, value=key)
    )
    buttons += _revoke(token, name) if can_revoke(token) else []
    if token.owner is None:
        buttons.append(ButtonElement(text="Claim", action_id=ids.REMINDER_CLAIM, value=key))
    return buttons


def _revoke(token: TrackedToken, name: str) -> list[ButtonElement]:
    path = t.plain(token.namespace.path, _CONFIRM_NAME)
    revoke_words = f"'{name}' in {path} stops working at once. Anything still using it will fail."
    return [
        ButtonElement(
            text="Revoke now",
            action_id=ids.REMINDER_REVOKE,
            value=token.key,
            style="danger",
            confirm=parts.confirm(
                title="Revoke this token?", words=revoke_words, ok="Revoke", deny="Keep it"
            ),
        )
    ]


def renew_modal(
    token: TrackedToken, *, offered: date, max_date: date | None, reminder: str = ""
) -> dict[str, Any]:
    """The Renew form: a new expiry date and a reason; `reminder` is "channel ts" to redraw."""
    hint = "The token keeps its scopes and role; it gets a new secret, sent to you."
    if max_date is not None:
        hint += f" Policy allows dates up to {max_date.isoformat()}."
    view = View(
        type="modal",
        callback_id=ids.REMINDER_RENEW_SUBMIT,
        private_metadata=f"{token.key} {reminder}".strip()[: t.PRIVATE_METADATA],
        title="Renew token",
        submit="Renew",
        close="Cancel",
        blocks=[
            parts.section(
                f"Renew *{t.code(token.name, _SHOWN_NAME)}* in {where(token)}, now {_date(token)}."
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
                    max_length=limits.REASON_MAX_LENGTH,
                    placeholder="What still uses this token",
                ),
            ),
        ],
    )
    return view.to_dict()


def _scopes(token: TrackedToken) -> str:
    return ", ".join(t.code(scope, 60) for scope in token.scopes) or t.EMPTY


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
