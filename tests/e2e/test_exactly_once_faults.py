"""Exactly once through the real Slack endpoint: a fault at each step of provisioning.

A `tokenbot run` subprocess gets signed Slack requests; the GitLab simulator loses, delays or
refuses one answer (before the create, after it, the CI/CD variable, the compensating revoke),
or the bot is killed with SIGKILL while GitLab is creating the token and a new one starts on
the same data. Then an approver clicks Retry where the bot offers it, `tokenbot reconcile`
runs (TOKENBOT_PROVISIONING_TIMEOUT_SECONDS=1), and each request must end provisioned with
exactly one live credential bearing its mark whose secret reached the requester, or failed
with none; none stays in provisioning or unsure, and GitLab holds no marked credential that
no request accounts for.

SQLite in the bot's data directory by default; PostgreSQL when TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from bot.db.engine import create_db_engine
from bot.db.unit_of_work import SqlUnitOfWork
from bot.domain.audit import AuditAction
from bot.domain.minted import MintedCredential, MintedStatus
from bot.domain.requests import RequestState, TokenRequest
from bot.sandbox import FaultInjector
from tests.cli_runner import Result, run_tokenbot
from tests.support.bot_process import start_bot
from tests.support.marked_credentials import Marked, digest_of, judge, live_of, marked
from tests.support.request_world import (
    ALICE,
    OLGA,
    World,
    card_in,
    dm_with_button,
    request_token,
    start_world,
)
from tests.support.slack_requests import SlackDriver

TIMEOUT_S = 1  # TOKENBOT_PROVISIONING_TIMEOUT_SECONDS
VARIABLE = {
    "delivery": "ci_variable",
    "variable_project": "acme/platform/api",
    "variable_key": "RELEASE_TOKEN",
}
CREATE = "*/projects/*/access_tokens"
SECRET = re.compile(r"glpat-[A-Za-z0-9_-]{20}")


@dataclass(frozen=True)
class Case:
    """One fault, and the path the request must take past it."""

    arrange: Callable[[FaultInjector], object]
    retried: bool  # provisioning fails, the card offers Retry (clicked once the fault passed)
    minted: int  # credentials bearing the mark GitLab holds in the end, live or not
    adopted: bool = False  # a credential whose answer was lost was taken over
    variable: bool = False  # delivered into a CI/CD variable (else behind Reveal)
    pending_revoke: bool = False  # a revoke only the reconciler gets confirmed
    killed: bool = False  # `tokenbot run` gets SIGKILL while GitLab creates the token
    client_timeout_s: float = 5.0  # TOKENBOT_GITLAB_TIMEOUT_SECONDS


CASES: dict[str, Case] = {
    "502 before the create": Case(
        lambda f: f.error(502, method="POST", path=CREATE), retried=True, minted=1
    ),
    "connection dropped before the create": Case(
        lambda f: f.drop_connection(method="POST", path=CREATE), retried=True, minted=1
    ),
    # GitLab made the token and the answer was lost: adopted (rotated) at once, no Retry.
    "502 after the create": Case(
        lambda f: f.error(502, method="POST", path=CREATE, after=True),
        retried=False,
        minted=2,
        adopted=True,
    ),
    "connection dropped after the create": Case(
        lambda f: f.drop_connection(method="POST", path=CREATE, after=True),
        retried=False,
        minted=2,
        adopted=True,
    ),
    "answer slower than the client waits": Case(
        lambda f: f.latency(2500, method="POST", path=CREATE, count=1, after=True),
        retried=False,
        minted=2,
        adopted=True,
        client_timeout_s=1.0,
    ),
    # The token is revoked at once; Retry makes a new one and writes it.
    "the CI/CD variable cannot be written": Case(
        lambda f: f.error(500, method="POST", path="*/variables", count=None),
        retried=True,
        minted=2,
        variable=True,
    ),
    # The revoke stays pending in the ledger until the reconciler gets it confirmed.
    "the variable and the compensating revoke fail": Case(
        lambda f: (
            f.error(500, method="POST", path="*/variables", count=None),
            f.error(500, method="DELETE", path=f"{CREATE}/*", count=None),
        ),
        retried=True,
        minted=2,
        variable=True,
        pending_revoke=True,
    ),
    # GitLab holds the token, the bot died before the answer: the reconciler adopts it.
    "kill -9 while GitLab creates the token": Case(
        lambda f: f.latency(8000, method="POST", path=CREATE, count=1, after=True),
        retried=False,
        minted=2,
        adopted=True,
        killed=True,
        client_timeout_s=10.0,
    ),
}


@pytest.fixture
def database_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """The shared PostgreSQL database (emptied after the test), or None: the data dir's SQLite."""
    if not os.environ.get("TEST_DATABASE_URL"):
        yield None
        return
    request.getfixturevalue("db")  # its teardown empties every table
    yield str(request.getfixturevalue("database_url"))


