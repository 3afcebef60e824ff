"""Posting reminders to Slack: one message a second per channel, 429s waited out.

Each channel has a lock of its own, held while its pace is waited out and its message
posted: posts to one channel stay in order and a second apart, and posts to other channels
go on meanwhile (the sweep posts several channels at once). Slack documents no workspace-wide
rate for chat.postMessage beyond its per-channel one; a 429 is waited out by the client's
RateLimitErrorRetryHandler (Retry-After).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain.reminders import Reminder
from bot.services.reminders import PostError
from bot.slack.blocks.reminders import digest_message, reminder_message

# Slack allows about one message a second per channel (bursts are tolerated, not promised).
CHANNEL_INTERVAL_SECONDS = 1.0


class SlackReminderPoster:
    """`ReminderPoster` on the Web API; the client's own handler honours Retry-After."""

    def __init__(
        self,
        client: WebClient,
        *,
        interval: float = CHANNEL_INTERVAL_SECONDS,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        renewals: bool = False,
    ) -> None:
        self._client = client
        self._renewals = renewals  # offer Rotate and Renew: token requests are on
        self._interval = interval
        self._sleep = sleep
        self._monotonic = monotonic
        self._last: dict[str, float] = {}
        self._channel_locks: dict[str, threading.Lock] = {}
        self._locks_lock = threading.Lock()  # guards the two dicts, never held over a post

    def post(self, reminder: Reminder) -> str:
        blocks, text = reminder_message(reminder, renewals=self._renewals)
        return self._send(reminder.channel, blocks, text)

    def post_digest(self, channel: str, reminders: Sequence[Reminder]) -> str:
        blocks, text = digest_message(reminders)
        return self._send(channel, blocks, text)

    def _send(self, channel: str, blocks: list[dict[str, object]], text: str) -> str:
        with self._locks_lock:
            lock = self._channel_locks.setdefault(channel, threading.Lock())
        with lock:
            with self._locks_lock:
                last = self._last.get(channel, -1e9)
            wait = last + self._interval - self._monotonic()
            if wait > 0:
                self._sleep(wait)
            try:
                answer = self._client.chat_postMessage(
                    channel=channel, blocks=blocks, text=text, unfurl_links=False
                )
            except SlackApiError as exc:
                error = exc.response.get("error", "error") if exc.response is not None else "error"
                raise PostError(f"Slack refused the post ({error})") from None
            except OSError as exc:
                raise PostError(f"Slack could not be reached ({exc.__class__.__name__})") from None
            finally:
                with self._locks_lock:
                    self._last[channel] = self._monotonic()
            return str(answer["ts"])
