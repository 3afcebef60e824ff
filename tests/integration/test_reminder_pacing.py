"""Reminder posts are paced per channel without one channel holding up another (issue 15).

Before, the Slack poster slept out one channel's pace while holding a lock every post
needed, and the sweep posted channel after channel: 43 messages in 29 channels took 16 s.
The ordering here is observed with events, not measured on the clock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from typing import Any

from slack_sdk import WebClient

from bot.domain.credentials import Namespace, NamespaceKind
from bot.domain.reminders import Reminder, TrackedToken
from bot.domain.tokens import AccessLevel, TokenType
from bot.slack.reminders import SlackReminderPoster
from tests.support.slack_api import SlackRecorder

WAIT = 10.0


def _reminder(channel: str, name: str) -> Reminder:
    token = TrackedToken(
        key=f"k-{name}",
        token_type=TokenType.PROJECT_ACCESS_TOKEN,
        gitlab_id=1,
        name=name,
        namespace=Namespace(NamespaceKind.PROJECT, 1, "acme/api"),
        scopes=("read_api",),
        access_level=AccessLevel.REPORTER,
        expires_on=date(2026, 12, 1),
    )
    return Reminder(token=token, level=7, days_left=7, channel=channel)


class HeldSleep:
    """A `sleep` that waits for the test to let it go, and says when it began."""

    def __init__(self) -> None:
        self.asked: list[float] = []
        self.sleeping = threading.Event()
        self.release = threading.Event()

    def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)
        self.sleeping.set()
        assert self.release.wait(3 * WAIT)  # longer than the test waits for channel B


def _posted(slack: SlackRecorder) -> list[tuple[str, str]]:
    return [
        (str(c.args["channel"]), str(c.args["text"])) for c in slack.calls_to("chat.postMessage")
    ]


def _in_thread(run: Callable[[], Any]) -> threading.Thread:
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_a_channel_waiting_out_its_pace_does_not_hold_up_another_channel() -> None:
    held = HeldSleep()
    with SlackRecorder() as slack:
        client = WebClient(token="xoxb-test", base_url=slack.url)
        poster = SlackReminderPoster(client, interval=1.0, sleep=held, monotonic=lambda: 100.0)
        poster.post(_reminder("C0AAA", "first-in-a"))

        second_in_a = _in_thread(lambda: poster.post(_reminder("C0AAA", "second-in-a")))
        assert held.sleeping.wait(WAIT)  # channel A waits out its one second...
        other = _in_thread(lambda: poster.post(_reminder("C0BBB", "first-in-b")))
        other.join(WAIT)
        assert not other.is_alive()  # ...while channel B posts
        assert [channel for channel, _ in _posted(slack)] == ["C0AAA", "C0BBB"]

        held.release.set()
        second_in_a.join(WAIT)
        assert [channel for channel, _ in _posted(slack)] == ["C0AAA", "C0BBB", "C0AAA"]
        assert held.asked == [1.0]  # only the second post to A waited, for A's whole pace
