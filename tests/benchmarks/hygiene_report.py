"""Benchmark: token hygiene findings and the report over a large inventory.

    python -m tests.benchmarks.hygiene_report [--database-url postgresql://postgres@127.0.0.1:5432/postgres]
                                              [--tracked 100000] [--runs 3] [--seed 1]

Fills a fresh database (a SQLite file in a temporary folder; with `--database-url` or
TEST_DATABASE_URL, a PostgreSQL database `tokenbot_bench_<random>` created on that server and
dropped afterwards) with `--tracked` tracked credentials by bulk inserts (not timed): every
kind tokenbot tracks, in 20 top groups, 200 subgroups and 2,000 projects (with their project
counts, as the sync leaves them), 2,000 owners and a tenth unowned, expiries up to 18 months
ahead (some never, some expired), last uses from never to today, a few revoked or gone, and
1,000 silenced findings.

Then `--runs` times it measures, on a fresh unit of work each time, what the digest, the Home
tab and `tokenbot report` do: `hygiene_report` over everything (the one query, every finding,
the silences, the worst and the weeks), the same for one owner, and the facts query alone
(the database's share). Times are medians (and the slowest) over the runs, with the number of
SQL statements each sent. The chart is drawn once and timed apart (it does not grow with the
inventory: its bars are weeks).

Target (issue 16): findings and the report for 100,000 tracked credentials under 2 s, on
SQLite and on PostgreSQL.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from bot.db.engine import create_db_engine, normalise_url
from bot.db.hygiene_tables import GroupSizeRow, HygieneSilenceRow
from bot.db.migrate import upgrade
from bot.db.tables import TrackedTokenRow
from bot.db.unit_of_work import SqlUnitOfWork
from bot.domain.hygiene import FindingKind, hygiene_rules
from bot.domain.policy import LifetimePolicy
from bot.domain.request_policy import RequestPolicy
from bot.domain.tokens import AccessLevel, TokenType
from bot.services.hygiene import HygieneDeps, hygiene_report

TARGET_SECONDS = 2.0
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
TOPS, SUBGROUPS, PROJECTS, OWNERS = 20, 10, 10, 2000
CHUNK = 5000
KINDS = (
    (TokenType.PROJECT_ACCESS_TOKEN, 0.35),
    (TokenType.GROUP_ACCESS_TOKEN, 0.10),
    (TokenType.PERSONAL_ACCESS_TOKEN, 0.20),
    (TokenType.SERVICE_ACCOUNT_PAT, 0.05),
    (TokenType.DEPLOY_TOKEN, 0.15),
    (TokenType.PIPELINE_TRIGGER_TOKEN, 0.10),
    (TokenType.DEPLOY_KEY, 0.05),
)
SCOPES = (("read_api",), ("api",), ("read_repository",), ("read_registry", "write_registry"))
ROLES = (AccessLevel.REPORTER, AccessLevel.DEVELOPER, AccessLevel.MAINTAINER, AccessLevel.OWNER)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("TEST_DATABASE_URL"))
    parser.add_argument("--tracked", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with _database(args.database_url) as engine:
        print(f"database: {engine.dialect.name}; tracked credentials: {args.tracked:,}")
        started = time.perf_counter()
        _fill(engine, args.tracked, random.Random(args.seed))  # noqa: S311 - test data
        print(f"filled in {time.perf_counter() - started:.1f} s (not timed below)")
        _measure(engine, args.runs)


@contextmanager
def _database(server: str | None) -> Iterator[Engine]:
    if not server:
        with tempfile.TemporaryDirectory(prefix="tokenbot-bench-") as folder:
            engine = create_db_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
            upgrade(engine)
            yield engine
            engine.dispose()
        return
    admin_url = make_url(normalise_url(server))
    name = f"tokenbot_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        engine = create_db_engine(admin_url.set(database=name).render_as_string(False))
        upgrade(engine)
        yield engine
        engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _places() -> tuple[list[dict[str, Any]], list[tuple[str, str, int]]]:
    """Group sizes as the sync writes them, and every place as (key, path, namespace id)."""
    sizes: list[dict[str, Any]] = []
    places: list[tuple[str, str, int]] = []
    ids = iter(range(1, 10**7))
    for t in range(TOPS):
        top, top_id = f"corp{t}", next(ids)
        sizes.append(_size(top_id, top, SUBGROUPS * PROJECTS))
        places.append((f"group:{top_id}", top, top_id))
        for s in range(SUBGROUPS):
            sub, sub_id = f"{top}/team{s}", next(ids)
            sizes.append(_size(sub_id, sub, PROJECTS))
            places.append((f"group:{sub_id}", sub, sub_id))
            for p in range(PROJECTS):
                project_id = next(ids)
                places.append((f"project:{project_id}", f"{sub}/app{p}", project_id))
    return sizes, places


def _size(group_id: int, path: str, projects: int) -> dict[str, Any]:
    return {"place_key": f"group:{group_id}", "path": path, "projects": projects, "seen_at": NOW}


def _fill(engine: Engine, tracked: int, rng: random.Random) -> None:
    sizes, places = _places()
    groups = [p for p in places if p[0].startswith("group:")]
    projects = [p for p in places if p[0].startswith("project:")]
    kinds, weights = zip(*KINDS, strict=True)
    rows = []
    for n in range(tracked):
        kind = rng.choices(kinds, weights)[0]
        on_group = kind in (TokenType.GROUP_ACCESS_TOKEN, TokenType.SERVICE_ACCOUNT_PAT) or (
            kind in (TokenType.DEPLOY_TOKEN, TokenType.PERSONAL_ACCESS_TOKEN) and rng.random() < 0.5
        )
        rows.append(_row(n, kind, rng.choice(groups if on_group else projects), rng))
    tokens = TrackedTokenRow.__table__  # type: ignore[attr-defined]
    with engine.begin() as conn:
        conn.execute(sa.insert(GroupSizeRow.__table__), sizes)  # type: ignore[attr-defined]
        for start in range(0, len(rows), CHUNK):
            conn.execute(sa.insert(tokens), rows[start : start + CHUNK])
        silences = [
            {
                "token_key": rows[i]["key"],
                "kind": FindingKind.BROAD_SCOPE.value,
                "reason": "the release job pushes tags",
                "actor": "U0ADMIN",
                "at": NOW,
                "basis": ",".join(sorted(rows[i]["scopes"])),
            }
            for i in rng.sample(range(len(rows)), min(1000, len(rows)))
        ]
        conn.execute(sa.insert(HygieneSilenceRow.__table__), silences)  # type: ignore[attr-defined]


def _row(n: int, kind: TokenType, place: tuple[str, str, int], rng: random.Random) -> dict:  # type: ignore[type-arg]
    place_key, path, namespace_id = place
    created = NOW - timedelta(days=rng.randint(0, 700), seconds=rng.randint(0, 86_400))
    used = None if rng.random() < 0.25 else NOW - timedelta(minutes=rng.randint(0, 60 * 24 * 200))
    expires = None if rng.random() < 0.05 else (NOW + timedelta(days=rng.randint(-30, 540))).date()
    status = rng.choices(("active", "revoked", "gone"), (0.92, 0.05, 0.03))[0]
    owner = None if rng.random() < 0.1 else f"U{rng.randrange(OWNERS):06d}"
    role_bearing = kind in (TokenType.PROJECT_ACCESS_TOKEN, TokenType.GROUP_ACCESS_TOKEN)
    return {
        "key": f"{kind.value}:{n + 1}",
        "token_type": kind.value,
        "gitlab_id": n + 1,
        "name": f"token-{n}",
        "place_key": place_key,
        "namespace_kind": place_key.split(":")[0],
        "namespace_id": namespace_id,
        "namespace_path": path,
        "namespace_url": f"https://gitlab.example.com/{path}",
        "scopes": list(rng.choice(SCOPES)),
        "access_level": int(rng.choice(ROLES)) if role_bearing else None,
        "expires_on": expires,
        "last_used_at": used,
        "user_id": rng.randint(1, 5000) if rng.random() < 0.6 else None,
        "status": status,
        "owner": owner,
        "owner_source": "claimed" if owner else None,
        "muted": False,
        "request_id": f"r{n}" if rng.random() < 0.2 else None,
        "first_seen_at": created,
        "updated_at": NOW,
        "account": "",
        "last_used_ips": None,
        "created_at": created if kind is not TokenType.DEPLOY_TOKEN else None,
    }


def _measure(engine: Engine, runs: int) -> None:
    statements = _counter(engine)

    def uow() -> SqlUnitOfWork:
        return SqlUnitOfWork(engine)

    rules = hygiene_rules(RequestPolicy(), LifetimePolicy())
    deps = HygieneDeps(uow=uow, clock=lambda: NOW, rules=rules, routes={"corp0": "C0CORP"})
    owner = "U000042"

    def facts_only() -> object:
        with uow() as unit:
            return unit.hygiene.facts(today=NOW.date())

    cases: list[tuple[str, Callable[[], object]]] = [
        ("facts query alone", facts_only),
        ("report, everything", lambda: hygiene_report(deps=deps)),
        ("report, one owner (Home tab)", lambda: hygiene_report(deps=deps, owner=owner)),
        ("report, one team (digest)", lambda: hygiene_report(deps=deps, team="corp0")),
    ]
    worst = 0.0
    for label, case in cases:
        times, cpu, sent = [], [], 0
        for _ in range(runs):
            statements[0] = 0
            started, started_cpu = time.perf_counter(), time.process_time()
            case()
            times.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
            sent = statements[0]
        median, slowest = statistics.median(times), max(times)
        if label.startswith("report"):
            worst = max(worst, median)
        print(
            f"{label:<30} median {median:6.3f} s  slowest {slowest:6.3f} s"
            f"  (this process's CPU {statistics.median(cpu):6.3f} s)  {sent} SQL"
        )
    report = hygiene_report(deps=deps)
    print(
        f"judged {report.total:,}, {report.flagged_count:,} with findings;"
        f" expiring in 90 days {report.expiring:,};"
        f" counts { {k.value: v for k, v in report.counts.items()} }"
    )
    _chart(report)
    verdict = "meets" if worst < TARGET_SECONDS else "MISSES"
    print(f"slowest report (median) {worst:.3f} s: {verdict} the {TARGET_SECONDS:.0f} s target")


def _chart(report: Any) -> None:
    from bot.reports.chart import render_chart

    started = time.perf_counter()
    png = render_chart(report)
    print(f"chart: {len(png):,} bytes in {time.perf_counter() - started:.3f} s")


def _counter(engine: Engine) -> list[int]:
    count = [0]

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _seen(*_: object) -> None:
        count[0] += 1

    return count


if __name__ == "__main__":
    main()
