"""Expiry reminders as plain text: what a Slack reminder shows, and the list of tracked tokens."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Mapping, Sequence
from datetime import date, datetime

from bot.domain.expiry import days_left
from bot.domain.profiles import PROFILES
from bot.domain.reminders import EXPIRY_DAY, Reminder, TrackedStatus, TrackedToken, expiry_phrase
from bot.shell.tables import render_table
from bot.shell.text import WIDTH

LIST_HEADERS = ("#", "LEFT", "EXPIRES", "TYPE", "NAME", "WHERE", "OWNER", "STATE", "REMINDED")


when = expiry_phrase  # the Slack reminder's wording


def owner_text(token: TrackedToken) -> str:
    return token.owner or "no known owner"


def reminder_card(reminder: Reminder, number: int, actions: Sequence[str]) -> str:
    """One reminder: the lead line, the fields of the Slack post, then what can be typed."""
    token = reminder.token
    title = PROFILES[token.token_type].title
    lead = f"[{number}] {title} '{token.name}' in {token.namespace.path}"
    lead += f" {when(reminder.days_left, token)}."
    fields = (
        ("Scopes", ", ".join(token.scopes) or "-"),
        ("Role", token.access_level.label if token.access_level else "-"),
        ("Expires on", reminder.expires_on.isoformat()),
        ("Days left", str(max(reminder.days_left, 0))),
        ("Last used", last_used(token.last_used_at)),
        ("Owner", owner_text(token)),
    )
    lines = [textwrap.fill(lead, WIDTH, subsequent_indent="    ", break_on_hyphens=False)]
    cells = [f"{label + ':':<12}{value}" for label, value in fields]
    pairs = zip(cells[::2], cells[1::2], strict=True)
    lines += [f"    {left:<36}{right}".rstrip() for left, right in pairs]
    lines.append("    Type: " + " | ".join(f"{action} {number}" for action in actions))
    return "\n".join(lines)


def last_used(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC") if at else "never, or not known"


def tracked_table(
    tokens: Sequence[tuple[int, TrackedToken]],
    today: date,
    reminded: Mapping[tuple[str, date], set[int]],
) -> str:
    """Tracked tokens by days left (those without an expiry date last), with their numbers."""
    rows = []
    for number, token in tokens:
        left = days_left(token.expires_on, today)
        rows.append(
            (
                str(number),
                "-" if left is None else (f"{left}d" if left > 0 else "expired"),
                token.expires_on.isoformat() if token.expires_on else "never",
                token.token_type.value,
                token.name,
                token.namespace.path,
                token.owner or "-",
                tracked_state(token, left),
                _reminded(token, reminded),
            )
        )
    return render_table(rows, LIST_HEADERS)


def tracked_state(token: TrackedToken, left: int | None) -> str:
    if token.status is not TrackedStatus.ACTIVE:
        return token.status.value
    if left is not None and left <= 0:
        return "expired"
    return "let expire" if token.muted else "active"


def _reminded(token: TrackedToken, reminded: Mapping[tuple[str, date], set[int]]) -> str:
    """The nearest threshold already reminded of for the token's current expiry date."""
    if token.expires_on is None:
        return "-"
    levels = reminded.get((token.key, token.expires_on))
    if not levels:
        return "-"
    level = min(levels)
    return "expiry" if level == EXPIRY_DAY else f"{level}d"


def plain(message: str) -> str:
    """A use case's message without Slack's mention markup: `<@carol>` reads `carol`."""
    return re.sub(r"<@([^>|]+)(\|[^>]*)?>", r"\1", message)


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"
