"""A token request as a row of `token_requests`, and back."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.db.tables import TokenRequestRow
from bot.domain.requests import (
    Approval,
    Delivery,
    MessageRef,
    Renewal,
    RequestDraft,
    RequestState,
    TokenRequest,
)
from bot.domain.tokens import AccessLevel, Scope, TokenType

# A renewal in these states holds its token: a unique column makes a second one fail to insert.
_HOLDING = frozenset(
    {RequestState.PENDING, RequestState.APPROVED, RequestState.PROVISIONING, RequestState.FAILED}
)


def renewal_lock(request: TokenRequest) -> str | None:
    """The renewed token's key while this renewal is under way (None otherwise): of two
    Rotate clicks at once, in two replicas, only one renewal request can be stored."""
    if request.renews is None or request.state not in _HOLDING:
        return None
    return request.renews.key


def columns(request: TokenRequest) -> dict[str, Any]:
    draft = request.draft
    return {
        "requester": request.requester,
        "requester_gitlab_id": request.requester_gitlab_id,
        "token_type": draft.token_type.value,
        "target": draft.target,
        "name": draft.name,
        "scopes": [s.value for s in draft.scopes],
        "access_level": int(draft.access_level) if draft.access_level else None,
        "expires_on": draft.expires_on,
        "reason": draft.reason,
        "delivery": draft.delivery.value,
        "variable_project": draft.variable_project,
        "variable_key": draft.variable_key,
        "state": request.state.value,
        "created_at": request.created_at,
        "pending_until": request.pending_until,
        "required_approvals": request.required_approvals,
        "risk_flags": list(request.risk_flags),
        "approvals": [[a.approver, a.at.isoformat()] for a in request.approvals],
        "decided_by": request.decided_by,
        "deny_reason": request.deny_reason,
        "gitlab_token_id": request.gitlab_token_id,
        "failure": request.failure,
        "token_user_id": request.token_user_id,
        "token_account": request.token_account,
        "card_channel": request.card.channel if request.card else None,
        "card_ts": request.card.ts if request.card else None,
        "renews_key": request.renews.key if request.renews else None,
        "renews_gitlab_id": request.renews.gitlab_id if request.renews else None,
        "renews_user_id": request.renews.user_id if request.renews else None,
        "renews_asked_by": request.renews.asked_by if request.renews else None,
        "renews_handoff": request.renews.handoff if request.renews else False,
        "renewal_lock": renewal_lock(request),
        "claimed_at": request.claimed_at,
        "unsure_since": request.unsure_since,
    }


def request_of(row: TokenRequestRow) -> TokenRequest:
    draft = RequestDraft(
        token_type=TokenType(row.token_type),
        target=row.target,
        name=row.name,
        scopes=tuple(Scope(s) for s in row.scopes),
        access_level=AccessLevel(row.access_level) if row.access_level else None,
        expires_on=row.expires_on,
        reason=row.reason,
        delivery=Delivery(row.delivery),
        variable_project=row.variable_project,
        variable_key=row.variable_key,
    )
    return TokenRequest(
        id=row.id,
        requester=row.requester,
        requester_gitlab_id=row.requester_gitlab_id,
        draft=draft,
        state=RequestState(row.state),
        created_at=row.created_at,
        pending_until=row.pending_until,
        required_approvals=row.required_approvals,
        risk_flags=tuple(row.risk_flags),
        approvals=tuple(Approval(who, datetime.fromisoformat(at)) for who, at in row.approvals),
        decided_by=row.decided_by,
        deny_reason=row.deny_reason,
        gitlab_token_id=row.gitlab_token_id,
        failure=row.failure,
        token_user_id=row.token_user_id,
        token_account=row.token_account or "",
        card=MessageRef(row.card_channel, row.card_ts)
        if row.card_channel and row.card_ts
        else None,
        renews=Renewal(
            row.renews_key,
            row.renews_gitlab_id,
            row.renews_user_id,
            row.renews_asked_by,
            handoff=row.renews_handoff,
        )
        if row.renews_key and row.renews_gitlab_id is not None
        else None,
        claimed_at=row.claimed_at,
        unsure_since=row.unsure_since,
        revision=row.revision,
    )
