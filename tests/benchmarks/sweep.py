"""Benchmark: the daily reminder sweep over a large inventory, and how its time grows.

    python -m tests.benchmarks.sweep [--database-url postgresql://postgres@127.0.0.1:5432/postgres]
                                     [--scenario TRACKED:DUE ...] [--runs 3] [--seed 1]
                                     [--explain]

For each scenario (default 10,000:160, 100,000:1,600, 10,000:1,600 and 100,000:160) it fills
a fresh database (a SQLite file in a temporary folder; with `--database-url`, a PostgreSQL
database `tokenbot_bench_<random>` created on that server and dropped afterwards) with that
many tracked tokens, of which exactly DUE are due today. Filling uses bulk inserts in a
process of its own and is not timed. The spread is what a year of daily sweeps leaves behind:
expiry dates up to a year ahead, tokens inside the 30-day window already reminded of their
current threshold, the reminders of renewed tokens' older expiry dates, tokens that expired
long ago, without an expiry date, revoked, gone or muted, in 12 top groups, 96 subgroups and
51 channels. Due today: 80% reached a threshold, 10% are new and past several thresholds,
10% expired in the last 7 days without their expiry-day notice.

Then `--runs` times, a new process on a fresh copy of that database (a file copy; `CREATE
DATABASE ... TEMPLATE`) does what `tokenbot remind` does (`bootstrap`, `reminder_deps`) with a
poster that renders each message's Slack blocks and keeps it in memory: no HTTP and no
pacing. The real poster waits 1 s between two posts to one channel; that wait is Slack's rate
limit, not the sweep's work, and is not measured. It times the dry run (`plan_reminders`, what
`tokenbot remind --dry-run` lists) and the sweep (claims in the database, posts, marks them
posted), then a second sweep that finds nothing left; counts their SQL statements; and runs
the dry run and the sweep again under tracemalloc for the peak of Python allocations.
ru_maxrss is the measuring process's peak resident size. Times are medians over the runs.
`--explain` prints the database's plan for every statement the sweep sent, for the largest
scenario.

Target (issue): under 1 s at 100,000 tracked tokens, growing with the number due rather than
the number tracked.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import TYPE_CHECKING, Any

# The driving process imports only the standard library (and SQLAlchemy to create a
# PostgreSQL database): the measuring process it starts inherits its peak resident size.
if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from bot.config import Settings
    from bot.domain.reminders import Reminder

TARGET_SECONDS = 1.0
TARGET_TRACKED = 100_000
DEFAULT_SCENARIOS = ("10000:160", "100000:1600", "10000:1600", "100000:160")
THRESHOLDS = (30, 14, 7, 3, 1)
LEVELS = (*THRESHOLDS, 0)  # 0: the expiry day
EXPIRED_DAYS = 7  # an expiry-day notice is still sent this many days late
DIGEST_THRESHOLD = 5
DEFAULT_CHANNEL = "C0REMINDERS"
URL_ENV = "TOKENBOT_BENCH_DATABASE_URL"  # how the child processes get the database

TOPS = (
    "acme",
    "globex",
    "initech",
    "umbrella",
    "hooli",
    "stark",
    "wayne",
    "wonka",
    "tyrell",
    "cyberdyne",
    "soylent",
    "legacy",
)
SUBS = ("platform", "payments", "web", "mobile", "data", "infra", "ml", "tools")
ROUTED_TOPS = TOPS[:10]  # the last two go to the default channel
ROUTED_SUBS = [(top, sub) for top in TOPS[:5] for sub in SUBS]  # their own team channels
PURPOSES = ("ci-deploy", "renovate", "backup", "metrics", "release", "mirror", "docs", "sync")
# (token type, namespace kind, weight): what a large GitLab instance holds
KINDS = (
    ("project_access_token", "project", 45),
    ("deploy_token", "project", 20),
    ("pipeline_trigger_token", "project", 10),
    ("group_access_token", "group", 15),
    ("service_account_pat", "group", 10),
)


def routes() -> str:
    pairs = [f"{top}=C0{top.upper()}" for top in ROUTED_TOPS]
    pairs += [f"{top}/{sub}=C0{top.upper()}{sub.upper()}" for top, sub in ROUTED_SUBS]
    return ",".join(pairs)


def settings_for(url: str, data_dir: Path) -> Settings:
    from bot.config import Settings

    return Settings(
        database_url=url,
        tokenbot_data_dir=data_dir,
        tokenbot_reminders_channel=DEFAULT_CHANNEL,
        tokenbot_reminders_routes=routes(),  # parsed like the environment
        tokenbot_reminder_days=",".join(map(str, THRESHOLDS)),
        tokenbot_digest_threshold=DIGEST_THRESHOLD,
    )


# ----------------------------------------------------------------------- the inventory


class Generator:
    """Tracked tokens and the reminder log that a year of daily sweeps would leave."""

    def __init__(self, today: date, seed: int) -> None:
        self.today = today
        self.rng = random.Random(seed)  # noqa: S311 - test data, not secrets
        self.tokens: list[dict[str, Any]] = []
        self.posts: list[dict[str, Any]] = []
        self.in_window = 0  # active, not muted, expiring from 7 days ago to 30 days ahead
        self._ts = itertools.count(1)
        self._kinds = [k for k, _, _ in KINDS]
        self._weights = [w for _, _, w in KINDS]
        self._namespace_kind = {k: ns for k, ns, _ in KINDS}

    def token(
        self,
        days: int | None,
        *,
        status: str = "active",
        muted: bool = False,
        posted: Sequence[int] = (),
    ) -> str:
        """A token expiring in `days` (None: never) with these levels posted; its key."""
        rng, number = self.rng, len(self.tokens) + 1
        if days is None:
            kind = rng.choice(("deploy_token", "pipeline_trigger_token"))
        else:
            kind = rng.choices(self._kinds, self._weights)[0]
        top, sub = rng.choice(TOPS), rng.choice(SUBS)
        if self._namespace_kind[kind] == "group":
            path, ns_id = f"{top}/{sub}", TOPS.index(top) * 100 + SUBS.index(sub) + 1
        else:
            project = rng.randrange(2000)
            path, ns_id = f"{top}/{sub}/svc-{project:04d}", 10_000 + project
        expires_on = None if days is None else self.today + timedelta(days=days)
        owned = rng.random()
        seen = datetime.combine(self.today - timedelta(days=400), clock_time(6), UTC)
        key = f"{kind}:{number}"
        self.tokens.append(
            {
                "key": key,
                "token_type": kind,
                "gitlab_id": number,
                "name": f"{rng.choice(PURPOSES)}-{number}",
                "place_key": f"{self._namespace_kind[kind]}:{ns_id}",
                "namespace_kind": self._namespace_kind[kind],
                "namespace_id": ns_id,
                "namespace_path": path,
                "namespace_url": f"https://gitlab.example.com/{path}",
                "scopes": ["read_api", "read_repository"] if rng.random() < 0.7 else ["api"],
                "access_level": rng.choice((20, 30, 40)) if kind.endswith("access_token") else None,
                "expires_on": expires_on,
                "last_used_at": seen + timedelta(days=rng.randrange(400)),
                "user_id": None if kind == "deploy_token" else 5000 + number,
                "status": status,
                "owner": f"U0OWNER{rng.randrange(300):03d}" if owned < 0.6 else None,
                "owner_source": "claimed" if owned < 0.1 else "configured" if owned < 0.6 else None,
                "muted": muted,
                "request_id": None,
                "first_seen_at": seen,
                "updated_at": seen,
            }
        )
        if expires_on is not None:
            self.history(key, expires_on, posted)
        return key

    def history(self, key: str, expires_on: date, levels: Sequence[int]) -> None:
        """Reminders posted for `key` at these levels, each on its day."""
        for level in levels:
            self.posts.append(
                {
                    "token_key": key,
                    "expires_on": expires_on,
                    "level": level,
                    "state": "posted",
                    "claimed_at": datetime.combine(
                        expires_on - timedelta(days=level), clock_time(9), UTC
                    ),
                    "channel": DEFAULT_CHANNEL,
                    "ts": f"{1_700_000_000 + next(self._ts)}.000100",
                }
            )

    def due_today(self) -> None:
        roll = self.rng.random()
        if roll < 0.8:  # reached a threshold today; the earlier ones were posted
            level = self.rng.choice(LEVELS)
            self.token(level, posted=[t for t in THRESHOLDS if t > level])
        elif roll < 0.9:  # new since the last sweep and past several thresholds: never posted
            self.token(self.rng.choice([d for d in range(2, 30) if d not in LEVELS]))
        else:  # expired in the last 7 days while the bot was down: no expiry-day notice
            self.token(-self.rng.randrange(1, 8), posted=THRESHOLDS)
        self.in_window += 1

    def not_due(self) -> None:
        rng, roll = self.rng, self.rng.random()
        if roll < 0.05:  # deploy and trigger tokens without an expiry date
            self.token(None)
        elif roll < 0.08:
            self.token(rng.randrange(-400, 366), status="revoked")
        elif roll < 0.13:
            self.token(rng.randrange(-400, 366), status="gone")
        elif roll < 0.145:  # "let it expire" after an earlier reminder
            days = rng.randrange(-7, 31)
            self.token(days, muted=True, posted=[t for t in THRESHOLDS if t > max(days, 0)])
        elif roll < 0.24:  # expired long ago: history, not news
            self.token(-rng.randrange(8, 400), posted=LEVELS)
        else:
            self.active()

    def active(self) -> None:
        days = self.rng.randrange(-7, 366)
        while days in LEVELS:  # those would be due today
            days = self.rng.randrange(-7, 366)
        if days <= 30:  # already reminded of its current threshold by an earlier sweep
            self.in_window += 1
            self.token(days, posted=[level for level in LEVELS if level >= days])
            return
        key = self.token(days)
        expired = days - 365  # renewed a year ago: the old expiry's reminders stay
        if expired < -EXPIRED_DAYS and self.rng.random() < 0.3:
            self.history(key, self.today + timedelta(days=expired), LEVELS)


def populate(tracked: int, due: int, today: date, seed: int) -> Generator:
    """`tracked` tokens of which exactly `due` are due today (with the default thresholds)."""
    gen = Generator(today, seed)
    for _ in range(due):
        gen.due_today()
    for _ in range(tracked - due):
        gen.not_due()
    return gen


def fill(url: str, tracked: int, due: int, today: date, seed: int) -> dict[str, Any]:
    """Create the schema and bulk-insert the inventory (run in a process of its own)."""
    import sqlalchemy as sa

    from bot.db.engine import create_db_engine
    from bot.db.migrate import upgrade
    from bot.db.tables import ReminderPostRow, TrackedTokenRow

    gen = populate(tracked, due, today, seed)
    engine = create_db_engine(url)
    try:
        upgrade(engine)
        started = time.perf_counter()
        tables = (
            (TrackedTokenRow.__table__, gen.tokens),  # type: ignore[attr-defined]
            (ReminderPostRow.__table__, gen.posts),  # type: ignore[attr-defined]
        )
        with engine.begin() as conn:
            for table, rows in tables:
                for start in range(0, len(rows), 5000):
                    conn.execute(table.insert(), rows[start : start + 5000])
        if engine.dialect.name == "postgresql":  # autovacuum does this soon after a sync
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text("ANALYZE tracked_tokens"))
                conn.execute(sa.text("ANALYZE reminder_posts"))
        seconds = time.perf_counter() - started
    finally:
        engine.dispose()
    return {"fill_s": seconds, "in_window": gen.in_window, "posts": len(gen.posts)}


class Databases:
    """SQLite files in `folder`, or PostgreSQL databases of their own on `server`.

    A copy of a filled database (a file copy; `CREATE DATABASE ... TEMPLATE`) lets every run
    start from the same state without filling again. All are dropped on close.
    """

    def __init__(self, server: str | None, folder: Path) -> None:
        self._folder = folder
        self._made: list[str] = []  # their URLs
        self._server: Any = None
        self._admin: Any = None
        if server:
            import sqlalchemy as sa
            from sqlalchemy.engine import make_url

            from bot.db.engine import normalise_url

            self._server = make_url(normalise_url(server))
            self._admin = sa.create_engine(self._server, isolation_level="AUTOCOMMIT")

    def create(self, copy_of: str | None = None) -> str:
        name = f"tokenbot_bench_{uuid.uuid4().hex[:12]}"
        if self._admin is None:
            path = self._folder / f"{name}.db"
            if copy_of:  # the filling process closed it: no write-ahead log is left over
                shutil.copyfile(copy_of.removeprefix("sqlite:///"), path)
            url = f"sqlite:///{path}"
        else:
            template = f' TEMPLATE "{_database(copy_of)}"' if copy_of else ""
            self._sql(f'CREATE DATABASE "{name}"{template}')
            url = self._server.set(database=name).render_as_string(hide_password=False)
        self._made.append(url)
        return url

    def drop(self, url: str) -> None:
        if self._admin is None:
            Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
        else:
            self._sql(f'DROP DATABASE IF EXISTS "{_database(url)}" WITH (FORCE)')
        self._made.remove(url)

    def close(self) -> None:
        for url in list(self._made):
            self.drop(url)
        if self._admin is not None:
            self._admin.dispose()

    def _sql(self, statement: str) -> None:
        import sqlalchemy as sa

        with self._admin.connect() as conn:
            conn.execute(sa.text(statement))


def _database(url: str | None) -> str:
    from sqlalchemy.engine import make_url

    return str(make_url(url or "").database)


# ----------------------------------------------------------------------- the measuring process


class MemoryPoster:
    """`ReminderPoster` that renders each message's Slack blocks and keeps it; no HTTP, no sleep."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, int, list[dict[str, Any]]]] = []  # channel, count, blocks
        self._ts = itertools.count(1)

    def post(self, reminder: Reminder) -> str:
        from bot.slack.blocks.reminders import reminder_message

        blocks, _ = reminder_message(reminder)
        self.messages.append((reminder.channel, 1, blocks))
        return f"1800000000.{next(self._ts):06d}"

    def post_digest(self, channel: str, reminders: Sequence[Reminder]) -> str:
        from bot.slack.blocks.reminders import digest_message

        blocks, _ = digest_message(reminders)
        self.messages.append((channel, len(reminders), blocks))
        return f"1800000000.{next(self._ts):06d}"


