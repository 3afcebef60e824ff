"""Recognising what a person typed to the bot, for every text front end (Slack DMs, terminal)."""

from __future__ import annotations

import re
from enum import StrEnum

from bot.domain.walk import Prompt


class Intent(StrEnum):
    ADVISE = "advise"
    BACK = "back"
    START_OVER = "start_over"
    HELP = "help"
    UNKNOWN = "unknown"


_PATTERNS: tuple[tuple[Intent, re.Pattern[str]], ...] = (
    (Intent.START_OVER, re.compile(r"^(start over|restart|reset|again)\b")),
    (Intent.BACK, re.compile(r"^(back|go back|undo|previous)\b")),
    (Intent.HELP, re.compile(r"^(help|\?|what can you do)")),
    (
        Intent.ADVISE,
        re.compile(
            r"\b(which|what|recommend|choose|pick|need)\b.*\b(token|credential|key)s?\b"
            r"|^(advise|advice|which|token)\b"
        ),
    ),
)


def recognise(text: str) -> Intent:
    """Map free text to an intent; bot mentions and punctuation around it are ignored."""
    cleaned = re.sub(r"<@[A-Z0-9]+>", " ", text).strip().lower()
    cleaned = re.sub(r"\s+", " ", cleaned).strip(" !.?")
    if not cleaned:
        return Intent.HELP
    for intent, pattern in _PATTERNS:
        if pattern.search(cleaned):
            return intent
    return Intent.UNKNOWN


def match_answer(prompt: Prompt, text: str) -> str | None:
    """Read a typed answer: a choice's number, id or label (a unique start of it will do).

    For a multiple-choice prompt, several separated by commas or spaces; None if any part
    matches nothing, so the caller can say what it expects.
    """
    if not prompt.multiple:
        return _match_one(prompt, text.strip())
    parts = [p for p in re.split(r"[,\s]+", text.strip()) if p]
    if not parts:
        return None
    values = [_match_one(prompt, part) for part in parts]
    if any(value is None for value in values):
        return _match_one(prompt, text.strip())  # a label with spaces, typed in full
    return ",".join(dict.fromkeys(v for v in values if v is not None))


def _match_one(prompt: Prompt, text: str) -> str | None:
    lowered = text.lower().strip(" .!")
    if not lowered:
        return None
    if lowered.isdigit():
        index = int(lowered) - 1
        return prompt.choices[index].value if 0 <= index < len(prompt.choices) else None
    for choice in prompt.choices:
        if lowered in {choice.value.lower(), choice.label.lower()}:
            return choice.value
    if lowered in {"y", "n"}:
        return _match_one(prompt, "yes" if lowered == "y" else "no")
    starts = [
        c.value for c in prompt.choices if len(lowered) >= 3 and c.label.lower().startswith(lowered)
    ]
    return starts[0] if len(starts) == 1 else None
