"""Benchmark: how long one reminder sweep takes to post 43 messages in 29 channels.

    python -m tests.benchmarks.reminder_pacing [--runs 3] [--slack-latency-ms 50]

The real sweep (`bot.services.reminders.sweep`, claims in a SQLite database) and the real
Slack poster (`SlackReminderPoster`, one message a second per channel) post to a Slack Web
API recorder over HTTP that answers each call after `--slack-latency-ms`. 14 channels get
two reminders and 15 get one (below the digest threshold, so each is its own message): a
poster that serialises channels waits out every channel's pace one after the other (issue 15:
16.2 s); one that paces each channel on its own needs about one pace for the whole sweep.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import fields
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from freezegun import freeze_time
from slack_sdk import WebClient

from bot.bootstrap import utc_now
from bot.db.engine import create_db_engine
from bot.db.migrate import upgrade
from bot.db.unit_of_work import SqlUnitOfWork
from bot.domain.credentials import TokenRecord
from bot.domain.tokens import AccessLevel, TokenType
from bot.services.inventory_sync import SyncDeps, sync_inventory
from bot.services.reminders import ReminderDeps, sweep
from bot.slack.reminders import SlackReminderPoster
from tests.fake_gitlab import FakeGitLab
from tests.support.slack_api import SlackRecorder

TWO_POSTS, ONE_POST = 14, 15  # channels: 14 x 2 + 15 x 1 = 43 messages in 29 channels
DAY = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def _world(gitlab: FakeGitLab) -> dict[str, str]:
    """29 projects, one channel each; their tokens expire in 7 days (one reminder each)."""
    gitlab.group("acme")
    channels = {}
    gid = 1
    for i in range(TWO_POSTS + ONE_POST):
        path = f"acme/p{i:02d}"
        gitlab.project(path)
        channels[path] = f"C0CH{i:02d}"
        for _ in range(2 if i < TWO_POSTS else 1):
            record = TokenRecord(
                TokenType.PROJECT_ACCESS_TOKEN,
                gid,
                f"token-{gid:03d}",
                gitlab.places[path],
                ("read_api",),
                AccessLevel.REPORTER,
                date(2026, 11, 8),
            )
            gitlab.list_token(path, record)
            gid += 1
    return channels


def one_run(slack_latency_ms: float) -> tuple[float, int, int]:
    """Seconds the sweep took, messages posted, channels they went to."""
    with tempfile.TemporaryDirectory() as tmp, SlackRecorder() as slack:
        engine = create_db_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        upgrade(engine)
        gitlab = FakeGitLab()
        channels = _world(gitlab)
        slack.latency_s = slack_latency_ms / 1000

        def uow() -> SqlUnitOfWork:
            return SqlUnitOfWork(engine)

        poster = SlackReminderPoster(WebClient(token="xoxb-bench", base_url=slack.url))
        deps = ReminderDeps(
            uow=uow,
            clock=utc_now,
            poster=poster,
            channel_of=lambda token: channels[token.namespace.path],
            digest_threshold=5,
        )
        with freeze_time(DAY, tick=True):
            sync_inventory(["acme"], deps=SyncDeps(uow=uow, gitlab=gitlab, clock=utc_now))
            started = time.monotonic()
            report = sweep(deps=deps)
            took = time.monotonic() - started
        posts = slack.calls_to("chat.postMessage")
        engine.dispose()
        return took, report.posted, len({c.args["channel"] for c in posts})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--slack-latency-ms", type=float, default=50.0)
    args = parser.parse_args()
    at_once = next(
        (f.default for f in fields(ReminderDeps) if f.name == "channels_at_once"), "none"
    )
    print(
        f"reminder sweep: {TWO_POSTS * 2 + ONE_POST} messages in {TWO_POSTS + ONE_POST} channels,"
        f" Slack answering in {args.slack_latency_ms:.0f} ms, 1 s pace per channel,"
        f" channels posted at once: {at_once}"
    )
    for run in range(1, args.runs + 1):
        took, posted, channels = one_run(args.slack_latency_ms)
        print(f"  run {run}: {posted} messages in {channels} channels in {took:.2f} s")
    print(f"(expiry day {DAY.date() + timedelta(days=7)}: one 7-day reminder per token)")


if __name__ == "__main__":
    main()
