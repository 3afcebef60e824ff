"""What tokenbot knows of each credential it minted: the ledger behind exactly-once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.domain.credentials import TokenRef


class MintedStatus(StrEnum):
    LIVE = "live"  # GitLab answered; tokenbot held its secret
    REVOKING = "revoking"  # it must go: recorded before the revoke is sent, retried until done
    REVOKED = "revoked"  # GitLab confirmed it no longer works


@dataclass(frozen=True, slots=True)
class MintedCredential:
    request_id: str
    ref: TokenRef
    status: MintedStatus
    recorded_at: datetime
    exposed: bool = False  # its secret may have reached someone (a variable, the vault)
    reason: str = ""  # why it must be revoked
    attempts: int = 0  # revokes sent so far
    last_error: str | None = None

    @property
    def key(self) -> tuple[str, int]:
        return (self.ref.token_type.value, self.ref.gitlab_id)
