"""Minting a request's credential exactly once, even when GitLab's answers get lost.

Every credential carries its request's mark (bot/domain/provenance.py), written in the call
that creates it. Before anything is sent again for a request whose earlier send is unsure
(an answer lost, a crash), GitLab is asked which credentials bear its mark:

- one that matches what was approved, of a type GitLab can rotate, is adopted: rotated, so
  tokenbot holds a fresh secret for it and the lost one stops working;
- any other (a second one, or a deploy or trigger token, whose secret cannot be had again)
  is revoked through the ledger (compensation.py);
- only when none is left is a new one created.
"""

from __future__ import annotations

import logging
from datetime import datetime

from bot.domain import provenance
from bot.domain.audit import AuditAction, AuditEvent
from bot.domain.credentials import IssuedToken, TokenRecord, TokenSpec
from bot.domain.minted import MintedCredential, MintedStatus
from bot.domain.requests import TokenRequest
from bot.domain.tokens import TokenType
from bot.services.compensation import CompensationDeps, retire
from bot.services.gitlab_errors import GitLabError, OutcomeUnknownError
from bot.services.ports import UnitOfWork

log = logging.getLogger(__name__)

# GitLab rotates these in place (a new secret, the old one revoked): a credential whose
# secret was lost can be taken over. Deploy and trigger tokens have no rotate API.
ADOPTABLE = frozenset(
    {
        TokenType.PROJECT_ACCESS_TOKEN,
        TokenType.GROUP_ACCESS_TOKEN,
        TokenType.SERVICE_ACCOUNT_PAT,
    }
)


class Attempt:
    """One worker's hold on a request in PROVISIONING.

    Every write goes through the revision guard, so a worker whose request was taken over
    (by the reconciler, after it hung) stops at its next write instead of acting twice.
    """

    def __init__(self, request: TokenRequest, deps: CompensationDeps) -> None:
        self.request = request
        self.deps = deps
        self.earlier_unsure = request.unsure_since is not None
        self.ambiguous = False  # a send of this attempt may have been carried out unseen

    @property
    def sure(self) -> bool:
        """Nothing this request ever sent can be in GitLab without the database knowing."""
        return not self.earlier_unsure and not self.ambiguous

    def save(self, request: TokenRequest) -> TokenRequest:
        with self.deps.uow() as uow:
            self.request = uow.requests.update(request)
            uow.commit()
        return self.request

    def before_send(self) -> None:
        """Record, before GitLab is asked, that it may soon hold a credential of this request."""
        self.save(self.request.sending(self.deps.clock()))


def spec_of(request: TokenRequest) -> TokenSpec:
    """What to create for the request, bearing its mark."""
    draft = request.draft
    described = not provenance.marks_name(draft.token_type)
    successor = request.renews is not None and request.renews.handoff
    name = provenance.unmarked_name(draft.name) if successor else draft.name
    return TokenSpec(
        token_type=draft.token_type,
        where=draft.target,
        name=name if described else provenance.marked_name(name, request.id),
        scopes=draft.scopes,
        access_level=draft.access_level,
        expires_on=draft.expires_on,
        description=provenance.marked_description(
            request.id, f"requested via tokenbot: {draft.reason}"
        )
        if described
        else "",
        service_account=draft.name if draft.token_type is TokenType.SERVICE_ACCOUNT_PAT else None,
        request_id=request.id,
        account_id=_successor_account(request),
    )


def _successor_account(request: TokenRequest) -> int | None:
    """The service account a hand-off's successor belongs to: the old token's."""
    renews = request.renews
    if renews is None or not renews.handoff:
        return None
    if request.draft.token_type is not TokenType.SERVICE_ACCOUNT_PAT:
        return None
    return renews.user_id


