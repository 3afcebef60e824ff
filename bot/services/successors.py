"""Tracking a rotated token's successor at once, before the next sync finds it.

An in-place rotation revoked the old token as GitLab made the new one: the old one stops
being reminded of. A hand-off keeps the old one live (its reminders stop while the hand-off is
under way: bot/db/handoff_repositories.py `handing_off`) and records the hand-off in the same
transaction, so from the commit on the sync job can finish it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from bot.domain.audit import AuditAction
from bot.domain.credentials import IssuedToken
from bot.domain.handoff import Handoff
from bot.domain.provenance import unmarked_name
from bot.domain.reminders import OwnerSource, TrackedStatus, TrackedToken, token_key
from bot.domain.requests import Renewal, TokenRequest
from bot.services.ports import UnitOfWork
from bot.services.request_deps import audit


def track_successor(
    uow: UnitOfWork,
    request: TokenRequest,
    renews: Renewal,
    issued: IssuedToken,
    now: datetime,
) -> TrackedToken | None:
    """Track the new token like the old one (None when the old one is not tracked)."""
    old = uow.inventory.get(renews.key)
    if old is None:
        return None
    if not renews.handoff:
        uow.inventory.update(replace(old, status=TrackedStatus.REVOKED), now)
    record = issued.record
    keep_owner = renews.handoff and old.owner is not None
    successor = replace(
        old,
        key=token_key(old.token_type, record.gitlab_id),
        gitlab_id=record.gitlab_id,
        name=record.name or old.name,
        expires_on=request.draft.expires_on,
        user_id=record.user_id if record.user_id is not None else old.user_id,
        last_used_at=None,
        last_used_ips=(),
        status=TrackedStatus.ACTIVE,
        owner=old.owner if keep_owner else request.requester,
        owner_source=old.owner_source if keep_owner else OwnerSource.REQUESTER,
        muted=False,
        request_id=request.id,
    )
    uow.inventory.track(successor, old.place_key, now)
    return successor


def start_handoff(
    uow: UnitOfWork,
    request: TokenRequest,
    renews: Renewal,
    issued: IssuedToken,
    now: datetime,
    *,
    hours: int,
) -> Handoff:
    """Record the hand-off of `renews` to the token just minted for `request`."""
    successor = track_successor(uow, request, renews, issued, now)
    record = issued.record
    handoff = Handoff(
        request_id=request.id,
        token_type=request.draft.token_type,
        target=request.draft.target,
        name=unmarked_name(request.draft.name),
        old_key=renews.key,
        old_gitlab_id=renews.gitlab_id,
        old_user_id=renews.user_id,
        successor_key=token_key(record.token_type, record.gitlab_id),
        successor_gitlab_id=record.gitlab_id,
        successor_user_id=record.user_id,
        owner=(successor.owner if successor else None) or request.requester,
        started_at=now,
        deadline=now + timedelta(hours=hours),
    )
    uow.handoffs.add(handoff)
    ids = {"old_gitlab_token_id": str(renews.gitlab_id), "gitlab_token_id": str(record.gitlab_id)}
    audit(uow, request, AuditAction.HANDOFF_STARTED, "tokenbot", now, **ids)
    return handoff
