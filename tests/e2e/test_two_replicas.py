"""Two `tokenbot run` processes on one PostgreSQL database stay correct.

Both replicas serve Slack's endpoint and run their own scheduler, against the same database,
GitLab simulator and Slack recorder, as two pods behind a load balancer would. The same click
delivered to both makes one token and one reveal; both schedulers sweep reminders at the same
minute and each reminder is posted once; the inventory sync, firing every second in both,
runs in one process at a time (the lease in job_leases).

Needs PostgreSQL (TEST_DATABASE_URL): SQLite is for a single process. The replicas stay up for
the whole module; the reminder sweep is daily at HH:MM, so the module sets it to a minute
boundary shortly after start and the sweep test, last, waits for it (other tests run
meanwhile).
"""

from __future__ import annotations

import itertools
import json
import os
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from bot.sandbox import AccessLevel, add_resource_token
from tests.support.replicas import (
    Replica,
    Replicas,
    at_once,
    replicas_of_one_deployment,
    wait_until,
)
from tests.support.request_world import ALICE, APPROVALS, OLGA, REMINDERS, World, request_token
from tests.support.slack_api import Call

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not os.environ.get("TEST_DATABASE_URL"),
        reason="two replicas need a shared PostgreSQL: set TEST_DATABASE_URL (.ci/run does)",
    ),
]

# int(0.0003 h * 3600) = 1: both schedulers fire the inventory sync every second...
SYNC_EVERY_HOURS = "0.0003"
# ...and GitLab answers token listings slowly, so one sync takes longer than that: without
# the lease, the two replicas' syncs would overlap all the time.
SLOW_LISTING_MS = 300
# The reminder sweep's minute starts at least this long after the replicas are started.
SWEEP_LEAD = timedelta(seconds=12)

# A replica logs each scheduled run: "scheduled job <id> done: <result>" or "... failed".
_RAN = re.compile(r"^scheduled job (?P<job>[\w-]+) (done: (?P<result>.*)|failed)$")
# A text log line: `date time LEVEL logger [request id]: message` (the id only in a request).
_TEXT_LINE = re.compile(r"^\S+ \S+ [A-Z]+ (?P<logger>[\w.]+)(?: \[[^\]]*\])?: (?P<message>.*)$")
FAILED = "(failed)"
_SYNCED = re.compile(r"SyncReport\(run_id=(?P<run>\d+), resumed=(?P<resumed>True|False)")
_SWEPT = re.compile(r", posted=(?P<posted>\d+), digests=\d+, lost_to_another_process=\d+")


@dataclass
class Deployment:
    replicas: Replicas
    db: Engine
    sweep_at: datetime  # when both schedulers run the daily reminder sweep
    leases: list[tuple[str, str]] = field(default_factory=list)  # (job, holder) seen in the table

    @property
    def worlds(self) -> list[World]:
        return self.replicas.worlds


@pytest.fixture(scope="module")
def deployment(
    tmp_path_factory: pytest.TempPathFactory, database_url: str, migrated_engine: Engine
) -> Iterator[Deployment]:
    base = tmp_path_factory.mktemp("replicas")
    try:
        for attempt in range(3):
            _empty(migrated_engine)
            sweep_at = _minute_from(datetime.now(UTC) + SWEEP_LEAD)
            settings = {
                "TOKENBOT_SYNC_INTERVAL_HOURS": SYNC_EVERY_HOURS,
                "TOKENBOT_REMINDER_TIME": f"{sweep_at:%H:%M}",
                "TOKENBOT_REMINDER_TIMEZONE": "UTC",
                # The weekly hygiene digest fires with the sweep: today is its day.
                "TOKENBOT_HYGIENE_DIGEST_DAY": f"{sweep_at:%A}".lower(),
            }
            with replicas_of_one_deployment(
                base / f"start-{attempt}", database_url=database_url, settings=settings
            ) as replicas:
                if sweep_at - datetime.now(UTC) < timedelta(seconds=3):
                    continue  # started too slowly to be sure both schedulers see that minute
                replicas.sim.faults.latency(
                    SLOW_LISTING_MS, method="GET", path="*_tokens", count=None
                )
                deployment = Deployment(replicas, migrated_engine, sweep_at)
                with _LeaseWatcher(deployment):
                    yield deployment
                return
        pytest.fail("the replicas took too long to start, three times")
    finally:
        _empty(migrated_engine)


