"""The break-glass sweep: escalate reviews nobody acknowledged in time, end tokens whose
lifetime is over. Each step is claimed in the database first, so it happens once however
many processes sweep; the claim comes before the post (a post that fails is logged, not
repeated: a second escalation is worse noise than a lost one, which the audit still shows).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from bot.domain.audit import AuditAction
from bot.domain.breakglass import BreakGlassReview
from bot.domain.credentials import TokenRef
from bot.domain.requests import RequestState, TokenRequest
from bot.services.compensation import retire
from bot.services.gitlab_errors import GitLabError
from bot.services.request_deps import RequestDeps, audit

log = logging.getLogger(__name__)
ENDED = "its break-glass lifetime is over"
# A request in these states may still get (or change) its token: ended once it settles.
_UNSETTLED = frozenset({RequestState.APPROVED, RequestState.PROVISIONING, RequestState.ROTATING})


class BreakGlassNotifier(Protocol):
    """Where the sweep's news goes (Slack: the approvals channel and the requester)."""

    def escalate(self, review: BreakGlassReview, request: TokenRequest) -> None: ...

    def ended(self, review: BreakGlassReview, request: TokenRequest) -> None: ...


@dataclass
class SweepReport:
    escalated: list[str] = field(default_factory=list)
    ended: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def sweep_break_glass(*, deps: RequestDeps, notify: BreakGlassNotifier) -> SweepReport:
    report = SweepReport()
    now = deps.clock()
    with deps.uow() as uow:
        overdue, ending = uow.reviews.overdue(now), uow.reviews.ending(now)
    for review in overdue:
        _escalate(review, deps, notify, report)
    for review in ending:
        _end(review, deps, notify, report)
    return report


def _escalate(
    review: BreakGlassReview, deps: RequestDeps, notify: BreakGlassNotifier, report: SweepReport
) -> None:
    with deps.uow() as uow:
        now = deps.clock()
        request = uow.requests.get(review.request_id)
        if request is None or not uow.reviews.claim_escalation(review.request_id, now):
            return  # acknowledged or escalated meanwhile (another process)
        audit(uow, request, AuditAction.BREAK_GLASS_ESCALATED, "tokenbot", now)
        uow.commit()
    report.escalated.append(review.request_id)
    _tell(lambda: notify.escalate(review, request), review, report)


def _end(
    review: BreakGlassReview, deps: RequestDeps, notify: BreakGlassNotifier, report: SweepReport
) -> None:
    """Revoke the token (through the ledger, so an unconfirmed revoke is sent again by the
    reconciler), then claim the end once. A revoke sent twice by two sweeps is harmless."""
    with deps.uow() as uow:
        request = uow.requests.get(review.request_id)
    if request is None or request.state in _UNSETTLED:
        return  # still being made or rotated: the next sweep ends it
    if request.state is RequestState.PROVISIONED and request.gitlab_token_id is not None:
        try:
            ref = TokenRef(
                request.draft.token_type,
                request.gitlab_token_id,
                deps.gitlab.namespace(request.draft.target),
                request.token_user_id,
            )
        except GitLabError as exc:
            log.warning("break-glass %s not ended yet: %s", request.id, exc)
            report.failed.append(request.id)
            return
        retire(request.id, [ref], ENDED, deps=deps)
    with deps.uow() as uow:
        now = deps.clock()
        if not uow.reviews.claim_end(review.request_id, now):
            return
        audit(uow, request, AuditAction.BREAK_GLASS_ENDED, "tokenbot", now)
        uow.commit()
    report.ended.append(review.request_id)
    if request.state is RequestState.PROVISIONED:
        _tell(lambda: notify.ended(review, request), review, report)


def _tell(post: Callable[[], None], review: BreakGlassReview, report: SweepReport) -> None:
    try:
        post()
    except Exception:  # one failed post must not stop the sweep; the claim stays
        log.exception("telling about break-glass %s failed", review.request_id)
        report.failed.append(review.request_id)
