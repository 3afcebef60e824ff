"""No path around the gate: every use case that hands out, changes or moves a secret asks it.

The world is one where everyone has the role they need, except in the eyes of the gate: its
GitLab says nobody is a member anywhere. A use case that asked the decision is refused; one
that skipped it would go on and reach GitLab, which the fake records. So each row fails the
day a path stops asking, whatever else it checks.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine

from bot.db.secret_box import FernetBox
from bot.db.unit_of_work import SqlUnitOfWork
from bot.domain.breakglass import BreakGlassPolicy
from bot.domain.credentials import Namespace, TokenRecord
from bot.domain.hygiene import FindingKind
from bot.domain.job_token_access import JobAccessDraft, JobAccessState, SourceKind
from bot.domain.reminders import token_key
from bot.domain.request_policy import RequestPolicy
from bot.domain.requests import Delivery, RequestDraft, RequestState
from bot.domain.tokens import AccessLevel, Scope, TokenType
from bot.services.breakglass import acknowledge_review, submit_break_glass
from bot.services.gate import BotIdentitySource, Gate
from bot.services.handoff_cancel import cancel_handoff
from bot.services.handoffs import HandoffDeps, revoke_old_now
from bot.services.hygiene import HygieneDeps, keep_finding
from bot.services.hygiene_replacement import replacement_of
from bot.services.inventory_sync import SyncDeps, sync_inventory
from bot.services.job_token_access import (
    approve_job_access,
    deny_job_access,
    remove_job_access,
    submit_job_access,
)
from bot.services.people import NotAllowedError, Person
from bot.services.provisioning import provision_request
from bot.services.reminder_actions import ActionDeps, claim_token, let_expire, revoke_now
from bot.services.renewals import RenewDeps, renew_tracked_token, rotate_tracked_token
from bot.services.request_handoff import hand_off_request_token
from bot.services.request_rotation import rotate_request_token
from bot.services.reveal import reveal_secret
from bot.services.token_requests import (
    RequestDeps,
    RequestRejected,
    approve_request,
    check_approver,
    deny_request,
    submit_request,
    waiting_for,
)
from tests.fake_gitlab import FakeGitLab

NOW = datetime.now(UTC)
TODAY = NOW.date()
DEV = Person("U0DEV", 1)  # Developer: the requester
MAINTAINER = Person("U0MAIN", 2)
OWNER = Person("U0OWNER", 3)
LISTED = token_key(TokenType.PROJECT_ACCESS_TOKEN, 50)
HANDED = token_key(TokenType.PROJECT_ACCESS_TOKEN, 51)
JOB_DRAFT = JobAccessDraft(
    SourceKind.PROJECT, "acme/web", "acme/api", "the web deploy job reads api's packages"
)


class NobodyIsAMember:
    """GitLab as the blind gate sees it: the places exist, nobody holds a role in them."""

    def __init__(self, real: FakeGitLab) -> None:
        self._real = real

    def namespace(self, path: str) -> Namespace:
        return self._real.namespace(path)

    def effective_role(self, user_id: int, where: str) -> AccessLevel | None:
        return None


@dataclass
class World:
    gitlab: FakeGitLab
    requests: RequestDeps
    blind: RequestDeps
    actions: ActionDeps
    blind_actions: ActionDeps
    pending: str
    approved: str
    provisioned: str
    handoff: str  # a hand-off under way, of HANDED
    job_pending: str = ""  # a job token access request, pending
    job_allowed: str = ""  # one approved and on the allowlist
    breakglass: str = ""  # a break-glass made, its review not acknowledged

    def writes(self) -> tuple[int, int, int, int, int]:
        """What GitLab was asked to do that mints, rotates, revokes, delivers or allowlists."""
        g = self.gitlab
        writes = len(g.created), len(g.rotated), len(g.revoked), len(g.variables)
        return (*writes, len(g.allowlist_writes))


def _draft(name: str, delivery: Delivery = Delivery.REVEAL) -> RequestDraft:
    return RequestDraft(
        TokenType.PROJECT_ACCESS_TOKEN,
        "acme/api",
        name,
        (Scope.READ_API,),
        AccessLevel.REPORTER,
        TODAY + timedelta(days=30),
        "CI reads the API for the release notes",
        delivery,
        "acme/api" if delivery is Delivery.CI_VARIABLE else None,
        "RELEASE_TOKEN" if delivery is Delivery.CI_VARIABLE else None,
    )


@pytest.fixture
def world(db: Engine) -> World:
    gitlab = FakeGitLab()
    gitlab.group("acme")
    gitlab.project("acme/api")
    for person, role in ((DEV, "DEVELOPER"), (MAINTAINER, "MAINTAINER"), (OWNER, "OWNER")):
        gitlab.member(person.gitlab_id, "acme/api", AccessLevel[role])
    gitlab.group("acme/oncall")  # the break-glass group: the developer is on call
    gitlab.member(DEV.gitlab_id, "acme/oncall", AccessLevel.DEVELOPER)
    box = FernetBox("test-only-key-0123456789-abcdefghijklmnop")

    def uow() -> SqlUnitOfWork:
        return SqlUnitOfWork(db, box)

    ids = (f"r{n}" for n in itertools.count(1))
    on_call = BreakGlassPolicy(("acme/oncall",))
    requests = RequestDeps(
        uow, gitlab, RequestPolicy(), lambda: NOW, lambda: next(ids), breakglass=on_call
    )
    blind_gate = Gate(
        NobodyIsAMember(gitlab),
        BotIdentitySource(gitlab.bot_credential),
        breakglass_groups=on_call.groups,
    )
    blind = replace(requests, gate=blind_gate)
    pending = submit_request(DEV, _draft("pending"), deps=requests).id
    approved = submit_request(DEV, _draft("approved"), deps=requests).id
    approve_request(approved, MAINTAINER, deps=requests)
    provisioned = submit_request(DEV, _draft("provisioned"), deps=requests).id
    approve_request(provisioned, MAINTAINER, deps=requests)
    provision_request(provisioned, deps=requests)
    record = TokenRecord(
        TokenType.PROJECT_ACCESS_TOKEN,
        50,
        "nightly-export",
        gitlab.places["acme/api"],
        ("read_api",),
        AccessLevel.REPORTER,
        TODAY + timedelta(days=5),
    )
    gitlab.list_token("acme/api", record)
    gitlab.list_token("acme/api", replace(record, gitlab_id=51, name="handed-off"))
    sync_inventory(["acme"], deps=SyncDeps(uow=uow, gitlab=gitlab, clock=lambda: NOW))
    actions = ActionDeps(uow, gitlab, lambda: NOW)
    blind_actions = replace(actions, gate=replace(blind_gate, admins=()))
    handoff = rotate_tracked_token(HANDED, OWNER, deps=RenewDeps(actions, requests)).id
    provision_request(handoff, deps=requests)
    gitlab.project("acme/web")
    gitlab.member(DEV.gitlab_id, "acme/web", AccessLevel.DEVELOPER)
    job_pending = submit_job_access(DEV, JOB_DRAFT, deps=requests).id
    gitlab.project("acme/docs")
    gitlab.member(DEV.gitlab_id, "acme/docs", AccessLevel.DEVELOPER)
    job_allowed = submit_job_access(DEV, replace(JOB_DRAFT, source="acme/docs"), deps=requests).id
    approve_job_access(job_allowed, MAINTAINER, deps=requests)
    breakglass = submit_break_glass(DEV, _draft("glass"), deps=requests).id
    provision_request(breakglass, deps=requests)
    return World(
        gitlab,
        requests,
        blind,
        actions,
        blind_actions,
        pending,
        approved,
        provisioned,
        handoff,
        job_pending,
        job_allowed,
        breakglass,
    )


Path = Callable[[World], object]

PATHS: dict[str, Path] = {
    "submit": lambda w: submit_request(DEV, _draft("new"), deps=w.blind),
    "submit to a CI/CD variable": lambda w: submit_request(
        DEV, _draft("new", Delivery.CI_VARIABLE), deps=w.blind
    ),
    "approve": lambda w: approve_request(w.pending, MAINTAINER, deps=w.blind),
    "deny": lambda w: deny_request(w.pending, MAINTAINER, "not needed", deps=w.blind),
    "retry": lambda w: check_approver(w.pending, MAINTAINER, deps=w.blind),
    "reveal": lambda w: reveal_secret(
        w.provisioned, DEV, show=lambda r, s: pytest.fail("shown"), deps=w.blind
    ),
    "rotate a requested token": lambda w: rotate_request_token(w.provisioned, DEV, deps=w.blind),
    "rotate from a reminder": lambda w: rotate_tracked_token(
        LISTED, OWNER, deps=RenewDeps(w.blind_actions, w.blind)
    ),
    "renew from a reminder": lambda w: renew_tracked_token(
        LISTED,
        OWNER,
        expires_on=TODAY + timedelta(days=20),
        reason="the export still runs nightly",
        deps=RenewDeps(w.blind_actions, w.blind),
    ),
    "hand off a requested token": lambda w: hand_off_request_token(
        w.provisioned, DEV, deps=RenewDeps(w.blind_actions, w.blind)
    ),
    "revoke the old one now": lambda w: revoke_old_now(w.handoff, OWNER, deps=HandoffDeps(w.blind)),
    "cancel a hand-off": lambda w: cancel_handoff(w.handoff, OWNER, deps=HandoffDeps(w.blind)),
    "claim": lambda w: claim_token(LISTED, OWNER, deps=w.blind_actions),
    "let it expire": lambda w: let_expire(LISTED, OWNER, deps=w.blind_actions),
    "revoke": lambda w: revoke_now(LISTED, OWNER, deps=w.blind_actions),
    "replace with a narrower token": lambda w: replacement_of(
        LISTED, OWNER, _draft("nightly-export"), deps=w.blind_actions
    ),
    "request job token access": lambda w: submit_job_access(
        DEV, replace(JOB_DRAFT, source="acme/api", target="acme/web"), deps=w.blind
    ),
    "approve job token access": lambda w: approve_job_access(
        w.job_pending, MAINTAINER, deps=w.blind
    ),
    "deny job token access": lambda w: deny_job_access(w.job_pending, MAINTAINER, deps=w.blind),
    "remove job token access": lambda w: remove_job_access(w.job_allowed, MAINTAINER, deps=w.blind),
    "break glass": lambda w: submit_break_glass(DEV, _draft("glass-again"), deps=w.blind),
    "acknowledge a break-glass review": lambda w: acknowledge_review(
        w.breakglass, MAINTAINER, deps=w.blind
    ),
    "keep a hygiene finding": lambda w: keep_finding(
        LISTED, FindingKind.UNOWNED, "the export team owns it", OWNER, deps=_hygiene(w, blind=True)
    ),
}


def _hygiene(world: World, *, blind: bool) -> HygieneDeps:
    actions = world.blind_actions if blind else world.actions
    return HygieneDeps(world.requests.uow, lambda: NOW, gate=actions.gate)


@pytest.mark.parametrize("path", list(PATHS))
def test_a_path_that_skips_the_gate_would_reach_gitlab(world: World, path: str) -> None:
    before = world.writes()
    with world.requests.uow() as uow:
        requests_before = {r.id: r.state for r in uow.requests.open_requests()}
        tracked_before = uow.inventory.get(LISTED)
        job_before = uow.job_access.in_states(*JobAccessState)
    with pytest.raises((NotAllowedError, RequestRejected)):
        PATHS[path](world)
    assert world.writes() == before
    with world.requests.uow() as uow:
        assert {r.id: r.state for r in uow.requests.open_requests()} == requests_before
        assert uow.inventory.get(LISTED) == tracked_before
        assert uow.job_access.in_states(*JobAccessState) == job_before
        assert uow.secrets.expiry(world.provisioned) is not None  # the secret still waits
        handoff = uow.handoffs.get(world.handoff)
        assert handoff is not None
        assert handoff.active
        provisioned = uow.requests.get(world.provisioned)
        assert provisioned is not None
        assert provisioned.gitlab_token_id is not None
        key = token_key(TokenType.PROJECT_ACCESS_TOKEN, provisioned.gitlab_token_id)
        assert uow.inventory.get(key) is None  # nothing tracked for a refused hand-off
        review = uow.reviews.get(world.breakglass)
        assert review is not None
        assert review.acknowledged_at is None
        assert uow.hygiene.silences() == []  # no finding kept
        assert [
            r for r in uow.requests.of_requester(DEV.chat_id) if r.draft.name == "glass-again"
        ] == []


def test_provisioning_asks_again_for_the_requester(world: World) -> None:
    before = world.writes()
    outcome = provision_request(world.approved, deps=world.blind)
    assert outcome.request.state is RequestState.FAILED
    assert "no longer a member of acme/api" in (outcome.request.failure or "")
    assert world.writes() == before


def test_what_waits_for_an_approver_is_what_the_gate_lets_them_decide(world: World) -> None:
    assert [r.id for r in waiting_for(MAINTAINER, deps=world.requests)] == [world.pending]
    assert waiting_for(MAINTAINER, deps=world.blind) == []


def test_the_world_would_allow_every_path_without_the_blind_gate(world: World) -> None:
    """The control: with the real gate the same people may, so the refusals above are the
    gate's and nothing else's."""
    assert approve_request(world.pending, MAINTAINER, deps=world.requests)
    replacing = replacement_of(LISTED, OWNER, _draft("nightly-export"), deps=world.actions)
    assert replacing is not None
    assert replacing.handoff
    wider = replace(_draft("nightly-export"), scopes=(Scope.API,))  # not narrower: no hand-off
    assert replacement_of(LISTED, OWNER, wider, deps=world.actions) is None
    elsewhere = replace(_draft("nightly-export"), target="acme/other")
    assert replacement_of(LISTED, OWNER, elsewhere, deps=world.actions) is None
    keep_finding(LISTED, FindingKind.UNOWNED, "kept", OWNER, deps=_hygiene(world, blind=False))
    assert claim_token(LISTED, OWNER, deps=world.actions).owner == OWNER.chat_id
    request = rotate_tracked_token(LISTED, OWNER, deps=RenewDeps(world.actions, world.requests))
    assert request.state is RequestState.APPROVED
    handed = hand_off_request_token(
        world.provisioned, DEV, deps=RenewDeps(world.actions, world.requests)
    )
    assert handed is not None
    assert handed.state is RequestState.APPROVED
    assert revoke_old_now(world.handoff, OWNER, deps=HandoffDeps(world.requests)).outcome
    assert approve_job_access(world.job_pending, MAINTAINER, deps=world.requests)
    assert remove_job_access(world.job_allowed, MAINTAINER, deps=world.requests)
    assert acknowledge_review(world.breakglass, MAINTAINER, deps=world.requests).acknowledged
    glass = submit_break_glass(DEV, _draft("glass-again"), deps=world.requests)
    assert glass.state is RequestState.APPROVED
