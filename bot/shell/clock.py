"""The shell's own clock, for the sandbox: the real time, moved forward by whole days on request.

One instance is handed to everything in a sandbox session (the simulated GitLab, the sync,
the sweep, the reminder and request use cases), so that all of them agree on the day: a token
that GitLab says expired today is one the sweep counts 0 days left for.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from bot.services.ports import Clock

LONGEST_MOVE_DAYS = 366  # every day passed is one sync and one sweep
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _utc_now() -> datetime:
    return datetime.now(UTC)


class TimeError(ValueError):
    """A move of the clock that cannot be made; the message says why, for the person."""


class ShellClock:
    """A `Clock` whose day can be moved forward, never back."""

    def __init__(self, real: Clock = _utc_now) -> None:
        self._real = real
        self._offset = timedelta(0)

    def __call__(self) -> datetime:
        return (self._real() + self._offset).astimezone(UTC)

    def today(self) -> date:
        return self().date()

    def move_to(self, day: date) -> None:
        """Make `day` today; the time of day keeps running as it does outside."""
        today = self.today()
        if day < today:
            raise TimeError(f"time only moves forward here: it is {today.isoformat()} already")
        self._offset += timedelta(days=(day - today).days)


_STEP = re.compile(r"^\+\s*(\d{1,5})\s*(d|days?|w|weeks?)?$")
_BACK = re.compile(r"^-\s*\d+\s*(d|days?|w|weeks?)?$")


def target_day(text: str, today: date) -> date:
    """The day `time` is asked to move to: `+7d`, `+7`, `+2w` or `2026-12-01`."""
    text = text.strip().lower()
    step = _STEP.match(text)
    if step is not None:
        count, unit = int(step.group(1)), step.group(2) or "d"
        day = today + timedelta(days=count * (7 if unit.startswith("w") else 1))
    elif _BACK.match(text):
        raise TimeError(
            f"time only moves forward here: it is {today.isoformat()}, and what happened"
            " since the sandbox started stays"
        )
    else:
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise TimeError(
                f"'{text}' is not a move: type time +7d, time +2w or time YYYY-MM-DD"
            ) from None
    if day < today:
        raise TimeError(
            f"time only moves forward here: it is {today.isoformat()} already,"
            f" after {day.isoformat()}"
        )
    if (day - today).days > LONGEST_MOVE_DAYS:
        raise TimeError(
            f"that is {(day - today).days} days ahead; move at most {LONGEST_MOVE_DAYS} days"
            " at a time (each day runs a sync and a sweep)"
        )
    return day


def day_label(day: date, first: date) -> str:
    """`2026-11-23 (Mon, day 1)`: the date, its weekday, and days since the session started."""
    return f"{day.isoformat()} ({WEEKDAYS[day.weekday()]}, day {(day - first).days})"
