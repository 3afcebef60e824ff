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


def encode_facts(facts: TargetFacts | None) -> str:
    if facts is None:
        return ""
    data = {
        "typed": facts.typed,
        "path": facts.path,
        "kind": facts.kind.value,
        "chat": facts.requester.chat_id,
        "user": facts.requester.gitlab_id,
        "role": int(facts.role) if facts.role is not None else None,
    }
    encoded = json.dumps(data, separators=(",", ":"))
    return encoded if len(encoded) <= METADATA_MAX else ""


def decode_facts(view: Mapping[str, Any]) -> TargetFacts | None:
    """The facts in a view's private_metadata, or None."""
    raw = view.get("private_metadata")
    try:
        data = json.loads(raw) if isinstance(raw, str) and raw else None
    except ValueError:
        return None
    if not isinstance(data, dict):
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


def _an_int(value: object) -> TypeGuard[int]:
    """An integer, and not a boolean (JSON's true is Python's 1)."""
    return isinstance(value, int) and not isinstance(value, bool)
