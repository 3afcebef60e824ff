"""The sweep's poster in the terminal: reminders kept to be printed, not posted."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from bot.domain.reminders import Reminder


class PrintedReminders:
    """A `ReminderPoster` for the terminal: it keeps what the sweep posts, for the desk to show.

    A digest is one Slack message for many reminders; here each is shown in full anyway, since
    each needs its number to be acted on.
    """

    def __init__(self) -> None:
        self.reminders: list[Reminder] = []
        self.digests = 0
        self._ids = itertools.count(1)

    def post(self, reminder: Reminder) -> str:
        self.reminders.append(reminder)
        return f"shell-{next(self._ids)}"

    def post_digest(self, channel: str, reminders: Sequence[Reminder]) -> str:
        self.reminders.extend(reminders)
        self.digests += 1
        return f"shell-{next(self._ids)}"

    def take(self) -> tuple[list[Reminder], int]:
        taken, digests = self.reminders, self.digests
        self.reminders, self.digests = [], 0
        taken.sort(key=lambda r: (r.days_left, r.token.namespace.path, r.token.name))
        return taken, digests
