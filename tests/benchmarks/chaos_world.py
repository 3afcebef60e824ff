"""The world of the chaos benchmark: the simulator over HTTP, a real database, tokenbot's
services wired as `tokenbot run` wires them, and a worker that can die at any step.

A worker's death is modelled in-process: its gateway and its units of work count the steps
it takes (each GitLab call, each commit), and at the chosen step it raises `WorkerDied`
(a BaseException, so no `except Exception` in tokenbot can swallow it) either before the
step or after it was carried out and its result lost. Whatever the worker had not committed
is rolled back, as it is when a process is killed; GitLab keeps what it did.
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Self, cast

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from bot.db.engine import create_db_engine, normalise_url
from bot.db.migrate import upgrade
from bot.db.secret_box import FernetBox
from bot.db.unit_of_work import SqlUnitOfWork
from bot.domain.request_policy import RequestPolicy, RiskRule
from bot.gitlab.client import ClientOptions
from bot.gitlab.gateway import build_gateway
from bot.gitlab.http import RetryPolicy
from bot.sandbox import (
    AccessLevel,
    GitlabSimulator,
    SandboxServer,
    add_personal_token,
    add_service_account,
)
from bot.services.gitlab_port import GitLabGateway
from bot.services.ports import UnitOfWorkFactory
from bot.services.reconciler import ReconcileDeps
from bot.services.token_requests import Person, RequestDeps

CLIENT_TIMEOUT_S = 0.3  # the gateway's read timeout; a "slow" answer takes longer
FAST_RETRY = RetryPolicy(total_seconds=1.0, max_attempts=3, first_backoff=0.01, max_backoff=0.02)
TIMEOUT = timedelta(seconds=300)  # TOKENBOT_PROVISIONING_TIMEOUT_SECONDS
KEY = "chaos-benchmark-key-not-a-secret-0123456789"


class WorkerDied(BaseException):
    """The worker's process is gone: nothing after this step happens."""


@dataclass
class Death:
    """Die at step `at` (1-based), before it or after it; `at=0` never dies."""

    at: int = 0
    after: bool = False
    steps: int = 0
    died: bool = False

    def step(self, work: Callable[[], Any]) -> Any:
        self.steps += 1
        due = self.at and self.steps == self.at
        if due and not self.after:
            self.died = True
            raise WorkerDied
        result = work()
        if due:
            self.died = True
            raise WorkerDied
        return result


class DyingGateway:
    """The gateway, every call of which is a step of `death`."""

    def __init__(self, inner: GitLabGateway, death: Death) -> None:
        self._inner = inner
        self._death = death

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._inner, name)
        if name.startswith("_") or not callable(found):
            return found

        def call(*args: Any, **kwargs: Any) -> Any:
            return self._death.step(lambda: found(*args, **kwargs))

        return call


class DyingUnitOfWork:
    """A unit of work whose commit is a step of `death`."""

    def __init__(self, inner: SqlUnitOfWork, death: Death) -> None:
        self._inner = inner
        self._death = death

    def __enter__(self) -> Self:
        self._inner.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._inner.__exit__(*exc)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def commit(self) -> None:
        self._death.step(self._inner.commit)


@dataclass
class Clock:
    """The services' clock; the reconciler's timeout passes by moving it, not by waiting."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def pass_timeout(self) -> None:
        self.now += TIMEOUT + timedelta(seconds=1)


@dataclass
class ChaosWorld:
    sim: GitlabSimulator
    engine: Engine
    gitlab: GitLabGateway
    clock: Clock
    box: FernetBox
    alice: Person
    olga: Person
    omar: Person
    today: date
    ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine, self.box)

    def deps(self, death: Death | None = None) -> RequestDeps:
        """The services' collaborators; with `death`, those of a worker that may die."""
        gitlab: GitLabGateway = self.gitlab
        uow: UnitOfWorkFactory = self.uow
        if death is not None:
            gitlab = cast(GitLabGateway, DyingGateway(self.gitlab, death))
            dying = death

            def uow() -> SqlUnitOfWork:
                return cast(SqlUnitOfWork, DyingUnitOfWork(self.uow(), dying))

        return RequestDeps(
            uow=uow,
            gitlab=gitlab,
            policy=RequestPolicy(risky=RiskRule(approvals=1)),
            clock=self.clock,
            new_id=lambda: f"chaos{next(self.ids):05d}",
        )

    def reconcile_deps(self) -> ReconcileDeps:
        return ReconcileDeps(self.deps(), timeout=TIMEOUT)


@contextmanager
def chaos_world(database_url: str) -> Iterator[ChaosWorld]:
    """Acme (acme/platform/api), alice Maintainer of acme/platform, olga and omar Owners of
    acme, the tokenbot service account Owner of acme; the simulator served on 127.0.0.1."""
    now = datetime.now(UTC).replace(microsecond=0)
    sim = GitlabSimulator(clock=lambda: now)
    state = sim.state
    acme = state.add_group("acme")
    platform = state.add_group("platform", parent=acme)
    state.add_project("api", group=platform)
    bot = add_service_account(state, acme, "tokenbot", name="tokenbot")
    state.add_member(bot, acme, AccessLevel.OWNER)
    alice = state.add_user("alice", name="Alice")
    olga = state.add_user("olga", name="Olga")
    omar = state.add_user("omar", name="Omar")
    state.add_member(alice, platform, AccessLevel.MAINTAINER)
    state.add_member(olga, acme, AccessLevel.OWNER)
    state.add_member(omar, acme, AccessLevel.OWNER)
    _, token = add_personal_token(
        state, bot, scopes=("api",), expires_at=state.today() + timedelta(days=60)
    )
    engine = create_db_engine(database_url)
    upgrade(engine)
    try:
        with SandboxServer(sim) as server:
            options = ClientOptions(
                server.url, token, timeout_seconds=CLIENT_TIMEOUT_S, retry=FAST_RETRY
            )
            yield ChaosWorld(
                sim,
                engine,
                build_gateway(options),
                Clock(now),
                FernetBox(KEY),
                Person("U0ALICE", alice.id),
                Person("U0OLGA", olga.id),
                Person("U0OMAR", omar.id),
                state.today(),
            )
    finally:
        engine.dispose()


@contextmanager
def sqlite_database() -> Iterator[str]:
    folder = Path(tempfile.mkdtemp(prefix="tokenbot-chaos-"))
    try:
        yield f"sqlite:///{folder / 'tokenbot.db'}"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def postgres_database(server_url: str) -> Iterator[str]:
    """A throw-away database `tokenbot_chaos_<random>` on that server, dropped afterwards."""
    admin_url = make_url(normalise_url(server_url))
    name = f"tokenbot_chaos_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        try:
            yield admin_url.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def postgres_reachable(server_url: str) -> bool:
    engine = sa.create_engine(make_url(normalise_url(server_url)))
    try:
        with engine.connect():
            return True
    except sa.exc.SQLAlchemyError:
        return False
    finally:
        engine.dispose()
