"""Plain-text table of reminders due, for `tokenbot remind --dry-run` and the shell."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.reminders import Reminder

REMINDER_HEADERS = ("LEFT", "EXPIRES", "TYPE", "NAME", "WHERE", "OWNER", "CHANNEL")


def reminder_rows(reminders: Sequence[Reminder]) -> list[tuple[str, ...]]:
    return [
        (
            f"{r.days_left}d" if r.days_left > 0 else "expired",
            r.expires_on.isoformat(),
            r.token.token_type.value,
            r.token.name,
            r.token.namespace.path,
            r.token.owner or "-",
            r.channel,
        )
        for r in reminders
    ]
