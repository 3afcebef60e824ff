"""Numbers for the tracked tokens a shell session shows, so they can be typed back."""

from __future__ import annotations


class NumberError(ValueError):
    """A token number that means nothing (yet) in this session."""


class TokenNumbers:
    """Numbers for tracked tokens, given when first shown and kept for the whole session."""

    def __init__(self) -> None:
        self._keys: list[str] = []
        self._numbers: dict[str, int] = {}

    def number(self, key: str) -> int:
        if key not in self._numbers:
            self._keys.append(key)
            self._numbers[key] = len(self._keys)
        return self._numbers[key]

    def key(self, text: str, command: str) -> str:
        word = text.strip().lstrip("#[").rstrip("]")
        if not word:
            raise NumberError(
                f"say which token: {command} N (reminders lists the numbers; each reminder"
                " shows its own)"
            )
        if not word.isdigit() or not 1 <= int(word) <= len(self._keys):
            raise NumberError(
                f"there is no token [{word}] here; type reminders to see the tracked tokens"
                " with their numbers"
            )
        return self._keys[int(word) - 1]