def test_one_approval_click_delivered_to_both_replicas_makes_one_token(
    deployment: Deployment,
) -> None:
    a, b = deployment.worlds
    creates = _token_creates(deployment)
    notes = len(a.slack.calls_to("chat.postEphemeral"))
    assert request_token(a, name="approved-twice").sent
    card = _card(a, "approved-twice")

    answers = at_once(
        [
            lambda: a.driver.click(OLGA, card, "request.approve"),
            lambda: b.driver.click(OLGA, card, "request.approve"),
        ]
    )

    assert [getattr(r, "status_code", r) for r in answers] == [200, 200]
    _dm(a, "approved-twice")
    # The replica that lost the race says so to the approver, and does nothing else.
    lost = _wait_for_call(
        a,
        "chat.postEphemeral",
        lambda c: c.args["user"] == OLGA,
        what="the loser's note",
        since=notes,
    )
    assert lost.args["text"].startswith("Not approved: this request is ")
    _settle()
    assert _tokens_named(a, "approved-twice") == 1
    assert _token_creates(deployment) == creates + 1  # GitLab was asked once
    assert len(_dms(a, "approved-twice")) == 1


def test_one_reveal_click_delivered_to_both_replicas_shows_the_secret_once(
    deployment: Deployment,
) -> None:
    a, b = deployment.worlds
    request_token(a, name="revealed-twice")
    a.driver.click(OLGA, _card(a, "revealed-twice"), "request.approve")
    dm = _dm(a, "revealed-twice")
    reveals = len(a.slack.calls_to("views.open"))
    notes = len(a.slack.calls_to("chat.postEphemeral"))

    answers = at_once(
        [
            lambda: a.driver.click(ALICE, dm, "request.reveal"),
            lambda: b.driver.click(ALICE, dm, "request.reveal"),
        ]
    )

    assert [getattr(r, "status_code", r) for r in answers] == [200, 200]
    refused = _wait_for_call(
        a,
        "chat.postEphemeral",
        lambda c: c.args["user"] == ALICE and "already revealed" in c.args["text"],
        what="the loser's note",
        since=notes,
    )
    assert refused.args["channel"] == ALICE
    _settle()
    opened = a.slack.calls_to("views.open")[reveals:]
    assert len(opened) == 1
    assert "glpat-" in json.dumps(opened[0].args["view"])


def test_one_retry_click_delivered_to_both_replicas_provisions_once(
    deployment: Deployment,
) -> None:
    """Both replicas reach provisioning: the conditional UPDATE lets one of them claim it."""
    a, b = deployment.worlds
    a.sim.faults.error(403, method="POST", path="*/access_tokens", count=1)
    request_token(a, name="retried-twice")
    card = _card(a, "retried-twice")
    a.driver.click(OLGA, card, "request.approve")
    _wait_for_call(
        a,
        "chat.postMessage",
        lambda c: (
            c.args["channel"] == ALICE
            and "`retried-twice` was approved, but" in c.args.get("text", "")
        ),
        what="the failure notice",
    )
    failed = _wait_for_call(
        a,
        "chat.update",
        lambda c: c.args["ts"] == card["ts"] and "request.retry" in json.dumps(c.args["blocks"]),
        what="the card with Retry",
    )
    creates = _token_creates(deployment)

    answers = at_once(
        [
            lambda: a.driver.click(
                OLGA, {**card, "blocks": failed.args["blocks"]}, "request.retry"
            ),
            lambda: b.driver.click(
                OLGA, {**card, "blocks": failed.args["blocks"]}, "request.retry"
            ),
        ]
    )

    assert [getattr(r, "status_code", r) for r in answers] == [200, 200]
    _dm(a, "retried-twice")
    _settle()  # the loser says nothing: give it time to do something wrong
    assert _tokens_named(a, "retried-twice") == 1
    assert _token_creates(deployment) == creates + 1
    assert len(_dms(a, "retried-twice")) == 1


