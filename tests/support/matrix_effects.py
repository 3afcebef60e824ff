"""How the authorization matrix reads a cell's verdict: from effects, never from wording.

- ALLOW: the effect happened (an approval counted, the token rotated in GitLab with its new
  secret behind a Reveal DM to the clicker, the owner set, muted, revoked in GitLab, the
  secret in a views.open modal, a token made);
- APPROVAL: a pending request was stored (with its approval card, in Slack) and GitLab did
  not change;
- DENY: nothing under the cell's name changed in GitLab or the database, and the clicker was
  told (ephemeral, DM, the click's response_url, a form error; in the shell, any answer),
  within 3 s.

Anything else is described (what changed, or that nothing answered) and fails the cell.
Every cell works under a name of its own, so what another cell's listener still does
afterwards cannot be mistaken for this cell's effect.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

from bot.domain.reminders import TrackedStatus
from bot.domain.requests import Delivery, RequestState
from bot.sandbox.token_models import AccessToken
from tests.support.matrix_world import (
    APPROVALS,
    POWERS,
    MatrixWorld,
    Someone,
    actor,
)

ALLOW, APPROVAL, DENY = "ALLOW", "APPROVAL", "DENY"
ANSWER_WITHIN = 3.0  # seconds: Slack's limit, and the DENY note's


@dataclass(frozen=True)
class Cell:
    surface: str  # "slack" or "shell"
    action: str
    actor: str
    power: str
    expected: str

    @property
    def id(self) -> str:
        return f"{self.surface}-{self.action}-{self.actor}-{self.power}"

    @property
    def name(self) -> str:
        """The cell's own name: its token, its request, its CI/CD variable."""
        return f"{self.surface[:2]}-{self.action}-{self.actor}-{self.power}".lower().replace(
            "_", "-"
        )

    @property
    def variable(self) -> str:
        return self.name.upper().replace("-", "_")

    @property
    def who(self) -> Someone:
        return actor(self.actor, POWERS[self.power])


@dataclass
class Subject:
    """What a cell acts on, and how it looked before."""

    name: str
    variable: str | None = None
    request_id: str = ""
    key: str = ""  # a tracked token's key
    token_id: int = 0  # its GitLab id (or the request's token's)
    secret: str = ""
    renew_to: str = ""  # the date a Renew asks for
    before: tuple[object, ...] = ()


@dataclass
class Answer:
    since: int  # the number of Slack calls before the click
    started: float
    response_url: str = ""
    http: requests.Response | None = None
    text: str = ""  # the shell's answer
    extra: list[requests.Response] = field(default_factory=list)


# ----------------------------------------------------------------- observing


def observe(world: MatrixWorld, cell: Cell, subject: Subject, answer: Answer) -> str:
    """The verdict the effects show, or what happened instead."""
    effect = EFFECTS[cell.action]
    deadline = answer.started + ANSWER_WITHIN
    while True:
        seen = effect(world, cell, subject, answer)
        if seen is not None:
            return seen
        changed = world.fingerprint(subject.name, subject.variable) != subject.before
        if not changed and _told(world, cell, answer):
            elapsed = time.monotonic() - answer.started
            return DENY if elapsed <= ANSWER_WITHIN else f"DENY, but told after {elapsed:.1f} s"
        if time.monotonic() > deadline or cell.surface == "shell":
            now = world.fingerprint(subject.name, subject.variable)
            if changed:
                return f"neither ALLOW nor APPROVAL: {subject.before} became {now}"
            return f"nothing changed and {cell.who.slack_id} was told nothing"
        time.sleep(0.02)


def _told(world: MatrixWorld, cell: Cell, answer: Answer) -> bool:
    if cell.surface == "shell":
        return bool(answer.text.strip())
    for response in [answer.http, *answer.extra]:
        if response is not None and response.text.strip() and not _checking(response):
            return True  # a form error, or a command's answer
    if any(
        c.method == "views.update" and '"problem.' in json.dumps(c.args.get("view"))
        for c in world.calls_since(answer.since)
    ):
        return True  # the request form came back from GitLab's check with its problems
    return bool(world.told(cell.who.slack_id, answer.since, answer.response_url))


def _checking(response: requests.Response) -> bool:
    """The request form's ack while GitLab is asked: it tells nothing yet."""
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and body.get("response_action") == "update"


def _reveal_dm(world: MatrixWorld, user: str, request_id: str, since: int) -> bool:
    return any(
        c.method == "chat.postMessage"
        and c.args.get("channel") == user
        and _has_button(c.args.get("blocks"), "request.reveal", request_id)
        for c in world.calls_since(since)
    )


def _card(world: MatrixWorld, request_id: str, since: int) -> bool:
    return any(
        c.method == "chat.postMessage"
        and c.args.get("channel") == APPROVALS
        and _has_button(c.args.get("blocks"), "request.approve", request_id)
        for c in world.calls_since(since)
    )


def _has_button(blocks: Any, action_id: str, value: str) -> bool:
    for block in blocks or []:
        elements = [*block.get("elements", []), block.get("accessory") or {}]
        if any(e.get("action_id") == action_id and e.get("value") == value for e in elements):
            return True
    return False


def _live(world: MatrixWorld, name: str) -> list[AccessToken]:
    return [t for t in world.tokens_named(name) if not t.revoked]


def _handed_over(world: MatrixWorld, cell: Cell, request_id: str, answer: Answer) -> bool:
    """The new secret waits for the actor: behind a Reveal DM (Slack), or `reveal ID`."""
    if cell.surface == "shell":
        return world.secret_waits(request_id)
    return _reveal_dm(world, cell.who.slack_id, request_id, answer.since)


