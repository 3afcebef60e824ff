"""A token request and its life: pending, approved, provisioned, or stopped on the way."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum

from bot.domain.breakglass import BREAK_GLASS
from bot.domain.tokens import AccessLevel, Scope, TokenType

DENY_REASON_MAX_LENGTH = 500


class RequestState(StrEnum):
    PENDING = "pending"  # waiting for approvals
    APPROVED = "approved"  # enough approvals; provisioning may start
    PROVISIONING = "provisioning"  # claimed by one worker, talking to GitLab
    PROVISIONED = "provisioned"
    ROTATING = "rotating"  # a provisioned token being given a fresh secret
    FAILED = "failed"  # GitLab refused or failed; an approver may retry
    DENIED = "denied"
    CANCELLED = "cancelled"
    EXPIRED = "expired"  # nobody decided in time

    @property
    def open(self) -> bool:
        return self in {RequestState.PENDING, RequestState.APPROVED, RequestState.FAILED}


class Delivery(StrEnum):
    REVEAL = "reveal"  # shown once to the requester
    CI_VARIABLE = "ci_variable"  # written into a masked, protected CI/CD variable


class RequestError(ValueError):
    """An action the request's state or the actor's role does not allow."""


@dataclass(frozen=True, slots=True)
class RequestDraft:
    """What the requester asked for."""

    token_type: TokenType
    target: str  # project or group path
    name: str
    scopes: tuple[Scope, ...]
    access_level: AccessLevel | None
    expires_on: date | None  # None: a credential GitLab does not expire (a trigger token)
    reason: str
    delivery: Delivery = Delivery.REVEAL
    variable_project: str | None = None
    variable_key: str | None = None


@dataclass(frozen=True, slots=True)
class MessageRef:
    """Where the approval card was posted in chat, so it can be updated later."""

    channel: str
    ts: str


@dataclass(frozen=True, slots=True)
class Renewal:
    """The existing GitLab token a request rotates instead of creating a new one."""

    key: str  # the tracked token's key, "<token type>:<GitLab id>"
    gitlab_id: int
    user_id: int | None = None  # the bot user or service account behind it
    asked_by: str | None = None  # who clicked, when that is not the owner
    handoff: bool = False  # mint a successor beside the old token instead of rotating it


@dataclass(frozen=True, slots=True)
class Approval:
    approver: str
    at: datetime


@dataclass(frozen=True, slots=True)
class TokenRequest:
    id: str
    requester: str  # the chat identity (Slack user id, or the shell user)
    requester_gitlab_id: int
    draft: RequestDraft
    state: RequestState
    created_at: datetime
    pending_until: datetime
    required_approvals: int
    risk_flags: tuple[str, ...] = ()
    approvals: tuple[Approval, ...] = ()
    decided_by: str | None = None  # who denied or cancelled
    deny_reason: str | None = None
    gitlab_token_id: int | None = None
    failure: str | None = None
    token_user_id: int | None = None  # the bot user or service account behind the token
    # The username to use it with, where GitLab names one: a deploy token's `username`, the
    # service account's or bot user's. Not secret; shown with the reveal.
    token_account: str = ""
    card: MessageRef | None = None
    renews: Renewal | None = None  # a rotation or renewal of an existing token
    claimed_at: datetime | None = None  # when it last went into PROVISIONING or ROTATING
    # Set before each create or rotate is sent; while set, GitLab may hold a credential of
    # this request that the database does not account for (an answer lost, a crash). The
    # reconciler clears it once GitLab's own list agrees with the database.
    unsure_since: datetime | None = None
    revision: int = 0

    @property
    def break_glass(self) -> bool:
        """Made at once without approval (bot/domain/breakglass.py), reviewed afterwards."""
        return BREAK_GLASS in self.risk_flags

    def approved_by(self, approver: str, *, now: datetime) -> TokenRequest:
        """One more approval; the request becomes APPROVED when it has enough."""
        self._must_be(RequestState.PENDING)
        if now >= self.pending_until:
            raise RequestError("this request has expired")
        if approver == self.requester:
            raise RequestError("you cannot approve your own request")
        if any(a.approver == approver for a in self.approvals):
            raise RequestError("you have approved this request already")
        approvals = (*self.approvals, Approval(approver, now))
        enough = len(approvals) >= self.required_approvals
        state = RequestState.APPROVED if enough else RequestState.PENDING
        return replace(self, approvals=approvals, state=state)

    def denied_by(self, approver: str, reason: str) -> TokenRequest:
        self._must_be(RequestState.PENDING, RequestState.FAILED)
        if approver == self.requester:
            raise RequestError("you cannot decide on your own request; cancel it instead")
        problem = deny_reason_problem(reason)
        if problem is not None:
            raise RequestError(problem)
        return replace(
            self, state=RequestState.DENIED, decided_by=approver, deny_reason=reason.strip()
        )

    def cancelled_by(self, who: str) -> TokenRequest:
        if who != self.requester:
            raise RequestError("only the requester can cancel a request")
        self._must_be(RequestState.PENDING, RequestState.FAILED)
        return replace(self, state=RequestState.CANCELLED, decided_by=who)

    def withdrawn(self, reason: str) -> TokenRequest:
        """Closed by tokenbot before anyone saw it (its approval card could not be posted)."""
        self._must_be(RequestState.PENDING)
        return replace(self, state=RequestState.CANCELLED, decided_by="tokenbot", failure=reason)

    def expired(self, *, now: datetime) -> TokenRequest:
        self._must_be(RequestState.PENDING)
        if now < self.pending_until:
            raise RequestError("this request has not expired yet")
        return replace(self, state=RequestState.EXPIRED)

    def provisioned(
        self, gitlab_token_id: int, user_id: int | None = None, account: str = ""
    ) -> TokenRequest:
        self._must_be(RequestState.PROVISIONING)
        return replace(
            self,
            state=RequestState.PROVISIONED,
            gitlab_token_id=gitlab_token_id,
            token_user_id=user_id,
            token_account=account or self.token_account,
            failure=None,
        )

    def rotating(self, who: str, *, today: date, now: datetime) -> TokenRequest:
        """Start giving the token a fresh secret; only its requester may, before it expires.

        `now` is kept as the claim: a rotation left ROTATING longer than the provisioning
        timeout (its process died) is taken over by the reconciler."""
        if who != self.requester:
            raise RequestError("only the requester can ask for a rotation of this token")
        self._must_be(RequestState.PROVISIONED)
        expires_on = self.draft.expires_on
        if expires_on is not None and today >= expires_on:
            raise RequestError(
                f"this token expired on {expires_on.isoformat()}; request a new one instead"
            )
        return replace(self, state=RequestState.ROTATING, failure=None, claimed_at=now)

    def rotated(
        self, gitlab_token_id: int, user_id: int | None = None, account: str = ""
    ) -> TokenRequest:
        self._must_be(RequestState.ROTATING)
        return replace(
            self,
            state=RequestState.PROVISIONED,
            gitlab_token_id=gitlab_token_id,
            token_user_id=user_id if user_id is not None else self.token_user_id,
            token_account=account or self.token_account,
        )

    def rotation_failed(self, *, unsure_since: datetime | None) -> TokenRequest:
        """Back to PROVISIONED: the old token still works. `unsure_since` is what it was
        before the rotation was sent (a rotation GitLab may have done unseen is found by
        the next Rotate, which rotates the live successor; it is not swept as an orphan)."""
        self._must_be(RequestState.ROTATING)
        return replace(self, state=RequestState.PROVISIONED, unsure_since=unsure_since)

    def failed(self, reason: str) -> TokenRequest:
        self._must_be(RequestState.PROVISIONING)
        return replace(self, state=RequestState.FAILED, failure=reason)

    def sending(self, now: datetime) -> TokenRequest:
        """About to ask GitLab to mint or rotate: until settled, GitLab may hold one more."""
        self._must_be(RequestState.PROVISIONING, RequestState.ROTATING)
        return replace(self, unsure_since=now)

    def settled(self) -> TokenRequest:
        """GitLab holds no credential of this request that the database does not know."""
        return replace(self, unsure_since=None)

    def _must_be(self, *states: RequestState) -> None:
        if self.state not in states:
            raise RequestError(f"this request is {self.state.value}")


def deny_reason_problem(reason: str) -> str | None:
    """What is wrong with a denial's reason (None: nothing); the form asks it before GitLab."""
    if not reason.strip():
        return "say why you deny the request"
    if len(reason) > DENY_REASON_MAX_LENGTH:
        return f"say why in at most {DENY_REASON_MAX_LENGTH} characters"
    return None