def test_the_inventory_sync_runs_in_one_replica_at_a_time(deployment: Deployment) -> None:
    replicas = deployment.replicas.replicas

    def enough() -> bool:
        fired = [_results(r, "inventory-sync") for r in replicas]
        return all(fired) and sum(len(f) for f in fired) >= 8

    wait_until(enough, "eight syncs, with both replicas firing", timeout=60)
    failed = {r.name: _results(r, "inventory-sync").count(FAILED) for r in replicas}
    assert not any(failed.values()), f"syncs failed: {failed}\n{_tracebacks(replicas)}"
    # Read after the logs: every run a log reports as done is in the table by then.
    runs = _sync_runs(replicas)
    with deployment.db.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT id, state, started_at, finished_at FROM sync_runs ORDER BY started_at")
        ).all()

    # Each run was done by one replica, from start to end: none resumed a run another
    # replica had open, none was reported twice.
    assert not [run for run in runs if run[2]], runs
    ids = [run for _, run, _ in runs]
    assert len(ids) == len(set(ids)), runs
    assert {row.state for row in rows} <= {"done", "running"}, rows
    assert set(ids) <= {row.id for row in rows if row.state == "done"}, (runs, rows)
    # They never overlap in time, although both replicas fire every second...
    for earlier, later in itertools.pairwise(rows):
        assert earlier.finished_at is not None, rows
        assert earlier.finished_at <= later.started_at, (earlier, later)
    # ...because a replica that fires while the other holds the lease does nothing.
    assert _turned_away(replicas) >= 1
    # Whoever held the lease was one of the replicas.
    pids = {str(r.child.pid) for r in replicas}
    held = {holder for job, holder in deployment.leases if job == "inventory-sync"}
    assert held
    assert {holder.split(":")[-2] for holder in held} <= pids


def test_a_handoff_started_by_a_click_on_both_replicas_ends_once(deployment: Deployment) -> None:
    """Rotate delivered to both replicas at once stores one renewal and mints one successor;
    both schedulers sync every second and advance hand-offs after each sync: the old token is
    revoked once, the owner told once (docs/handoff.md)."""
    a, b = deployment.worlds
    state = a.sim.state
    api = state.project_by_full_path("acme/platform/api")
    assert api is not None
    made, old_secret = add_resource_token(
        state,
        api,
        name="handed-off",
        level=AccessLevel.REPORTER,
        scopes=("read_api",),
        expires_at=state.today() + timedelta(days=5),
    )
    key = f"project_access_token:{made.id}"
    wait_until(lambda: _tracked(deployment, key), "a sync to track the token")
    reminder = {
        "channel": REMINDERS,
        "ts": "1700000500.000500",
        "blocks": [
            {
                "type": "actions",
                "block_id": "reminder",
                "elements": [
                    {
                        "type": "button",
                        "action_id": "reminder.rotate",
                        "value": key,
                        "text": {"type": "plain_text", "text": "Rotate"},
                    }
                ],
            }
        ],
    }
    answers = at_once(
        [
            lambda: a.driver.click(OLGA, reminder, "reminder.rotate"),
            lambda: b.driver.click(OLGA, reminder, "reminder.rotate"),
        ]
    )
    assert [getattr(r, "status_code", r) for r in answers] == [200, 200]
    dm = wait_until(lambda: _reveal_dm(a, OLGA, "handed-off"), "the new token's Reveal DM")
    _settle()
    assert _tokens_named(a, "handed-off") == 2  # one successor, beside the old token
    opened = len(a.slack.calls_to("views.open"))
    b.driver.click(OLGA, dm, "request.reveal")
    view = json.dumps(b.slack.wait_for("views.open", opened + 1)[-1].args["view"])
    new_secret = next(p.strip("`") for p in view.split('"') if p.startswith("```glpat-"))
    assert _works(a, old_secret)
    assert _works(a, new_secret)  # GitLab records the successor's use

    wait_until(lambda: not _works(a, old_secret), "a sync to end the hand-off", timeout=60)
    _settle()
    _settle()  # both replicas have synced (and advanced) again meanwhile
    revokes = a.sim.requests.count(method="DELETE", path=f"*/access_tokens/{made.id}")
    assert revokes == 1
    told = [
        c
        for c in a.slack.calls_to("chat.postMessage")
        if c.args["channel"] == OLGA and "was revoked" in c.args.get("text", "")
    ]
    assert len(told) == 1
    with deployment.db.connect() as conn:
        ended = conn.execute(
            sa.text("SELECT count(*) FROM audit_events WHERE action = 'handoff_completed'")
        ).scalar_one()
    assert ended == 1
    assert _works(a, new_secret)


