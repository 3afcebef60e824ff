"""Reading typed form answers: one choice or several by number or name, a date, a path."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, timedelta

Option = tuple[str, str]  # (value, label)

_IN_DAYS = re.compile(r"^\+\s*(\d{1,4})$|^(\d{1,4})\s*d(ays?)?$")


class FieldError(ValueError):
    """The typed answer does not fit the field; the message says what would."""


def pick_one(text: str, options: Sequence[Option]) -> str:
    """A choice by its number, value or label (any case)."""
    wanted = text.strip().lower()
    if wanted.isdigit() and 1 <= int(wanted) <= len(options):
        return options[int(wanted) - 1][0]
    for value, label in options:
        if wanted in {value.lower(), label.lower()}:
            return value
    raise FieldError(f"'{text.strip()}' is not one of the choices; {_how(options)}")


def pick_many(text: str, options: Sequence[Option]) -> tuple[str, ...]:
    """Several choices separated by commas or spaces, in the order typed, without repeats."""
    parts = [part for part in re.split(r"[,\s]+", text.strip()) if part]
    if not parts:
        raise FieldError(f"choose at least one; {_how(options)}")
    picked: list[str] = []
    for part in parts:
        try:
            value = pick_one(part, options)
        except FieldError:
            raise FieldError(
                f"'{part}' is not one of the choices; {_how(options)}, separated by commas"
            ) from None
        if value not in picked:
            picked.append(value)
    return tuple(picked)


def parse_date(text: str, *, today: date) -> date:
    """YYYY-MM-DD, or +N (or Nd) for N days from today."""
    cleaned = text.strip().lower()
    days = _IN_DAYS.match(cleaned)
    if days:
        return today + timedelta(days=int(days.group(1) or days.group(2)))
    try:
        return date.fromisoformat(cleaned)
    except ValueError:
        raise FieldError(
            f"'{text.strip()}' is not a date; type it as YYYY-MM-DD, or +30 for 30 days from today"
        ) from None


def parse_path(text: str) -> str:
    """A project or group path as GitLab shows it: no spaces, no slashes around it."""
    path = text.strip().strip("/")
    if not path or re.search(r"\s", path):
        raise FieldError("type the full path without spaces, e.g. acme/web/storefront")
    return path


def _how(options: Sequence[Option]) -> str:
    return f"type a number from 1 to {len(options)} or a name from the list"
