"""Request ids as people type them in the terminal: the first few characters will do."""

from __future__ import annotations

from collections.abc import Iterable

SHORT = 8  # how ids are shown
MIN_PREFIX = 4  # the least a person may type
_FULL = 32  # uuid4 hex


class IdError(ValueError):
    """The typed id fits no request, or more than one; the message says what to do."""


def short_id(request_id: str) -> str:
    return request_id[:SHORT]


def resolve_id(text: str, known: Iterable[str]) -> str:
    """The one known id that starts with `text`; a full id is passed on even if unknown."""
    wanted = text.strip().lower()
    if len(wanted) < MIN_PREFIX:
        raise IdError(f"type at least {MIN_PREFIX} characters of the request id")
    matches = sorted({i for i in known if i.lower().startswith(wanted)})
    if len(matches) == 1:
        return matches[0]
    if not matches:
        if len(wanted) >= _FULL:
            return wanted
        raise IdError(
            f"no open request of yours or to decide on has an id starting with '{wanted}';"
            " type mine or pending to see them"
        )
    shown = ", ".join(short_id(m) for m in matches)
    raise IdError(f"'{wanted}' fits {len(matches)} requests ({shown}); type more of the id")