# ----------------------------------------------------------------- effects


def _requested(world: MatrixWorld, cell: Cell, subject: Subject, answer: Answer) -> str | None:
    if _live(world, subject.name):
        return ALLOW  # a token made without approval
    delivery = Delivery.CI_VARIABLE if cell.action == "DELIVER" else Delivery.REVEAL
    stored = [
        r
        for r in world.requests_named(subject.name)
        if r.requester == cell.who.slack_id
        and r.state is RequestState.PENDING
        and r.draft.delivery is delivery
    ]
    if any(cell.surface == "shell" or _card(world, r.id, answer.since) for r in stored):
        return APPROVAL
    return None


def _approved(world: MatrixWorld, cell: Cell, subject: Subject, answer: Answer) -> str | None:
    request = world.request(subject.request_id)
    return ALLOW if cell.who.slack_id in {a.approver for a in request.approvals} else None


def _retried(world: MatrixWorld, cell: Cell, subject: Subject, answer: Answer) -> str | None:
    request = world.request(subject.request_id)
    live = {t.id for t in _live(world, subject.name)}
    done = request.state is RequestState.PROVISIONED and request.gitlab_token_id in live
    return ALLOW if done else None


def _rotated(world: MatrixWorld, cell: Cell, subject: Subject, answer: Answer) -> str | None:
    """Rotate and Renew: a renewal request; APPROVAL while it waits with the token untouched,
    ALLOW once the token is replaced in GitLab (with the new date), or for a hand-off has its
    successor beside it, and the actor has the new secret."""
    renewals = [
        r
        for r in world.requests_named(subject.name)
        if r.renews is not None and r.renews.key == subject.key
    ]
    if not renewals:
        return None
    renewal, live = renewals[-1], _live(world, subject.name)
    if renewal.state is RequestState.PENDING:
        untouched = [t.id for t in live] == [subject.token_id]
        carded = cell.surface == "shell" or _card(world, renewal.id, answer.since)
        return APPROVAL if untouched and carded else None
    new = next((t for t in live if t.id == renewal.gitlab_token_id), None)
    # A hand-off (bot/domain/handoff.py) keeps the old token live beside the new one.
    kept = [subject.token_id] if renewal.renews is not None and renewal.renews.handoff else []
    replaced = (
        renewal.state is RequestState.PROVISIONED
        and new is not None
        and sorted(t.id for t in live) == sorted([*kept, new.id])
        and new.id != subject.token_id
        and (not subject.renew_to or str(new.expires_at) == subject.renew_to)
        and renewal.requester == cell.who.slack_id  # the new secret goes to the clicker
    )
    return ALLOW if replaced and _handed_over(world, cell, renewal.id, answer) else None


def _tracked(world: MatrixWorld, subject: Subject) -> Any:
    with world.uow() as uow:
        return uow.inventory.get(subject.key)


def _claimed(world: MatrixWorld, cell: Cell, subject: Subject, answer: Answer) -> str | None:
    return ALLOW if _tracked(world, subject).owner == cell.who.slack_id else None


def _muted(world: MatrixWorld, cell: Cell, subject: Subject, answer: Answer) -> str | None:
    return ALLOW if _tracked(world, subject).muted else None


def _revoked(world: MatrixWorld, cell: Cell, subject: Subject, answer: Answer) -> str | None:
    token = next(t for t in world.tokens_named(subject.name) if t.id == subject.token_id)
    gone = token.revoked and _tracked(world, subject).status is TrackedStatus.REVOKED
    return ALLOW if gone else None


def _revealed(world: MatrixWorld, cell: Cell, subject: Subject, answer: Answer) -> str | None:
    if world.secret_waits(subject.request_id):
        return None
    if cell.surface == "shell":
        return ALLOW if subject.secret in answer.text else None
    shown = any(
        c.method == "views.open" and subject.secret in json.dumps(c.args.get("view"))
        for c in world.calls_since(answer.since)
    )
    return ALLOW if shown else None


def _request_rotated(
    world: MatrixWorld, cell: Cell, subject: Subject, answer: Answer
) -> str | None:
    request = world.request(subject.request_id)
    live = [t.id for t in _live(world, subject.name)]
    handoffs = [
        r
        for r in world.requests_named(subject.name)
        if r.renews is not None and r.renews.handoff and r.renews.gitlab_id == subject.token_id
    ]
    if handoffs:  # Rotate token hands off: the successor beside the still-live old token
        renewal = handoffs[-1]
        beside = (
            renewal.state is RequestState.PROVISIONED
            and renewal.gitlab_token_id is not None
            and sorted(live) == sorted([subject.token_id, renewal.gitlab_token_id])
            and renewal.requester == cell.who.slack_id
        )
        return ALLOW if beside and _handed_over(world, cell, renewal.id, answer) else None
    replaced = live == [request.gitlab_token_id] and request.gitlab_token_id != subject.token_id
    return ALLOW if replaced and _handed_over(world, cell, request.id, answer) else None


Effect = Callable[[MatrixWorld, Cell, Subject, Answer], str | None]
EFFECTS: dict[str, Effect] = {
    "REQUEST": _requested,
    "APPROVE": _approved,
    "RETRY": _retried,
    "ROTATE": _rotated,
    "RENEW": _rotated,
    "CLAIM": _claimed,
    "LET_EXPIRE": _muted,
    "REVOKE": _revoked,
    "REVEAL": _revealed,
    "REQUEST_ROTATE": _request_rotated,
    "DELIVER": _requested,
}
REMINDER_ACTIONS = frozenset({"ROTATE", "RENEW", "CLAIM", "LET_EXPIRE", "REVOKE"})