def test_both_schedulers_sweep_at_the_same_minute_and_each_reminder_is_posted_once(
    deployment: Deployment,
) -> None:
    replicas = deployment.replicas.replicas
    slack = deployment.replicas.slack
    seconds_left = (deployment.sweep_at - datetime.now(UTC)).total_seconds()
    wait_until(
        lambda: all(_fired(r, "reminder-sweep") for r in replicas),
        f"both replicas to sweep at {deployment.sweep_at:%H:%M} UTC",
        timeout=max(seconds_left, 0) + 60,
    )
    _settle()

    sweeps = {r.name: _results(r, "reminder-sweep") for r in replicas}
    assert all(len(results) == 1 for results in sweeps.values()), sweeps  # each fired once
    assert FAILED not in [results[0] for results in sweeps.values()], _tracebacks(replicas)
    posts = [
        c
        for c in slack.calls_to("chat.postMessage")
        if c.args["channel"] == REMINDERS and not _is_hygiene_digest(c)
    ]
    about = [c for c in posts if "nightly-export" in json.dumps(c.args["blocks"])]
    assert len(about) == 1, sweeps
    # Every reminder claimed in the database was posted, in one message (or one digest), and
    # nothing else was posted.
    with deployment.db.connect() as conn:
        claims = conn.execute(sa.text("SELECT token_key, state, ts FROM reminder_posts")).all()
    assert {claim.state for claim in claims} == {"posted"}
    assert len({claim.token_key for claim in claims}) == len(claims)
    messages = [c.answer["ts"] for c in posts]
    assert len(set(messages)) == len(messages)
    assert set(messages) == {claim.ts for claim in claims}, sweeps
    # One replica posted them; the other was turned away by the lease, or found nothing due.
    posted = [int(m["posted"]) for r in sweeps.values() if (m := _SWEPT.search(r[0]))]
    assert sorted(posted, reverse=True)[1:] in ([], [0]), sweeps
    assert sum(posted) == len(claims)


def test_both_schedulers_run_the_weekly_hygiene_digest_and_it_is_posted_once(
    deployment: Deployment,
) -> None:
    replicas = deployment.replicas.replicas
    slack = deployment.replicas.slack
    seconds_left = (deployment.sweep_at - datetime.now(UTC)).total_seconds()
    wait_until(
        lambda: all(_fired(r, "hygiene-digest") for r in replicas),
        f"both replicas to run the hygiene digest at {deployment.sweep_at:%H:%M} UTC",
        timeout=max(seconds_left, 0) + 60,
    )
    _settle()
    runs = {r.name: _results(r, "hygiene-digest") for r in replicas}
    assert FAILED not in [results[0] for results in runs.values()], _tracebacks(replicas)
    digests = [c for c in slack.calls_to("chat.postMessage") if _is_hygiene_digest(c)]
    assert [c.args["channel"] for c in digests] == [REMINDERS], runs
    with deployment.db.connect() as conn:
        rows = conn.execute(sa.text("SELECT channel, state, ts FROM hygiene_digests")).all()
    assert [(r.channel, r.state, r.ts) for r in rows] == [
        (REMINDERS, "posted", digests[0].answer["ts"])
    ]
    (chart,) = slack.shared_files(REMINDERS)  # its chart, into the digest's thread
    assert chart.data is not None
    assert chart.data.startswith(b"\x89PNG\r\n\x1a\n")
    assert chart.shared_to[0]["thread_ts"] == digests[0].answer["ts"]


# ---------------------------------------------------------------- helpers


def _is_hygiene_digest(call: Call) -> bool:
    return "Token hygiene this week" in json.dumps(call.args.get("blocks"))


def _minute_from(moment: datetime) -> datetime:
    """The first whole minute at or after `moment`."""
    whole = moment.replace(second=0, microsecond=0)
    return whole if whole == moment else whole + timedelta(minutes=1)


def _empty(engine: Engine) -> None:
    with engine.begin() as conn:
        for table in reversed(SQLModel.metadata.sorted_tables):
            conn.execute(table.delete())


class _LeaseWatcher:
    """Sample job_leases every 50 ms while the tests run."""

    def __init__(self, deployment: Deployment) -> None:
        self._deployment = deployment
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> None:
        self._thread.start()

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            with self._deployment.db.connect() as conn:
                rows = conn.execute(sa.text("SELECT name, holder FROM job_leases")).all()
            self._deployment.leases.extend((row.name, row.holder) for row in rows)


