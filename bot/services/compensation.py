"""Revokes that must happen: recorded before they are sent, retried until GitLab confirms.

A credential nobody may hold (its CI/CD variable could not be written, a second one an
earlier attempt made, one left over after a crash) is first written to the ledger as
REVOKING, in its own transaction, and only then revoked. A revoke GitLab does not confirm
stays REVOKING; the reconciler sends it again every run until GitLab says it is gone.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Protocol

from bot.domain.audit import AuditAction, AuditEvent
from bot.domain.credentials import TokenRef
from bot.domain.minted import MintedCredential, MintedStatus
from bot.services.gitlab_errors import GitLabError, NotFoundError
from bot.services.gitlab_port import GitLabGateway
from bot.services.ports import Clock, UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)
ERROR_LIMIT = 500  # characters of GitLab's last answer kept with a pending revoke


class CompensationDeps(Protocol):
    """What a revoke needs (RequestDeps has it)."""

    @property
    def uow(self) -> UnitOfWorkFactory: ...

    @property
    def gitlab(self) -> GitLabGateway: ...

    @property
    def clock(self) -> Clock: ...


def retire(
    request_id: str,
    refs: Sequence[TokenRef],
    reason: str,
    *,
    deps: CompensationDeps,
    exposed: bool = False,
) -> list[MintedCredential]:
    """Record that these credentials must go, then revoke each; what GitLab did not confirm
    stays pending for `retry_revokes`."""
    if not refs:
        return []
    now = deps.clock()
    pending = []
    with deps.uow() as uow:
        for ref in refs:
            known = uow.minted.get(ref.token_type, ref.gitlab_id)
            entry = MintedCredential(
                request_id=request_id,
                ref=ref,
                status=MintedStatus.REVOKING,
                recorded_at=known.recorded_at if known else now,
                exposed=exposed or (known.exposed if known else False),
                reason=reason,
                attempts=known.attempts if known else 0,
            )
            uow.minted.put(entry)
            _audit(uow, entry, AuditAction.REVOKE_PENDING, now, reason=reason)
            pending.append(entry)
        uow.commit()
    return [revoke_now(entry, deps=deps) for entry in pending]


def revoke_now(entry: MintedCredential, *, deps: CompensationDeps) -> MintedCredential:
    """Send one pending revoke; the entry as it now stands (REVOKED once GitLab confirmed)."""
    try:
        deps.gitlab.revoke_token(entry.ref)
    except NotFoundError:
        pass  # GitLab no longer has it: revoked by an earlier attempt whose answer was lost
    except GitLabError as exc:
        failed = replace(entry, attempts=entry.attempts + 1, last_error=str(exc)[:ERROR_LIMIT])
        with deps.uow() as uow:
            uow.minted.put(failed)
            uow.commit()
        log.warning(
            "revoking %s %s of request %s failed (attempt %d); it stays pending: %s",
            entry.ref.token_type.value,
            entry.ref.gitlab_id,
            entry.request_id,
            failed.attempts,
            exc,
        )
        return failed
    done = replace(entry, status=MintedStatus.REVOKED, attempts=entry.attempts + 1, last_error=None)
    with deps.uow() as uow:
        uow.minted.put(done)
        _audit(uow, done, AuditAction.COMPENSATED, deps.clock(), reason=entry.reason)
        uow.commit()
    return done


def retry_revokes(*, deps: CompensationDeps) -> tuple[int, int]:
    """Send every pending revoke again: (confirmed now, still pending)."""
    with deps.uow() as uow:
        pending = uow.minted.to_revoke()
    results = [revoke_now(entry, deps=deps) for entry in pending]
    confirmed = sum(1 for r in results if r.status is MintedStatus.REVOKED)
    return confirmed, len(results) - confirmed


def _audit(
    uow: UnitOfWork,
    entry: MintedCredential,
    action: AuditAction,
    now: datetime,
    **details: str,
) -> None:
    ids = {"token_type": entry.ref.token_type.value, "gitlab_token_id": str(entry.ref.gitlab_id)}
    uow.audit.append(AuditEvent(now, action, entry.request_id, "tokenbot", {**ids, **details}))
