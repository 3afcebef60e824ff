"""Use cases around telling approvers: record an announcement and the messages it sent, and
chase waiting requests once each (a reminder, then escalation; bot/domain/approval_notices.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import timedelta

from bot.domain.approval_notices import ApprovalNotice, Nudge, Surface, nudges_due
from bot.domain.requests import MessageRef, RequestState, TokenRequest
from bot.services.ports import UnitOfWorkFactory
from bot.services.request_deps import RequestDeps

log = logging.getLogger(__name__)

SendNudge = Callable[[TokenRequest, Nudge], None]


def record_announcement(
    request_id: str,
    *,
    surface: Surface,
    requester_chat: str | None,
    asked: Sequence[str],
    uow: UnitOfWorkFactory,
) -> None:
    """The request was put before its approvers: from now on it is chased while it waits."""
    notice = ApprovalNotice(request_id, surface, requester_chat, tuple(asked))
    with uow() as work:
        work.approval_notices.put(notice)
        work.commit()


def record_message(
    request_id: str, approver: str, where: MessageRef, *, uow: UnitOfWorkFactory
) -> None:
    """A direct message asked `approver`; it is redrawn when the request changes."""
    with uow() as work:
        work.approval_notices.add_message(request_id, approver, where)
        work.commit()


def notice_of(request_id: str, *, uow: UnitOfWorkFactory) -> ApprovalNotice | None:
    with uow() as work:
        return work.approval_notices.get(request_id)


def messages_of(request_id: str, *, uow: UnitOfWorkFactory) -> dict[str, MessageRef]:
    with uow() as work:
        return work.approval_notices.messages(request_id)


def nudge_waiting(
    *, deps: RequestDeps, after: timedelta, send: SendNudge
) -> list[tuple[str, Nudge]]:
    """Send each nudge that is due and that no process sent yet; what this one sent.

    The claim is committed before sending: a send that fails is not repeated (at most once,
    and never twice across replicas or restarts).
    """
    now = deps.clock()
    with deps.uow() as uow:
        waiting = [r for r in uow.requests.open_requests() if r.state is RequestState.PENDING]
        notices = uow.approval_notices.of_requests([r.id for r in waiting])
    sent = []
    for request in waiting:
        notice = notices.get(request.id)
        if notice is None:
            continue  # never announced in chat: nobody to chase
        for nudge in nudges_due(notice, request.created_at, now, after):
            if not _claim(request.id, nudge, deps):
                continue
            try:
                send(request, nudge)
            except Exception:  # one failed nudge must not stop the others; logged
                log.exception("the %s of request %s was not sent", nudge.value, request.id)
                continue
            sent.append((request.id, nudge))
    return sent


def _claim(request_id: str, nudge: Nudge, deps: RequestDeps) -> bool:
    with deps.uow() as uow:
        won = uow.approval_notices.claim(request_id, nudge, deps.clock())
        uow.commit()
    return won