def _scheduler_log(replica: Replica) -> list[tuple[str, str]]:
    """(message, traceback) of each line `bot.scheduler` logged, from text or JSON lines."""
    found = []
    lines = replica.log_lines()
    for index, line in enumerate(lines):
        if line.startswith("{"):
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if entry.get("logger") == "bot.scheduler":
                found.append((str(entry.get("message")), str(entry.get("exc_info") or "")))
        elif (match := _TEXT_LINE.match(line.rstrip("\n"))) and match["logger"] == "bot.scheduler":
            after = itertools.takewhile(lambda x: not _TEXT_LINE.match(x), lines[index + 1 :])
            found.append((match["message"], "".join(itertools.islice(after, 40))))
    return found


def _results(replica: Replica, job: str) -> list[str]:
    """What each run of `job` in `replica` returned, as logged: `None` when the lease was taken,
    FAILED when it raised."""
    found = []
    for message, _traceback in _scheduler_log(replica):
        match = _RAN.match(message)
        if match and match["job"] == job:
            found.append(FAILED if match["result"] is None else match["result"])
    return found


def _tracebacks(replicas: list[Replica]) -> str:
    """The first failed job's traceback in each replica's log."""
    shown = []
    for replica in replicas:
        failed = [(m, tb) for m, tb in _scheduler_log(replica) if m.endswith(" failed")]
        if failed:
            shown.append(f"--- {replica.name}: {failed[0][0]}\n{failed[0][1]}")
    return "\n".join(shown)


def _fired(replica: Replica, job: str) -> bool:
    return bool(_results(replica, job))


def _sync_runs(replicas: list[Replica]) -> list[tuple[str, int, bool]]:
    """(replica, run id, resumed) of every sync a replica ran."""
    runs = []
    for replica in replicas:
        for result in _results(replica, "inventory-sync"):
            if match := _SYNCED.search(result):
                runs.append((replica.name, int(match["run"]), match["resumed"] == "True"))
    return runs


def _turned_away(replicas: list[Replica]) -> int:
    return sum(_results(r, "inventory-sync").count("None") for r in replicas)


def _wait_for_call(world: World, method: str, match: Any, *, what: str, since: int = 0) -> Call:
    """The first call to `method` (after the first `since` of them) that `match`es."""

    def found() -> Call | None:
        return next((c for c in world.slack.calls_to(method)[since:] if match(c)), None)

    return wait_until(found, what)


def _card(world: World, name: str) -> dict[str, Any]:
    call = _wait_for_call(
        world,
        "chat.postMessage",
        lambda c: c.args["channel"] == APPROVALS and name in json.dumps(c.args["blocks"]),
        what=f"the approval card of {name}",
    )
    return {"channel": APPROVALS, "ts": call.answer["ts"], "blocks": call.args["blocks"]}


def _dms(world: World, name: str) -> list[Call]:
    """The DMs to ALICE with a Reveal button for the token `name`."""
    return [
        c
        for c in world.slack.calls_to("chat.postMessage")
        if c.args["channel"] == ALICE
        and "request.reveal" in json.dumps(c.args.get("blocks"))
        and f"`{name}`" in c.args.get("text", "")  # names are shown as code
    ]


def _dm(world: World, name: str) -> dict[str, Any]:
    call = wait_until(lambda: next(iter(_dms(world, name)), None), f"the Reveal DM of {name}")
    return {"channel": ALICE, "ts": call.answer["ts"], "blocks": call.args["blocks"]}


def _reveal_dm(world: World, user: str, name: str) -> dict[str, Any] | None:
    for call in world.slack.calls_to("chat.postMessage"):
        blocks = json.dumps(call.args.get("blocks"))
        if call.args["channel"] == user and "request.reveal" in blocks and name in blocks:
            return {"channel": user, "ts": call.answer["ts"], "blocks": call.args["blocks"]}
    return None


def _tracked(deployment: Deployment, key: str) -> bool:
    with deployment.db.connect() as conn:
        found = conn.execute(
            sa.text("SELECT count(*) FROM tracked_tokens WHERE key = :key"), {"key": key}
        ).scalar_one()
    return bool(found)


def _works(world: World, secret: str) -> bool:
    answer = requests.get(
        f"{world.gitlab_url}/api/v4/projects", headers={"PRIVATE-TOKEN": secret}, timeout=5
    )
    return answer.status_code == 200


def _tokens_named(world: World, name: str) -> int:
    return len([t for t in world.sim.state.tokens.values() if t.name == name])


def _token_creates(deployment: Deployment) -> int:
    return deployment.replicas.sim.requests.count(method="POST", path="*/access_tokens")


def _settle() -> None:
    """Time for a replica that is still working on a click to show what it did."""
    time.sleep(1.0)
