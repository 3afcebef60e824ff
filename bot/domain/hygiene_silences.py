""" "Keep, it is right": a finding silenced for one credential, until what it judged changes.

A silence remembers the fact its finding was about (its *basis*) when someone kept it. It
holds while that fact is the same, and ends by itself when it changes in a way that matters:

| finding | the silence ends when |
|---|---|
| unused | the token is used again (its last use changes) |
| broad_scope | its scopes change |
| high_role | its role changes |
| large_group | it moves to another group (the group growing does not end it) |
| long_lifetime, never_expires, beyond_maximum | its expiry date changes (renewed, rotated) |
| unowned | someone claims it (then there is no finding; a later unowned one is new) |

A rotated or re-created credential has a new GitLab id, so a new key: nothing carries over.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain.hygiene import Finding, FindingKind
from bot.domain.reminders import TrackedToken
from bot.domain.requests import RequestError

REASON_MAX_LENGTH = 500


@dataclass(frozen=True, slots=True)
class Silence:
    token_key: str
    kind: FindingKind
    reason: str
    actor: str  # chat id of who kept it
    at: datetime
    basis: str  # the fact the finding judged, when it was kept


def silence_basis(kind: FindingKind, token: TrackedToken) -> str:
    """The fact `kind` judges on `token`: a silence holds while this stays the same."""
    if kind is FindingKind.UNUSED:
        return token.last_used_at.isoformat() if token.last_used_at else "never"
    if kind is FindingKind.BROAD_SCOPE:
        return ",".join(sorted(token.scopes))
    if kind is FindingKind.HIGH_ROLE:
        return str(int(token.access_level)) if token.access_level else ""
    if kind is FindingKind.LARGE_GROUP:
        return f"{token.namespace.kind.value}:{token.namespace.id}"
    if kind is FindingKind.UNOWNED:
        return token.owner or ""
    return token.expires_on.isoformat() if token.expires_on else "never"


def holds(silence: Silence, token: TrackedToken) -> bool:
    return silence.token_key == token.key and silence.basis == silence_basis(silence.kind, token)


def unsilenced(
    found: tuple[Finding, ...], token: TrackedToken, silences: dict[FindingKind, Silence]
) -> tuple[Finding, ...]:
    """The findings no holding silence covers."""
    if not silences:
        return found
    return tuple(f for f in found if (s := silences.get(f.kind)) is None or not holds(s, token))


def keep_reason(text: str) -> str:
    """The reason as stored: trimmed, required, bounded."""
    reason = " ".join("".join(c for c in text if c.isprintable() or c.isspace()).split())
    if not reason:
        raise RequestError("say why it is right as it is: a reason is required to keep it")
    if len(reason) > REASON_MAX_LENGTH:
        raise RequestError(
            f"the reason is {len(reason)} characters; keep it to {REASON_MAX_LENGTH}"
        )
    return reason
