"""Acks never wait for GitLab work (issue 15), through `tokenbot run` and signed requests.

The bot runs with two ack threads, two work threads and room for two waiting jobs; the
simulator answers every GitLab request after seconds. Before the work queue, the work after
an ack ran on the ack pool, so a third interaction waited for a free ack thread past Slack's
3 s: the first test fails if the work goes back there.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.slack.after_ack import BUSY, STILL_WORKING
from tests.support.request_world import ALICE, OLGA, World, card_in, request_token, start_world

SMALL_POOLS = {
    "TOKENBOT_SLACK_ACK_THREADS": "2",
    "TOKENBOT_SLACK_WORK_THREADS": "2",
    "TOKENBOT_SLACK_WORK_QUEUE": "2",
    "TOKENBOT_SLACK_STILL_WORKING_SECONDS": "1",
    "TOKENBOT_LOG_LEVEL": "INFO",
}
SLACK_GIVES_UP_S = 3.0


@pytest.fixture
def small(tmp_path: Path) -> Iterator[World]:
    with start_world(tmp_path, extra_env=SMALL_POOLS) as started:
        yield started


def _until(check: Callable[[], bool], timeout: float = 60.0) -> bool:
    stop = threading.Event()
    for _ in range(int(timeout / 0.05)):
        if check():
            return True
        stop.wait(0.05)
    return check()


def _settled(count: Callable[[], int], quiet: float = 1.0) -> int:
    """`count()` once it has not changed for `quiet` seconds."""
    last, since = count(), time.monotonic()
    while time.monotonic() - since < quiet:
        time.sleep(0.05)
        now = count()
        if now != last:
            last, since = now, time.monotonic()
    return last


def _timed(send: Callable[[], int]) -> tuple[int, float]:
    started = time.monotonic()
    status = send()
    return status, time.monotonic() - started


def _replies(world: World, words: str) -> list[str]:
    """What the bot sent to response_urls that contains `words`."""
    texts = [json.dumps(c.args) for c in world.slack.calls_to("response_url")]
    return [t for t in texts if words in t]


def test_every_command_is_acked_while_all_work_threads_wait_on_gitlab(small: World) -> None:
    small.sim.faults.latency(4000)  # every GitLab answer takes 4 s: each job holds its thread
    answers = [_timed(lambda: small.driver.command(ALICE, "pending").status_code) for _ in range(8)]

    assert [status for status, _ in answers] == [200] * 8
    # Slack gives up after 3 s. With the work on the ack pool the third command waited 4 s
    # for a thread GitLab held (Bolt still answered 200, too late for Slack).
    assert max(seconds for _, seconds in answers) < SLACK_GIVES_UP_S
    busy_words = BUSY.split(":")[0]
    assert _until(lambda: len(_replies(small, busy_words)) >= 1)
    busy = _settled(lambda: len(_replies(small, busy_words)))  # sent after the acks
    assert busy <= 8 - 4  # two running and two waiting were taken
    assert _until(lambda: len(_replies(small, STILL_WORKING[:20])) >= 2)
    small.sim.faults.clear()
    # every command taken gets its answer once GitLab answers: nothing was lost in the queue
    assert _until(lambda: len(_replies(small, "waiting for you")) == 8 - busy, timeout=90)


def test_the_home_tab_says_it_is_still_asking_and_ends_with_the_finished_view(
    small: World,
) -> None:
    small.sim.faults.latency(1500)
    ts = "1700000000.000100"
    event = {"type": "app_home_opened", "user": OLGA, "channel": "D0OLGA", "tab": "home"}
    assert small.driver.event({**event, "ts": ts, "event_ts": ts}).status_code == 200

    def views() -> list[str]:
        return [json.dumps(c.args["view"]) for c in small.slack.calls_to("views.publish")]

    assert _until(lambda: any("Still asking GitLab" in v for v in views()))
    assert _until(lambda: len(views()) >= 2 and "Still asking GitLab" not in views()[-1])
    small.sim.faults.clear()
    assert "Still asking GitLab" not in views()[-1]  # the finished view is the last one


def test_one_submit_and_one_approval_never_ask_gitlab_twice_for_the_same_thing(
    small: World,
) -> None:
    """Within one interaction a read is repeated only after a change (a POST) in between."""
    before = len(small.sim.requests.entries())
    assert request_token(small).sent
    card = card_in(small)
    submit_reads = small.sim.requests.entries()[before:]
    before = len(small.sim.requests.entries())
    assert small.driver.click(OLGA, card, "request.approve").status_code == 200
    assert _until(lambda: any(t.name == "release-notes" for t in small.sim.state.tokens.values()))
    assert _until(lambda: len(small.slack.calls_to("chat.update")) >= 2)
    approve_reads = small.sim.requests.entries()[before:]

    for entries in (submit_reads, approve_reads):
        seen: set[str] = set()
        repeated = []
        for entry in entries:
            if entry.method != "GET":
                seen.clear()  # after a change a read may rightly be made again
                continue
            if entry.path == "/api/v4/users":
                # a search by username: announcing asks one per approver it names, and the
                # log keeps no query string (it may hold a token), so these look alike
                continue
            if entry.path in seen:
                repeated.append(entry.path)
            seen.add(entry.path)
        assert repeated == [], [(e.method, e.path) for e in entries]
    assert any(e.method == "POST" for e in approve_reads)  # the approval did reach GitLab
