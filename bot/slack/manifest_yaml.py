"""`to_yaml`: block-style YAML for a Slack app manifest, with comments (PyYAML writes none).

Enough YAML for manifests: mappings, lists and scalars (str, bool, int, None). A string is
written plain when YAML reads it back as that same string, else double-quoted as JSON (a
subset of YAML's double-quoted style). Keys keep their order, so the output is stable and
`manifest.yml` can be compared with it byte for byte.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

# For a list at a path of keys: a comment for some of its scalar items, written after them.
Notes = Mapping[tuple[str, ...], Mapping[str, str]]

_INDENT = 2
_PLAIN = re.compile(r"[A-Za-z_/][A-Za-z0-9 _.,:/()'-]*")
# Words YAML 1.1 (which many parsers still follow) reads as booleans or null.
_SPECIAL_WORDS = frozenset(
    {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "nan", "inf"}
)


def to_yaml(
    document: Mapping[str, Any], *, header: Sequence[str] = (), notes: Notes | None = None
) -> str:
    """`document` as YAML, after `header` as comment lines."""
    writer = _Writer(notes or {})
    writer.lines += [f"# {line}".rstrip() for line in header]
    writer.mapping(document, 0, ())
    return "\n".join(writer.lines) + "\n"


def scalar(value: object) -> str:
    """One scalar as YAML: plain where that reads back the same, else quoted."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value if _is_plain(value) else json.dumps(value)
    raise TypeError(f"no YAML for {type(value).__name__} in a manifest")


def _is_plain(text: str) -> bool:
    return (
        _PLAIN.fullmatch(text) is not None
        and text.lower() not in _SPECIAL_WORDS
        and ": " not in text
        and not text.endswith((":", " "))
    )


def _key(key: object) -> str:
    if not isinstance(key, str) or not _is_plain(key):
        raise ValueError(f"manifest key {key!r} is not a plain YAML key")
    return key


class _Writer:
    def __init__(self, notes: Notes) -> None:
        self.lines: list[str] = []
        self.notes = notes

    def mapping(self, node: Mapping[str, Any], indent: int, path: tuple[str, ...]) -> None:
        for key, value in node.items():
            self.entry(f"{' ' * indent}{_key(key)}:", value, indent, (*path, key))

    def entry(self, lead: str, value: Any, indent: int, path: tuple[str, ...]) -> None:
        """`lead` (the key and colon) and its value; nested values one step further in."""
        if isinstance(value, Mapping) and value:
            self.lines.append(lead)
            self.mapping(value, indent + _INDENT, path)
        elif isinstance(value, list) and value:
            self.lines.append(lead)
            self.sequence(value, indent + _INDENT, path)
        elif isinstance(value, Mapping | list):
            self.lines.append(f"{lead} {'{}' if isinstance(value, Mapping) else '[]'}")
        else:
            self.lines.append(f"{lead} {scalar(value)}")

    def sequence(self, items: list[Any], indent: int, path: tuple[str, ...]) -> None:
        pad, comments = " " * indent, self.notes.get(path, {})
        for item in items:
            if isinstance(item, Mapping) and item:
                # "- " opens the item; its keys line up after the dash.
                for number, (key, value) in enumerate(item.items()):
                    lead = f"{pad}- {_key(key)}:" if number == 0 else f"{pad}  {_key(key)}:"
                    self.entry(lead, value, indent + _INDENT, (*path, key))
            elif isinstance(item, Mapping | list):
                raise ValueError(f"an empty or nested list item under {'.'.join(path)}")
            else:
                comment = comments.get(item) if isinstance(item, str) else None
                self.lines.append(f"{pad}- {scalar(item)}" + (f"  # {comment}" if comment else ""))