class Statements:
    """Counts what is sent to the database; keeps the first of each for EXPLAIN."""

    def __init__(self) -> None:
        self.count = 0
        self.first: dict[str, Any] = {}

    def __call__(self, _conn: Any, _cursor: Any, sql: str, params: Any, *_: Any) -> None:
        self.count += 1
        self.first.setdefault(sql, params)


def _max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _timed(run: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = run()
    return time.perf_counter() - started, result


def _peak_mib(run: Callable[[], Any]) -> float:
    """Peak of Python allocations while `run` runs."""
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def explain(engine: Engine, statements: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """The database's plan for each statement (not run; batched inserts left out)."""
    plans = []
    prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
    with engine.connect() as conn:
        for sql, params in statements.items():
            if isinstance(params, list) or not sql.lstrip().upper().startswith(
                ("SELECT", "UPDATE", "DELETE")
            ):
                continue
            rows = conn.exec_driver_sql(prefix + sql, params).all()
            plan = [" ".join(map(str, row)) for row in rows]
            plans.append((_clip(sql), [ln if len(ln) < 150 else ln[:147] + "..." for ln in plan]))
    return plans


def _clip(text: str, width: int = 160) -> str:
    """On one line, cut short (IN lists hold hundreds of keys)."""
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."


def measure(url: str, now: datetime, *, with_plans: bool) -> dict[str, Any]:
    """What `tokenbot remind` does, timed; run in a process of its own for ru_maxrss."""
    import sqlalchemy as sa

    import bot.slack.blocks.reminders  # noqa: F401 - imported before the clock starts
    from bot.bootstrap import bootstrap
    from bot.db.tables import ReminderPostRow
    from bot.reminder_wiring import reminder_deps
    from bot.services.reminders import plan_reminders, sweep

    with tempfile.TemporaryDirectory() as data_dir:
        settings = settings_for(url, Path(data_dir))
        container = bootstrap(settings, clock=lambda: now)
    statements = Statements()
    sa.event.listen(container.db, "before_cursor_execute", statements)
    poster = MemoryPoster()
    deps = reminder_deps(settings, container, poster)

    def counted(run: Callable[[], Any]) -> tuple[float, Any, int]:
        before = statements.count
        seconds, result = _timed(run)
        return seconds, result, statements.count - before

    out: dict[str, Any] = {"rss_start_mb": _max_rss_mb()}
    try:
        first, due, out["dry_run_sql"] = counted(lambda: plan_reminders(deps=deps))
        best = min(_timed(lambda: plan_reminders(deps=deps))[0] for _ in range(3))
        out |= {"dry_run_s": first, "dry_run_best_s": best, "dry_run_due": len(due)}
        swept, report, out["sweep_sql"] = counted(lambda: sweep(deps=deps))
        out |= {
            "sweep_s": swept,
            "due": len(report.due),
            "posted": report.posted,
            "digests": report.digests,
            "messages": len(poster.messages),
            "failed": len(report.failed),
            "lost": report.lost_to_another_process,
        }
        nothing_left = [counted(lambda: sweep(deps=deps)) for _ in range(3)]
        out["resweep_s"] = min(seconds for seconds, _, _ in nothing_left)
        out["resweep_due"] = max(len(report.due) for _, report, _ in nothing_left)
        out["rss_peak_mb"] = _max_rss_mb()
        if with_plans:
            out["plans"] = explain(container.db, dict(statements.first))

        # Give back what the sweep wrote (the generated history is all older than today),
        # and run both once more to see their allocations.
        posts = ReminderPostRow.__table__  # type: ignore[attr-defined]
        with container.db.begin() as conn:
            midnight = datetime.combine(now.date(), clock_time(0), UTC)
            conn.execute(sa.delete(posts).where(posts.c.claimed_at >= midnight))
        out["dry_run_peak_mib"] = _peak_mib(lambda: plan_reminders(deps=deps))
        out["sweep_peak_mib"] = _peak_mib(lambda: sweep(deps=deps))
    finally:
        container.close()
    return out


# ----------------------------------------------------------------------- driving


@dataclass
class Result:
    tracked: int
    due: int
    filled: dict[str, Any]
    runs: list[dict[str, Any]]  # one per measuring process, each on a fresh copy

    @property
    def first(self) -> dict[str, Any]:
        return self.runs[0]

    def median(self, name: str) -> float:
        return float(statistics.median(run[name] for run in self.runs))

    def span(self, name: str) -> str:
        values = [run[name] for run in self.runs]
        return f"{min(values):.3f}-{max(values):.3f}"


def _child(args: list[str], url: str) -> dict[str, Any]:
    """Run this module with `args` in a fresh process; its last line of output, as JSON."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("TOKENBOT_", "SLACK_", "GITLAB_")) and name != "DATABASE_URL"
    }
    env[URL_ENV] = url
    child = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks.sweep", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if child.returncode != 0:
        sys.stderr.write(child.stderr)
        raise SystemExit(f"{' '.join(args)}: the process failed ({child.returncode})")
    result: dict[str, Any] = json.loads(child.stdout.strip().splitlines()[-1])
    return result


def run_scenario(
    tracked: int,
    due: int,
    *,
    databases: Databases,
    now: datetime,
    seed: int,
    runs: int,
    explain: bool,
) -> Result:
    """Fill one database, then measure `runs` times, each on a fresh copy of it."""
    filled_url = databases.create()
    try:
        when = ["--now", now.isoformat()]
        filled = _child(["--fill", f"{tracked}:{due}", *when, "--seed", str(seed)], filled_url)
        figures = []
        for run in range(runs):
            url = databases.create(copy_of=filled_url)
            plans = ["--explain"] if explain and run == 0 else []
            figures.append(_child(["--measure", *when, *plans], url))
            databases.drop(url)
    finally:
        databases.drop(filled_url)
    return Result(tracked, due, filled, figures)


def _ratio(a: float, b: float) -> str:
    return f"x{b / a:.1f}" if a > 0 else "-"


def report(results: list[Result], backend: str, runs: int) -> None:
    print(f"tokenbot reminder sweep on {backend}; thresholds {','.join(map(str, THRESHOLDS))},")
    print(f"a digest above {DIGEST_THRESHOLD} reminders per channel, 51 channels; {runs} run(s)")
    print(
        "poster: renders each message's Slack blocks and keeps it in memory; no HTTP, and the"
        " 1 s per channel\npacing of the real poster (Slack's rate limit) is not measured\n"
    )
    print(
        f"{'tracked':>8} {'window':>6} {'log rows':>8} {'due':>6} |"
        f" {'dry run s':>9} {'SQL':>3} | {'sweep s':>7} {'(min-max)':>11} {'SQL':>5}"
        f" {'posted':>6} {'msgs':>4} {'digests':>7} {'again s':>7} |"
        f" {'peak MiB':>8} {'sweep':>5} {'maxrss MB':>9}"
    )
    for r in results:
        f = r.first
        print(
            f"{r.tracked:>8,} {r.filled['in_window']:>6,} {r.filled['posts']:>8,} {f['due']:>6,} |"
            f" {r.median('dry_run_s'):>9.3f} {f['dry_run_sql']:>3} |"
            f" {r.median('sweep_s'):>7.3f} {r.span('sweep_s'):>11} {f['sweep_sql']:>5}"
            f" {f['posted']:>6,} {f['messages']:>4} {f['digests']:>7}"
            f" {r.median('resweep_s'):>7.3f} |"
            f" {f['dry_run_peak_mib']:>8.1f} {f['sweep_peak_mib']:>5.1f}"
            f" {max(run['rss_peak_mb'] for run in r.runs):>9.0f}"
        )
    print(
        "\nwindow: active tokens expiring from 7 days ago to 30 days ahead (due, or reminded"
        " already);\nlog rows: reminder_posts before the sweep. Each run is a new process on a"
        " fresh copy of the\nfilled database: dry run, then sweep, then sweep again (nothing left"
        " to post); times are the\nmedian over the runs; SQL: statements sent; peak MiB:"
        " tracemalloc peak of the dry run and of\nthe sweep; maxrss: the measuring process,"
        f" start-up included ({results[0].first['rss_start_mb']:.0f} MB after start-up)."
        "\nFilling is not timed (bulk inserts, a process of its own)."
    )
    _checks(results)
    _growth(results)
    for r in results:
        for sql, plan in r.first.get("plans", []):
            print(f"\nplan at {r.tracked:,}:{r.due:,} of {sql}")
            for line in plan:
                print(f"    {line}")
    _verdict(results)


def _checks(results: list[Result]) -> None:
    for r in results:
        problems = []
        for f in r.runs:
            if f["due"] != r.due or f["dry_run_due"] != r.due:
                problems.append(f"{f['due']} due, {r.due} generated")
            if f["posted"] != f["due"] or f["failed"] or f["lost"]:
                problems.append(f"posted {f['posted']} of {f['due']}")
            if f["resweep_due"]:
                problems.append(f"a second sweep found {f['resweep_due']} due")
        if problems:
            print(f"  WRONG at {r.tracked:,}:{r.due:,}: {'; '.join(sorted(set(problems)))}")


def _growth(results: list[Result]) -> None:
    by = {(r.tracked, r.due): r for r in results}
    print()
    for (tracked, due), r in sorted(by.items()):
        for label, other in (
            ("10x due", by.get((tracked, due * 10))),
            ("10x tracked", by.get((tracked * 10, due))),
        ):
            if other is not None:
                print(
                    f"growth, {label:<11} ({tracked:,}:{due:,} -> {other.tracked:,}:{other.due:,}):"
                    f" sweep {_ratio(r.median('sweep_s'), other.median('sweep_s'))},"
                    f" dry run {_ratio(r.median('dry_run_s'), other.median('dry_run_s'))},"
                    f" SQL statements {r.first['sweep_sql']} -> {other.first['sweep_sql']}"
                )


def _verdict(results: list[Result]) -> None:
    at_target = [r for r in results if r.tracked >= TARGET_TRACKED]
    if not at_target:
        return
    worst = max(at_target, key=lambda r: r.median("sweep_s"))
    seconds = worst.median("sweep_s")
    verdict = "PASS" if seconds < TARGET_SECONDS else "FAIL"
    print(
        f"\nslowest sweep at {worst.tracked:,} tracked ({worst.due:,} due): {seconds:.3f} s"
        f" (median of {len(worst.runs)}; {worst.span('sweep_s')} s);"
        f" target: under {TARGET_SECONDS:.0f} s   {verdict}"
    )


def _scenario(text: str) -> tuple[int, int]:
    tracked, _, due = text.partition(":")
    try:
        pair = int(tracked.replace(",", "")), int(due.replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not TRACKED:DUE") from None
    if not 0 <= pair[1] <= pair[0]:
        raise argparse.ArgumentTypeError(f"'{text}': due must be between 0 and tracked")
    return pair


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        default=None,
        help="PostgreSQL server URL; each database is created there and dropped (default: SQLite)",
    )
    parser.add_argument(
        "--scenario",
        type=_scenario,
        action="append",
        metavar="TRACKED:DUE",
        help=f"repeatable; default: {' '.join(DEFAULT_SCENARIOS)}",
    )
    parser.add_argument("--runs", type=int, default=3, help="measuring processes per scenario")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--explain", action="store_true", help="print the plan of each statement (largest run)"
    )
    parser.add_argument("--fill", type=_scenario, help=argparse.SUPPRESS)  # child: fill
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)  # child
    parser.add_argument("--now", type=datetime.fromisoformat, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.fill:
        tracked, due = args.fill
        print(json.dumps(fill(os.environ[URL_ENV], tracked, due, args.now.date(), args.seed)))
        return
    if args.measure:
        print(json.dumps(measure(os.environ[URL_ENV], args.now, with_plans=args.explain)))
        return

    scenarios = args.scenario or [_scenario(s) for s in DEFAULT_SCENARIOS]
    largest = max(scenarios)
    now = datetime.now(UTC).replace(microsecond=0)
    results = []
    with tempfile.TemporaryDirectory(prefix="tokenbot-sweep-") as folder:
        databases = Databases(args.database_url, Path(folder))
        try:
            for tracked, due in scenarios:
                print(f"... {tracked:,} tracked, {due:,} due", file=sys.stderr, flush=True)
                results.append(
                    run_scenario(
                        tracked,
                        due,
                        databases=databases,
                        now=now,
                        seed=args.seed,
                        runs=args.runs,
                        explain=args.explain and (tracked, due) == largest,
                    )
                )
        finally:
            databases.close()
    report(results, "PostgreSQL" if args.database_url else "SQLite (a file)", args.runs)


if __name__ == "__main__":
    main()
