"""The four other modal submits of issue 15, measured beside the request form's
(`python -m tests.benchmarks.ack_latency --modal-submits N`): deny with a reason, job-token
access, Renew from a reminder and break-glass. Each acks with "Checking with GitLab…" and
does its GitLab work after the ack; each one here makes a real change in the simulated world
(a pending request denied, an allowlist request stored, a tracked token renewed and rotated,
a break-glass token made). Each third form is sent twice with the same view hash, as Slack
sends a form submitted again unchanged; the check is one outcome per form, read from the
bot's database (and, for job-token access, the approval cards posted).
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable
from contextlib import closing, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from tests.benchmarks.slack_world import APPROVALS, Message, Sample, SlackWorld
from tests.cli_runner import run_tokenbot
from tests.support.slack_requests import submit

DENY = "deny reason submit"
JOB_ACCESS = "job-token access submit"
RENEW = "renew submit (reminder)"
BREAKGLASS = "break-glass submit"
KINDS = (DENY, JOB_ACCESS, RENEW, BREAKGLASS)
REQUESTER, APPROVER = "U0CAROL", "U0ALICE"  # Developer of acme/platform/infra; Owner of acme
TARGET = "acme/platform/infra/terraform"
JOB_SOURCES = ("acme/platform/infra/terraform", "acme/platform/infra/k8s-clusters")
JOB_TARGETS = (
    "acme/platform/ci-templates",
    "acme/payments/checkout-api",
    "acme/payments/ledger",
    "acme/web/storefront",
    "acme/web/design-system",
    "acme/data/etl-pipelines",
)
REASON = "the ack latency benchmark needs this for a while"
SETTLE_S = 240.0


@dataclass
class Form:
    """One form to submit: who, the view as Slack holds it, the answers, and its outcome key."""

    kind: str
    user: str
    view: dict[str, Any]
    answers: dict[str, Any]
    key: str  # request id (deny), "source target" (job), tracked key (renew), name (glass)


@dataclass
class Submits:
    forms: list[Form] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)
    outcomes: dict[str, list[int]] = field(default_factory=dict)  # kind -> outcomes per form
    ended: bool = False  # every submit ended in its modal (views.update) in time


def _wait(what: str, check: Callable[[], Any], timeout: float = 60.0) -> Any:
    deadline = datetime.now(UTC) + timedelta(seconds=timeout)
    while not (found := check()):
        if datetime.now(UTC) > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.05)
    return found


def _opened(world: SlackWorld, before: int, method: str = "views.open") -> dict[str, Any]:
    call = _wait(method, lambda: world.slack.calls_to(method)[before:])[0]
    view: dict[str, Any] = call.args["view"]
    return view


def _button(action_id: str, value: str, channel: str = "C0BENCH") -> Message:
    button = {
        "type": "button",
        "action_id": action_id,
        "value": value,
        "text": {"type": "plain_text", "text": action_id},
    }
    ts = f"1700001000.{abs(hash(value)) % 1_000_000:06d}"
    return {"channel": channel, "ts": ts, "blocks": [{"type": "actions", "elements": [button]}]}


def _click_open(world: SlackWorld, user: str, message: Message, action_id: str) -> dict[str, Any]:
    before = len(world.slack.calls_to("views.open"))
    world.driver.click(user, message, action_id)
    return _opened(world, before)


def _requests(world: SlackWorld, form: dict[str, Any], names: list[str]) -> list[Message]:
    """Submit a request per name (GitLab fast); their approval cards."""
    until = (datetime.now(UTC).date() + timedelta(days=30)).isoformat()
    for name in names:
        answers = {
            "target": TARGET,
            "token_type": "project_access_token",
            "name": name,
            "scopes": ["read_api"],
            "role": "20",
            "expires_on": until,
            "reason": REASON,
            "delivery": "reveal",
        }
        submit(world.driver, REQUESTER, form, answers)

    def cards() -> list[Message]:
        found = []
        for call in world.slack.calls_to("chat.postMessage"):
            text = json.dumps(call.args.get("blocks") or [])
            ours = any(n in text for n in names)
            if call.args.get("channel") == APPROVALS and "request.approve" in text and ours:
                found.append({**call.answer, "blocks": call.args["blocks"]})
        return found if len(found) >= len(names) else []

    listed: list[Message] = _wait("approval cards", cards)
    return listed


def _request_id(card: Message) -> str:
    for block in card["blocks"]:
        for element in block.get("elements", []):
            if element.get("action_id") == "request.approve":
                return str(element["value"])
    raise RuntimeError("a card without Approve")


def _db(world: SlackWorld, query: str, *args: str) -> list[tuple[Any, ...]]:
    uri = f"file:{world.data_dir / 'tokenbot.db'}?mode=ro"
    with closing(sqlite3.connect(uri, uri=True, timeout=30)) as db:
        return list(db.execute(query, args).fetchall())


def prepare(world: SlackWorld, request_form: dict[str, Any], count: int) -> Submits:
    """With GitLab answering at once: `count` pending requests with their deny forms open,
    `count` provisioned tokens tracked by `tokenbot sync` with their Renew forms open, the
    job-token and break-glass forms."""
    prepared = Submits()
    if count <= 0:
        return prepared
    denied = [f"sub-deny-{i:02d}" for i in range(count)]
    for card in _requests(world, request_form, denied)[-count:]:
        view = _click_open(world, APPROVER, card, "request.deny")
        answers = {"deny_reason": "the benchmark denies it"}
        prepared.forms.append(Form(DENY, APPROVER, view, answers, _request_id(card)))

    renewed = [f"sub-renew-{i:02d}" for i in range(count)]
    for card in _requests(world, request_form, renewed)[-count:]:
        world.driver.click(APPROVER, card, "request.approve")
    _wait("tokens to renew", lambda: world.gitlab.stats("sub-renew-")["tokens"] >= count)
    synced = run_tokenbot("sync", env={**world.env, "TOKENBOT_WATCHED_GROUPS": "acme"})
    if synced.code != 0:
        raise RuntimeError(f"tokenbot sync: {synced.err[-500:]}")
    until = (datetime.now(UTC).date() + timedelta(days=60)).isoformat()
    for name in renewed:
        [(key,)] = _db(world, "SELECT key FROM tracked_tokens WHERE name = ?", name)
        view = _click_open(world, REQUESTER, _button("reminder.renew", key), "reminder.renew")
        answers = {"expires_on": until, "reason": REASON}
        prepared.forms.append(Form(RENEW, REQUESTER, view, answers, key))

    job_form = _click_open(
        world, REQUESTER, _button("advisor.job_access", "open"), "advisor.job_access"
    )
    pairs = [(s, t) for s in JOB_SOURCES for t in JOB_TARGETS][:count]
    for source, target in pairs:
        answers = {"source_kind": "project", "source": source, "target": target, "reason": REASON}
        prepared.forms.append(Form(JOB_ACCESS, REQUESTER, job_form, answers, f"{source} {target}"))

    before = len(world.slack.calls_to("views.update"))
    world.driver.command(REQUESTER, "breakglass")
    glass_form = _opened(world, before, "views.update")
    if not glass_form.get("submit"):
        raise RuntimeError(f"no break-glass form: {json.dumps(glass_form)[:300]}")
    for i in range(count):
        name = f"sub-bg-{i:02d}"
        answers = {
            "target": TARGET,
            "token_type": "project_access_token",
            "name": name,
            "scopes": ["read_api"],
            "role": "20",
            "reason": "INC-0000: the benchmark breaks glass",
        }
        prepared.forms.append(Form(BREAKGLASS, REQUESTER, glass_form, answers, name))
    return prepared


def run(world: SlackWorld, prepared: Submits) -> Submits:
    """Submit every form (GitLab slow now), each third twice unchanged; then the outcomes."""
    if not prepared.forms:
        return prepared
    before = len(world.slack.calls_to("views.update"))
    per_kind = [[f for f in prepared.forms if f.kind == kind] for kind in KINDS]
    order = [form for round_ in zip(*per_kind, strict=True) for form in round_]
    for i, form in enumerate(order):
        view_hash = f"1700000900.{i:06d}"
        for _ in range(2 if i % 3 == 0 else 1):
            try:
                sent = submit(world.driver, form.user, form.view, form.answers, view_hash=view_hash)
                status = sent.status_code
                if sent.json().get("response_action") != "update":
                    status = 422  # refused in the ack: the form's own problem, not measured work
            except (requests.RequestException, ValueError):
                status = 0
            prepared.samples.append(Sample(form.kind, world.driver.elapsed() * 1000, status))
    expected = before + len(prepared.samples)
    try:
        _wait(
            "every submit's modal",
            lambda: len(world.slack.calls_to("views.update")) >= expected,
            SETTLE_S,
        )
        prepared.ended = True
    except RuntimeError:
        prepared.ended = False
    _wait_for_glass(world, [f.key for f in prepared.forms if f.kind == BREAKGLASS])
    prepared.outcomes = {
        kind: [_outcomes(world, f) for f in prepared.forms if f.kind == kind] for kind in KINDS
    }
    return prepared


def _wait_for_glass(world: SlackWorld, names: list[str]) -> None:
    """Break-glass tokens are made after the confirmation: wait for them (or give up)."""

    def made() -> bool:
        return int(world.gitlab.stats("sub-bg-")["tokens"]) >= len(names)

    with suppress(RuntimeError):
        _wait("break-glass tokens", made, 120)


def _outcomes(world: SlackWorld, form: Form) -> int:
    """How many times this form's change was made (one is right)."""
    if form.kind == DENY:
        query = "SELECT count(*) FROM audit_events WHERE action = 'denied' AND request_id = ?"
        return int(_db(world, query, form.key)[0][0])
    if form.kind == RENEW:
        return int(
            _db(world, "SELECT count(*) FROM token_requests WHERE renews_key = ?", form.key)[0][0]
        )
    if form.kind == BREAKGLASS:
        return int(_db(world, "SELECT count(*) FROM token_requests WHERE name = ?", form.key)[0][0])
    source, target = form.key.split()
    cards = [
        json.dumps(c.args.get("blocks") or [])
        for c in world.slack.calls_to("chat.postMessage")
        if c.args.get("channel") == APPROVALS
    ]
    return sum(
        1 for c in cards if "job_access.approve" in c and f"`{source}`" in c and f"`{target}`" in c
    )


def report(
    outcome: Submits,
    latency: str,
    table: Callable[..., None],
    percentile: Callable[..., float],
    target_ms: float,
) -> None:
    if not outcome.samples:
        return
    print(
        f'the other modal submits with GitLab at {latency}: acked at once ("Checking with'
        ' GitLab…"), GitLab after the ack; each third form sent twice unchanged'
    )
    table("view_submission", outcome.samples, kinds=KINDS)
    p99 = percentile(sorted(s.ms for s in outcome.samples), 99)
    bad = [s for s in outcome.samples if s.status != 200]
    once = all(counts == [1] * len(counts) for counts in outcome.outcomes.values())
    for kind, counts in outcome.outcomes.items():
        print(f"  {kind:<34} outcomes per form: {counts}")
    verdict = "PASS" if p99 < target_ms and not bad and once and outcome.ended else "FAIL"
    print(
        f"modal submits p99: {p99:.1f} ms over {len(outcome.samples)} submits; every modal"
        f" ended (views.update): {'yes' if outcome.ended else 'no'}; one outcome per form:"
        f" {'yes' if once else 'no'}; target: under {target_ms:.0f} ms, all 200   {verdict}"
    )
    print()
