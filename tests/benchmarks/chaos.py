"""Chaos benchmark: seeded random faults at random moments of provisioning; exactly once holds.

    python -m tests.benchmarks.chaos [--runs 200] [--seed 7] [--database sqlite|postgres|both]
                                     [--database-url postgresql://postgres@127.0.0.1:5432/postgres]

Each run submits and approves one request (a project, group, deploy or trigger token,
delivered behind Reveal or into a CI/CD variable), then picks at random what goes wrong while
it is provisioned: one to three GitLab faults (the create, the look-up after a lost answer,
the adopting rotation, the variable write, the compensating revoke; a 502 or a dropped
connection before the work, a 502, a drop or an answer slower than the client waits after
it, or 500s until the retries give up; once or until the fault passes), and/or the worker's
death at a random step (a GitLab call or a commit, before it or after it). Then, as people
and the scheduler would: the faults pass (sometimes only after the first recovery step), an
approver clicks Retry when the request failed (most of the time), and the reconciler runs
each time the provisioning timeout has passed (the services' clock is moved, nothing waits).
The services run in-process against the simulator over HTTP (python-gitlab, 127.0.0.1) and a
real database: a SQLite file, and a throw-away PostgreSQL database when one is reachable.

It prints requests, credentials minted, live orphans, duplicates, stuck requests, requests
whose secret did not reach the requester, and reconciliation time (total/mean/max), and
exits 1 unless orphans, duplicates, stuck, lost and undelivered are all 0 (the target).
Every run is reproducible from (seed, run number); failing runs are listed with their plan.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import timedelta

from bot.domain.audit import AuditAction
from bot.domain.requests import Delivery, RequestDraft, RequestState, TokenRequest
from bot.domain.tokens import AccessLevel, Scope, TokenType
from bot.sandbox import FaultInjector
from bot.services.provisioning import provision_request
from bot.services.reconciler import reconcile
from bot.services.token_requests import approve_request, submit_request
from tests.benchmarks.chaos_world import (
    ChaosWorld,
    Death,
    WorkerDied,
    chaos_world,
    postgres_database,
    postgres_reachable,
    sqlite_database,
)
from tests.support.marked_credentials import Verdict, digest_of, judge, live_of, marked

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
SLOW_MS = 600  # twice the client's timeout
PROJECT, GROUP = "acme/platform/api", "acme/platform"
STEPS = ("create", "lookup", "rotate", "variable", "revoke")
MODES = ("502", "drop", "500", "502-after", "drop-after", "slow-after")
KINDS = (
    TokenType.PROJECT_ACCESS_TOKEN,
    TokenType.GROUP_ACCESS_TOKEN,
    TokenType.DEPLOY_TOKEN,
    TokenType.PIPELINE_TRIGGER_TOKEN,
)
_LISTING = {
    TokenType.PROJECT_ACCESS_TOKEN: "*/access_tokens",
    TokenType.GROUP_ACCESS_TOKEN: "*/access_tokens",
    TokenType.DEPLOY_TOKEN: "*/deploy_tokens",
    TokenType.PIPELINE_TRIGGER_TOKEN: "*/triggers",
}


@dataclass(frozen=True)
class Fault:
    step: str
    mode: str
    method: str
    path: str
    lasting: bool  # until the fault passes (else once)

    def apply(self, faults: FaultInjector) -> None:
        count = None if self.lasting else 1
        where = {"path": self.path, "method": self.method, "count": count}
        after = self.mode.endswith("-after")
        if self.mode.startswith("slow"):
            faults.latency(SLOW_MS, after=True, **where)  # type: ignore[arg-type]
        elif self.mode.startswith("drop"):
            faults.drop_connection(after=after, **where)  # type: ignore[arg-type]
        else:
            faults.error(int(self.mode[:3]), after=after, **where)  # type: ignore[arg-type]

    def __str__(self) -> str:
        return f"{self.mode} on {self.step}{' (lasting)' if self.lasting else ''}"


@dataclass(frozen=True)
class Plan:
    token_type: TokenType
    delivery: Delivery
    faults: tuple[Fault, ...]
    death_at: int  # 0: the worker lives
    death_after: bool
    aftershock: bool  # the faults last into the first recovery step
    retry_first: bool  # an approver clicks Retry before the reconciler first runs
    retries: bool  # an approver clicks Retry on a failed request

    def __str__(self) -> str:
        death = (
            f"worker dies {'after' if self.death_after else 'before'} step {self.death_at}"
            if self.death_at
            else "worker lives"
        )
        faults = ", ".join(map(str, self.faults)) or "no GitLab fault"
        return (
            f"{self.token_type.value} via {self.delivery.value}: {faults}; {death};"
            f" aftershock={self.aftershock} retry_first={self.retry_first} retries={self.retries}"
        )


def make_plan(rng: random.Random) -> Plan:
    token_type = rng.choice(KINDS)
    delivery = Delivery.CI_VARIABLE if rng.random() < 0.3 else Delivery.REVEAL
    dies = rng.random() < 0.35
    count = rng.choices((0, 1, 2, 3), weights=(0, 5, 3, 2) if not dies else (3, 4, 2, 1))[0]
    return Plan(
        token_type,
        delivery,
        tuple(_fault(rng, token_type) for _ in range(count)),
        death_at=rng.randint(1, 12) if dies else 0,
        death_after=rng.random() < 0.5,
        aftershock=rng.random() < 0.2,
        retry_first=rng.random() < 0.5,
        retries=rng.random() < 0.85,
    )


def _fault(rng: random.Random, token_type: TokenType) -> Fault:
    step, mode = rng.choice(STEPS), rng.choice(MODES)
    listing = _LISTING[token_type]
    method, path = {
        "create": ("POST", listing),
        "lookup": ("GET", listing),
        "rotate": ("POST", "*/rotate"),
        "revoke": ("DELETE", f"{listing}/*"),
        "variable": (rng.choice(("GET", "POST")), "*/variables*"),
    }[step]
    return Fault(step, mode, method, path, lasting=rng.random() < 0.4)


def draft_for(plan: Plan, run: int, world: ChaosWorld) -> RequestDraft:
    token_type, expires = plan.token_type, world.today + timedelta(days=30)
    scopes: tuple[Scope, ...] = (Scope.READ_API,)
    level: AccessLevel | None = AccessLevel.REPORTER
    if token_type is TokenType.DEPLOY_TOKEN:
        scopes, level = (Scope.READ_REPOSITORY,), None
    if token_type is TokenType.PIPELINE_TRIGGER_TOKEN:
        scopes, level, expires = (), None, None  # type: ignore[assignment]
    variable = plan.delivery is Delivery.CI_VARIABLE
    return RequestDraft(
        token_type,
        GROUP if token_type is TokenType.GROUP_ACCESS_TOKEN else PROJECT,
        f"chaos-{run}",
        scopes,
        level,
        expires,
        f"chaos run {run}",
        plan.delivery,
        PROJECT if variable else None,
        f"CHAOS_{run}" if variable else None,
    )


@dataclass
class Figures:
    requests: int = 0
    minted: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    actions: Counter[str] = field(default_factory=Counter)
    deaths: int = 0
    reconcile_seconds: list[float] = field(default_factory=list)
    orphans: int = 0
    duplicates: int = 0
    stuck: int = 0
    lost: int = 0
    undelivered: int = 0
    live_failed: int = 0
    pending_revokes: int = 0
    failing_runs: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        bad = self.orphans + self.duplicates + self.stuck + self.lost + self.undelivered
        return bad + self.live_failed + self.pending_revokes == 0


def run_once(world: ChaosWorld, run: int, seed: int, figures: Figures) -> None:
    rng = random.Random(f"{seed}:{run}")  # noqa: S311 - a reproducible plan, not a secret
    plan = make_plan(rng)
    healthy = world.deps()
    # A trigger's pipelines run as tokenbot (an Owner): only an Owner may ask for one.
    trigger = plan.token_type is TokenType.PIPELINE_TRIGGER_TOKEN
    requester, approver = (world.olga, world.omar) if trigger else (world.alice, world.olga)
    request = submit_request(requester, draft_for(plan, run, world), deps=healthy)
    approve_request(request.id, approver, deps=healthy)
    for fault in plan.faults:
        fault.apply(world.sim.faults)
    death = Death(plan.death_at, plan.death_after)
    try:
        provision_request(request.id, deps=world.deps(death))
    except WorkerDied:
        figures.deaths += 1
    if not plan.aftershock:
        world.sim.faults.clear()
    if plan.retry_first:
        _retry(world, request.id, plan)
    _reconcile(world, figures)
    world.sim.faults.clear()  # the fault has passed
    _retry(world, request.id, plan)
    for _ in range(2):
        _reconcile(world, figures)
    _judge(world, run, plan, _current(world, request.id), figures)


def _retry(world: ChaosWorld, request_id: str, plan: Plan) -> None:
    if plan.retries and _current(world, request_id).state is RequestState.FAILED:
        provision_request(request_id, deps=world.deps())


def _reconcile(world: ChaosWorld, figures: Figures) -> None:
    world.clock.pass_timeout()
    figures.reconcile_seconds.append(reconcile(deps=world.reconcile_deps()).seconds)


def _current(world: ChaosWorld, request_id: str) -> TokenRequest:
    with world.uow() as uow:
        found = uow.requests.get(request_id)
    assert found is not None
    return found


def _judge(
    world: ChaosWorld, run: int, plan: Plan, request: TokenRequest, figures: Figures
) -> None:
    with world.uow() as uow:
        ledger = uow.minted.of_request(request.id)
    verdict = judge(world.sim, [request], ledger, only={request.id})
    delivered = _delivered(world, request)
    figures.requests += 1
    figures.minted += sum(1 for m in marked(world.sim) if m.request_id == request.id)
    figures.outcomes[request.state.value] += 1
    _count(figures, verdict, delivered)
    if not verdict.clean or not delivered:
        figures.failing_runs.append(
            f"run {run} ({plan}): ended {request.state.value}; {_problems(verdict, delivered)}"
        )


_COUNTED = {
    AuditAction.ADOPTED,
    AuditAction.COMPENSATED,
    AuditAction.RECONCILED,
    AuditAction.ORPHAN_REPORTED,
}


def _delivered(world: ChaosWorld, request: TokenRequest) -> bool:
    """A provisioned request's live credential's secret is where its requester gets it."""
    if request.state is not RequestState.PROVISIONED:
        return True
    live = [m for m in live_of(world.sim, request.id) if m.gitlab_id == request.gitlab_token_id]
    if len(live) != 1:
        return False
    draft = request.draft
    if draft.delivery is Delivery.CI_VARIABLE:
        values = [v.value for v in world.sim.state.variables if v.key == draft.variable_key]
        return len(values) == 1 and digest_of(values[0]) == live[0].digest
    with world.uow() as uow:
        secret = uow.secrets.take(request.id, now=world.clock())
        uow.commit()
    return secret is not None and digest_of(secret.reveal()) == live[0].digest


def _count(figures: Figures, verdict: Verdict, delivered: bool) -> None:
    figures.orphans += len(verdict.orphans)
    figures.duplicates += len(verdict.duplicates)
    figures.stuck += len(verdict.stuck)
    figures.lost += len(verdict.lost)
    figures.live_failed += len(verdict.live_failed)
    figures.pending_revokes += len(verdict.pending_revokes)
    figures.undelivered += 0 if delivered else 1


def _problems(verdict: Verdict, delivered: bool) -> str:
    parts = [
        f"{len(verdict.orphans)} live orphan(s)" if verdict.orphans else "",
        "duplicate" if verdict.duplicates else "",
        "stuck" if verdict.stuck else "",
        "its credential is not live" if verdict.lost else "",
        "failed with a live credential" if verdict.live_failed else "",
        f"{len(verdict.pending_revokes)} revoke(s) pending" if verdict.pending_revokes else "",
        "" if delivered else "the secret did not reach the requester",
    ]
    return ", ".join(p for p in parts if p)


def run_all(database_url: str, *, runs: int, seed: int) -> Figures:
    figures = Figures()
    with chaos_world(database_url) as world:
        for run in range(1, runs + 1):
            run_once(world, run, seed, figures)
            world.sim.faults.clear()
        _final_sweep(world, figures)
    return figures


def _final_sweep(world: ChaosWorld, figures: Figures) -> None:
    """Across all runs: no live marked credential that no request accounts for; what the
    audit says tokenbot did."""
    with world.uow() as uow:
        requests = [
            r for p in (world.alice, world.olga) for r in uow.requests.of_requester(p.chat_id)
        ]
        figures.actions.update(e.action.value for e in uow.audit.events() if e.action in _COUNTED)
    verdict = judge(world.sim, requests)
    if verdict.orphans:
        figures.failing_runs.append(f"all runs: {len(verdict.orphans)} live orphan(s) in GitLab")
        figures.orphans = max(figures.orphans, len(verdict.orphans))


def report(name: str, figures: Figures, *, runs: int, seed: int, wall: float) -> None:
    times = figures.reconcile_seconds or [0.0]
    outcomes = ", ".join(f"{k} {v}" for k, v in sorted(figures.outcomes.items()))
    actions = ", ".join(f"{k} {v}" for k, v in sorted(figures.actions.items())) or "none"
    rows = [
        ("runs", f"{runs} (seed {seed}), worker deaths {figures.deaths}"),
        ("requests", f"{figures.requests} ({outcomes})"),
        ("credentials minted", f"{figures.minted} (audit: {actions})"),
        ("live orphans", str(figures.orphans)),
        ("duplicates", str(figures.duplicates)),
        ("stuck requests", str(figures.stuck)),
        ("not delivered", f"{figures.undelivered} (credential not live: {figures.lost})"),
        ("failed, yet live", str(figures.live_failed)),
        ("revokes pending", str(figures.pending_revokes)),
        (
            "reconciliation",
            f"{len(figures.reconcile_seconds)} runs, total {sum(times):.2f} s,"
            f" mean {statistics.fmean(times) * 1000:.1f} ms, max {max(times) * 1000:.1f} ms",
        ),
        ("wall time", f"{wall:.1f} s"),
        ("target", "met" if figures.clean else "MISSED: 0 orphans, duplicates, stuck, lost"),
    ]
    print(f"chaos on {name}")
    for label, value in rows:
        print(f"  {label:<20} {value}")
    for line in figures.failing_runs[:20]:
        print(f"  ! {line}")


def _databases(choice: str, server: str) -> Iterator[tuple[str, AbstractContextManager[str]]]:
    if choice in {"sqlite", "both"}:
        yield "sqlite", sqlite_database()
    if choice in {"postgres", "both"}:
        if postgres_reachable(server):
            yield "postgresql", postgres_database(server)
        elif choice == "postgres":
            raise SystemExit(f"PostgreSQL is not reachable at {server}")
        else:
            print("chaos: PostgreSQL is not reachable; SQLite only", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.chaos")
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("TEST_DATABASE_URL") or DEFAULT_SERVER,
        help="the PostgreSQL server to create a throw-away database on",
    )
    args = parser.parse_args(argv)
    # Every lost answer is logged as a warning by design; the figures say what matters.
    logging.basicConfig(level=logging.ERROR)
    clean = True
    for name, database in _databases(args.database, args.database_url):
        started = time.monotonic()
        with database as url:
            figures = run_all(url, runs=args.runs, seed=args.seed)
        report(name, figures, runs=args.runs, seed=args.seed, wall=time.monotonic() - started)
        clean = clean and figures.clean
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())