class Database:
    """The bot's database, read as the bot would (no secret is read)."""

    def __init__(self, url: str) -> None:
        self.engine: Engine = create_db_engine(url)

    def requests(self) -> list[TokenRequest]:
        with SqlUnitOfWork(self.engine) as uow:
            return uow.requests.of_requester(ALICE)

    def request(self, request_id: str) -> TokenRequest:
        [found] = [r for r in self.requests() if r.id == request_id]
        return found

    def ledger(self, request_id: str) -> list[MintedCredential]:
        with SqlUnitOfWork(self.engine) as uow:
            return uow.minted.of_request(request_id)

    def actions(self, request_id: str) -> list[AuditAction]:
        with SqlUnitOfWork(self.engine) as uow:
            return [e.action for e in uow.audit.events() if e.request_id == request_id]


def _wait(check: Callable[[], Any], what: str, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        threading.Event().wait(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _settled_state(db: Database, request_id: str, after: int = 0) -> TokenRequest | None:
    """The request once a worker is done with it (and it changed since revision `after`)."""
    request = db.request(request_id)
    if request.revision <= after:
        return None
    busy = {RequestState.PENDING, RequestState.APPROVED, RequestState.PROVISIONING}
    return None if request.state in busy else request


def _retry_card(world: World, card: dict[str, Any]) -> dict[str, Any] | None:
    for call in reversed(world.slack.calls_to("chat.update")):
        if call.args["ts"] == card["ts"]:
            if "request.retry" in json.dumps(call.args["blocks"]):
                return {**card, "blocks": call.args["blocks"]}
            return None
    return None


def _reconcile(world: World) -> dict[str, Any]:
    result: Result = run_tokenbot("reconcile", "--json", env=world.env)
    assert result.code == 0, result.err[-2000:]
    assert "glpat-" not in result.out + result.err
    return dict(json.loads(result.out))


def _past_the_timeout(db: Database) -> None:
    """Wait until no answer can still land: the timeout has passed since every send."""
    in_flight = {RequestState.APPROVED, RequestState.PROVISIONING}
    moments = [
        m
        for r in db.requests()
        for m in (r.unsure_since, r.claimed_at if r.state in in_flight else None)
        if m is not None
    ]
    if not moments:
        return
    latest = max(moments)
    latest = latest if latest.tzinfo else latest.replace(tzinfo=UTC)
    remaining = (latest + timedelta(seconds=TIMEOUT_S + 0.2) - datetime.now(UTC)).total_seconds()
    if remaining > 0:
        threading.Event().wait(remaining)


def _revealed_digest(world: World) -> str:
    """Click the requester's Reveal (waiting for its DM); the digest of the secret it shows."""
    dm = dm_with_button(world, ALICE)
    opened = len(world.slack.calls_to("views.open"))
    world.driver.click(ALICE, dm, "request.reveal")
    view = world.slack.wait_for("views.open", opened + 1)[-1].args["view"]
    shown = SECRET.findall(json.dumps(view))
    assert len(shown) == 1, "the reveal window shows one secret"
    return digest_of(shown[0])


def _reveals_offered(world: World) -> int:
    return sum(
        1
        for c in world.slack.calls_to("chat.postMessage")
        if c.args.get("channel") == ALICE and "request.reveal" in json.dumps(c.args.get("blocks"))
    )


def _variable_digest(world: World) -> str:
    [variable] = [v for v in world.sim.state.variables if v.key == VARIABLE["variable_key"]]
    return digest_of(variable.value)


def _kill_and_restart(world: World, db: Database, request_id: str) -> None:
    """SIGKILL the bot once GitLab has made the token (its answer still on the way)."""
    _wait(lambda: live_of(world.sim, request_id), "GitLab to create the token")
    world.bot.child.kill()
    world.bot.child.wait(timeout=10)
    left = db.request(request_id)
    assert left.state is RequestState.PROVISIONING
    assert left.unsure_since is not None
    world.bot = start_bot(
        slack_api_url=world.slack.url, data_dir=world.data_dir, extra_env=world.env
    )
    world.driver = SlackDriver(world.bot.url, response_url=world.slack.hooks_url)


@pytest.mark.parametrize("fault", list(CASES))
def test_a_fault_at_any_step_ends_with_one_delivered_credential_or_none(
    tmp_path: Path, database_url: str | None, fault: str
) -> None:
    case = CASES[fault]
    settings = {
        "TOKENBOT_PROVISIONING_TIMEOUT_SECONDS": str(TIMEOUT_S),
        "TOKENBOT_GITLAB_TIMEOUT_SECONDS": str(case.client_timeout_s),
        "TOKENBOT_GITLAB_RETRY_SECONDS": "1",
        "TOKENBOT_LOG_LEVEL": "INFO",
        **({"DATABASE_URL": database_url} if database_url else {}),
    }
    with start_world(tmp_path / "data", extra_env=settings) as world:
        db = Database(database_url or f"sqlite:///{world.data_dir / 'tokenbot.db'}")
        try:
            _fault_then_recover(world, db, case)
        finally:
            if world.bot.log is None and world.bot.child.poll() is None:
                world.bot.stop()  # the restarted bot (start_world stops the first)
            db.engine.dispose()


def _fault_then_recover(world: World, db: Database, case: Case) -> None:
    answers = VARIABLE if case.variable else {}
    assert request_token(world, **answers).sent
    [request] = db.requests()
    card = card_in(world)
    case.arrange(world.sim.faults)
    world.driver.click(OLGA, card, "request.approve")

    if case.killed:
        _kill_and_restart(world, db, request.id)
        _past_the_timeout(db)
        taken = _reconcile(world)
        assert taken["finished"] == [request.id]
    else:
        after_fault = _wait(lambda: _settled_state(db, request.id), "provisioning to end")
        expected = RequestState.FAILED if case.retried else RequestState.PROVISIONED
        assert after_fault.state is expected, after_fault.failure
    if case.retried:
        retry = _wait(lambda: _retry_card(world, card), "the card to offer Retry")
        world.sim.faults.clear()  # the fault has passed
        if case.pending_revoke:
            assert len(live_of(world.sim, request.id)) == 1  # its revoke did not go through
            [entry] = db.ledger(request.id)
            assert entry.status is MintedStatus.REVOKING
        failed = db.request(request.id)
        world.driver.click(OLGA, retry, "request.retry")
        done = _wait(lambda: _settled_state(db, request.id, failed.revision), "the retry to end")
        assert done.state is RequestState.PROVISIONED, done.failure

    # What reached the requester (the sweep below never touches the credential a request holds).
    delivered = _variable_digest(world) if case.variable else _revealed_digest(world)
    _past_the_timeout(db)
    swept = _reconcile(world)
    assert swept["revokes_pending"] == 0
    assert swept["revoked"] == (1 if case.pending_revoke else 0)
    assert swept["reported"] == 0

    requests = db.requests()
    verdict = judge(world.sim, requests, db.ledger(request.id))
    assert verdict.clean, verdict
    final = db.request(request.id)
    assert final.state is RequestState.PROVISIONED
    [live] = live_of(world.sim, request.id)
    assert live.gitlab_id == final.gitlab_token_id
    assert delivered == live.digest, "the requester holds the live credential's secret"
    assert _reveals_offered(world) == (0 if case.variable else 1)
    everything: list[Marked] = [m for m in marked(world.sim) if m.request_id == request.id]
    assert len(everything) == case.minted
    assert (AuditAction.ADOPTED in db.actions(request.id)) is case.adopted