def mint(attempt: Attempt, *, create: bool = True) -> IssuedToken | None:
    """The request's credential with its secret: adopted if an earlier attempt made it, else
    created (unless `create` is False: then None when GitLab holds none).

    Raises GitLabError (OutcomeUnknownError when this attempt's own send went unanswered and
    GitLab could not be asked afterwards) and ConcurrentUpdateError (the request was taken
    over).
    """
    spec = spec_of(attempt.request)
    if attempt.earlier_unsure:
        adopted = _adopt(attempt, spec)
        if adopted is not None or not create:
            return adopted
    elif not create:
        return None
    attempt.before_send()
    try:
        issued = attempt.deps.gitlab.create_token(spec)
    except OutcomeUnknownError:
        attempt.ambiguous = True
        try:
            adopted = _adopt(attempt, spec)
        except GitLabError:
            adopted = None
        if adopted is None:
            raise
        return adopted
    _record_live(attempt, issued.record)
    return issued


def _adopt(attempt: Attempt, spec: TokenSpec) -> IssuedToken | None:
    """Take over what GitLab holds for the request; None if nothing is left to take."""
    request, deps = attempt.request, attempt.deps
    found = deps.gitlab.marked_tokens(spec, request.id)
    with deps.uow() as uow:
        candidates = [r for r in found if matches(r, spec) and _may_adopt(uow, r)]
    if not candidates:
        return None
    candidates.sort(key=lambda r: r.gitlab_id, reverse=True)
    keep = candidates[0] if spec.token_type in ADOPTABLE else None
    extra = [r.ref for r in candidates if r is not keep]
    retire(request.id, extra, "an earlier attempt made it and its secret was lost", deps=deps)
    if keep is None:
        return None
    attempt.before_send()
    try:
        issued = deps.gitlab.rotate_token(keep.ref, expires_on=spec.expires_on)
    except OutcomeUnknownError:
        attempt.ambiguous = True  # the next look finds the successor, or this one again
        raise
    _record_live(attempt, issued.record, adopted_from=keep)
    return issued


def matches(record: TokenRecord, spec: TokenSpec) -> bool:
    """Is this what was approved? A mark alone is text anyone with the rights could type."""
    if record.token_type is not spec.token_type or record.name != spec.name:
        return False
    if spec.scopes and set(record.scopes) != {str(s) for s in spec.scopes}:
        return False
    return not (
        spec.access_level is not None
        and record.access_level is not None
        and record.access_level != spec.access_level
    )


def _may_adopt(uow: UnitOfWork, record: TokenRecord) -> bool:
    known = uow.minted.get(record.token_type, record.gitlab_id)
    return known is None or known.status is MintedStatus.LIVE


def _record_live(
    attempt: Attempt, record: TokenRecord, *, adopted_from: TokenRecord | None = None
) -> None:
    """Write the new credential to the ledger at once: from here a crash cannot lose it."""
    deps, request = attempt.deps, attempt.request
    now = deps.clock()
    with deps.uow() as uow:
        uow.minted.put(MintedCredential(request.id, record.ref, MintedStatus.LIVE, now))
        if adopted_from is not None:
            old = uow.minted.get(adopted_from.token_type, adopted_from.gitlab_id)
            if old is not None:  # GitLab revoked it as it rotated
                uow.minted.put(
                    MintedCredential(
                        request.id, old.ref, MintedStatus.REVOKED, old.recorded_at, old.exposed
                    )
                )
            _audit_adopted(uow, request, adopted_from, record, now)
        uow.commit()


def mark_exposed(attempt: Attempt, record: TokenRecord) -> None:
    """Its secret is about to leave tokenbot (a CI/CD variable): say so before it does."""
    with attempt.deps.uow() as uow:
        note_exposed(uow, attempt.request.id, record, attempt.deps.clock())
        uow.commit()


def note_exposed(uow: UnitOfWork, request_id: str, record: TokenRecord, now: datetime) -> None:
    known = uow.minted.get(record.token_type, record.gitlab_id)
    entry = known or MintedCredential(request_id, record.ref, MintedStatus.LIVE, now)
    uow.minted.put(
        MintedCredential(entry.request_id, entry.ref, entry.status, entry.recorded_at, True)
    )


def _audit_adopted(
    uow: UnitOfWork,
    request: TokenRequest,
    old: TokenRecord,
    new: TokenRecord,
    now: datetime,
) -> None:
    details = {
        "state": request.state.value,
        "old_gitlab_token_id": str(old.gitlab_id),
        "gitlab_token_id": str(new.gitlab_id),
    }
    uow.audit.append(AuditEvent(now, AuditAction.ADOPTED, request.id, "tokenbot", details))
