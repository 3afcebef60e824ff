"""Rotating a requested token in place: a fresh secret, same expiry, for its requester."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.domain.access import Action
from bot.domain.audit import AuditAction
from bot.domain.credentials import IssuedToken, TokenRef
from bot.domain.reminders import token_key
from bot.domain.requests import Delivery, RequestError, TokenRequest
from bot.services.gate import request_subject
from bot.services.gitlab_errors import GitLabError
from bot.services.minting import spec_of
from bot.services.people import NotAllowedError, Person
from bot.services.ports import ConcurrentUpdateError
from bot.services.provisioning import audit_request, write_variable
from bot.services.renewals import HANDING_OFF
from bot.services.token_requests import RequestDeps

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Rotation:
    request: TokenRequest
    rotated: bool  # a new secret exists and the old one stopped working
    problem: str | None = None  # why it was not rotated, or why the variable was not updated

    @property
    def to_reveal(self) -> bool:
        """Is the new secret waiting behind a Reveal button?"""
        return self.rotated and (
            self.request.draft.delivery is Delivery.REVEAL or self.problem is not None
        )


def rotate_request_token(request_id: str, person: Person, *, deps: RequestDeps) -> Rotation:
    """Give a token tokenbot created a fresh secret, keeping its expiry date.

    No approval: the token keeps its scopes, role and expiry, the requester already held its
    secret, and the old secret stops working. The new one is delivered as the first was; if
    its CI/CD variable cannot be written, it waits to be revealed instead.
    """
    who = person.chat_id
    check_may_rotate(request_id, person, deps)
    _not_handed_off(request_id, deps)
    rotating, earlier = _start(request_id, who, deps)
    try:
        return _rotate(rotating, earlier, who, deps)
    except ConcurrentUpdateError:
        raise RequestError(TAKEN_OVER) from None


TAKEN_OVER = (
    "this rotation took longer than tokenbot waits, and the reconciler took it over; you get"
    " a message from it, then Rotate works again"
)


def _rotate(
    rotating: TokenRequest, earlier: datetime | None, who: str, deps: RequestDeps
) -> Rotation:
    """Rotate the live credential; every write is guarded by the request's revision."""
    request_id = rotating.id
    draft = rotating.draft
    old_id = rotating.gitlab_token_id
    try:
        if old_id is None:
            raise RequestError("tokenbot has no GitLab id for this token")
        ref = _live_ref(rotating, old_id, deps)
        rotating = _save(rotating.sending(deps.clock()), deps)  # its own commit, first
        issued = deps.gitlab.rotate_token(ref, expires_on=draft.expires_on)
    except (GitLabError, RequestError) as exc:
        log.warning("rotating the token of request %s failed: %s", request_id, exc)
        with deps.uow() as uow:
            back = uow.requests.update(rotating.rotation_failed(unsure_since=earlier))
            audit_request(
                uow, back, AuditAction.ROTATION_FAILED, deps.clock(), who, reason=str(exc)
            )
            uow.commit()
        return Rotation(back, rotated=False, problem=str(exc))
    return _record(rotating, issued, earlier, who, deps)


def _record(
    rotating: TokenRequest,
    issued: IssuedToken,
    earlier: datetime | None,
    who: str,
    deps: RequestDeps,
) -> Rotation:
    """Deliver the new secret as the first was, and record the successor."""
    draft, old_id = rotating.draft, rotating.gitlab_token_id
    problem = None
    if draft.delivery is Delivery.CI_VARIABLE:
        try:
            write_variable(rotating, issued, deps)
        except GitLabError as exc:
            problem = f"the CI/CD variable could not be updated: {exc}"
    now = deps.clock()
    with deps.uow() as uow:
        record = issued.record
        done = rotating.rotated(record.gitlab_id, record.user_id, record.account)
        done = uow.requests.update(done if earlier is not None else done.settled())
        if draft.delivery is Delivery.REVEAL or problem is not None:
            uow.secrets.put(done.id, issued.secret, expires_at=now + deps.secret_ttl)
        ids = {"old_gitlab_token_id": str(old_id), "gitlab_token_id": str(issued.record.gitlab_id)}
        audit_request(uow, done, AuditAction.ROTATED, now, who, **ids)
        if problem is not None:
            audit_request(uow, done, AuditAction.FAILED, now, reason=problem)
        uow.commit()
    return Rotation(done, rotated=True, problem=problem)


def _start(request_id: str, who: str, deps: RequestDeps) -> tuple[TokenRequest, datetime | None]:
    """Claim the request for this rotation (ROTATING, claimed now); also when it was unsure
    before, which a clean answer does not change (the reconciler still checks it)."""
    now = deps.clock()
    with deps.uow() as uow:
        current = uow.requests.get(request_id)
        if current is None:
            raise RequestError(f"there is no request {request_id}")
        today = now.astimezone(UTC).date()
        try:
            rotating = uow.requests.update(current.rotating(who, today=today, now=now))
        except ConcurrentUpdateError:
            raise RequestError("a rotation of this token is under way already") from None
        uow.commit()
    return rotating, current.unsure_since


def _save(request: TokenRequest, deps: RequestDeps) -> TokenRequest:
    with deps.uow() as uow:
        saved = uow.requests.update(request)
        uow.commit()
    return saved


def _live_ref(request: TokenRequest, old_id: int, deps: RequestDeps) -> TokenRef:
    """The credential to rotate: the one tokenbot knows, or, when an earlier rotation's answer
    was lost, the successor GitLab made (it keeps the request's mark). Rotating a token GitLab
    already revoked would make GitLab revoke its successor too."""
    draft = request.draft
    ref = TokenRef(
        draft.token_type, old_id, deps.gitlab.namespace(draft.target), request.token_user_id
    )
    live = deps.gitlab.marked_tokens(spec_of(request), request.id)
    if not live or any(r.gitlab_id == old_id for r in live):
        return ref  # still live (or made before tokens carried a mark)
    newest = max(live, key=lambda r: r.gitlab_id)
    log.warning(
        "request %s: token %s was rotated without an answer; rotating its successor %s",
        request.id,
        old_id,
        newest.gitlab_id,
    )
    return newest.ref


def _not_handed_off(request_id: str, deps: RequestDeps) -> None:
    """A token in a hand-off (old or new) is not rotated in place: the hand-off would then
    watch and revoke a token that no longer exists, and miss the one that does."""
    with deps.uow() as uow:
        request = uow.requests.get(request_id)
        if request is None or request.gitlab_token_id is None:
            return
        key = token_key(request.draft.token_type, request.gitlab_token_id)
        if uow.handoffs.active_for(key) is not None:
            raise RequestError(HANDING_OFF)


def check_may_rotate(request_id: str, person: Person, deps: RequestDeps) -> None:
    """Only its requester rotates a requested token, and only while their role covers it."""
    with deps.uow() as uow:
        request = uow.requests.get(request_id)
    if request is None:
        raise RequestError(f"there is no request {request_id}")
    if request.requester != person.chat_id:
        raise NotAllowedError("only the requester can ask for a rotation of this token")
    gate = deps.gate
    subject = request_subject(request, gate.power_of_request(request))
    verdict = gate.require(Action.ROTATE, person, subject, request.draft.target)
    if not verdict.allowed:
        raise NotAllowedError(f"{verdict.reason}; ask a Maintainer or Owner to rotate it")
    gate.require(Action.RECEIVE, person, subject, request.draft.target)
