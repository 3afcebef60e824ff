"""The request modal's private_metadata: what the form learned from GitLab about the target.

Slack keeps private_metadata with the view and sends it back on every action and submit;
people cannot change it. It is read as untrusted all the same: anything that is not exactly
what `encode_facts` writes reads as "nothing learned", and the facts only ever refuse.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, TypeGuard

from bot.domain.credentials import NamespaceKind
from bot.domain.tokens import AccessLevel
from bot.services.form_facts import TargetFacts
from bot.services.people import Person

METADATA_MAX = 3000  # Slack's limit for private_metadata


REPLACES_MAX = 96  # a tracked token's key ("<token type>:<GitLab id>")


def encode_facts(facts: TargetFacts | None, *, replaces: str | None = None) -> str:
    """`replaces`: the key of the token this request replaces (Replace with a narrower token)."""
    data: dict[str, Any] = {}
    if facts is not None:
        data = {
            "typed": facts.typed,
            "path": facts.path,
            "kind": facts.kind.value,
            "chat": facts.requester.chat_id,
            "user": facts.requester.gitlab_id,
            "role": int(facts.role) if facts.role is not None else None,
        }
    if replaces:
        data["replaces"] = replaces[:REPLACES_MAX]
    if not data:
        return ""
    encoded = json.dumps(data, separators=(",", ":"))
    return encoded if len(encoded) <= METADATA_MAX else ""


def decode_replaces(view: Mapping[str, Any]) -> str | None:
    """The key of the token the form's request replaces, if it replaces one (checked again,
    with the gate, when the form is submitted)."""
    data = _metadata(view)
    found = data.get("replaces") if data is not None else None
    return found if isinstance(found, str) and 0 < len(found) <= REPLACES_MAX else None


def decode_facts(view: Mapping[str, Any]) -> TargetFacts | None:
    """The facts in a view's private_metadata, or None."""
    data = _metadata(view)
    if data is None:
        return None
    typed, path, kind = data.get("typed"), data.get("path"), data.get("kind")
    chat, user, role = data.get("chat"), data.get("user"), data.get("role")
    if not (isinstance(typed, str) and isinstance(path, str) and isinstance(chat, str)):
        return None
    if kind not in {k.value for k in NamespaceKind} or not _an_int(user):
        return None
    if role is not None and (not _an_int(role) or role not in {int(r) for r in AccessLevel}):
        return None
    level = AccessLevel(role) if role is not None else None
    return TargetFacts(typed, path, NamespaceKind(kind), Person(chat, user), level)


def _metadata(view: Mapping[str, Any]) -> dict[str, Any] | None:
    raw = view.get("private_metadata")
    try:
        data = json.loads(raw) if isinstance(raw, str) and raw else None
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _an_int(value: object) -> TypeGuard[int]:
    """An integer, and not a boolean (JSON's true is Python's 1)."""
    return isinstance(value, int) and not isinstance(value, bool)
