"""Listeners that ack at once and hand the rest to the work queue (`bot/slack/work.py`).

    @app.action(ids.REQUEST_APPROVE)
    @after_ack(work)
    def handle_approve(body, client, context): ...  # runs on a work thread, after the ack

The listener Bolt runs (on its listener pool) only acks and queues; it never waits for
GitLab, so a full work queue or a slow GitLab can never delay an ack. The person hears
"busy" when the queue is full and "still working on it" when the work is slow. A job that
raises is logged with the interaction's reference and the person is told, as Bolt's error
handler does for listeners (`bot/slack/errors.py`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from bot.slack.blocks import notices
from bot.slack.errors import report_failure, tells_the_person
from bot.slack.work import Job, Notices, WorkQueue

log = logging.getLogger(__name__)
BUSY = (
    "tokenbot is busy with other requests right now and did not start that."
    " Nothing changed: please try again in a minute."
)
STILL_WORKING = (
    "Still working on it: GitLab is slow to answer just now. You will get the answer here"
    " when it is done; no need to click again."
)
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,30}$")

AfterAck = Callable[[Mapping[str, Any], WebClient, BoltContext], None]
Listener = Callable[..., None]


class PersonNotices:
    """Notes to the person of one interaction: beside what they used, else by DM."""

    def __init__(self, context: BoltContext) -> None:
        self._context = context

    def busy(self) -> None:
        self.say(notices.said(BUSY))

    def still_working(self) -> None:
        self.say(notices.said(STILL_WORKING))

    def say(self, text: str) -> None:
        """Send `text`, mrkdwn that is safe already. A note is a courtesy: when it cannot be
        sent (a forged `response_url`, Slack down) that is logged, never raised."""
        try:
            self._send(text)
        except Exception as exc:
            log.warning("could not send the person a note: %s", exc.__class__.__name__)

    def _send(self, text: str) -> None:
        context = self._context
        url = context.response_url
        if isinstance(url, str) and url and context.respond is not None:
            context.respond(text=text, response_type="ephemeral", replace_original=False)
            return
        user = context.user_id
        if isinstance(user, str) and _USER_ID.match(user):
            context.client.chat_postMessage(channel=user, text=text)


def after_ack(work: WorkQueue) -> Callable[[AfterAck], Listener]:
    """A block action, command or view listener: ack empty, then `fn` on the work queue."""

    def wrap(fn: AfterAck) -> Listener:
        def listener(
            ack: Ack, body: Mapping[str, Any], client: WebClient, context: BoltContext
        ) -> None:
            ack()
            queue(work, fn, body, client, context)

        listener.__name__ = listener.__qualname__ = fn.__name__  # Bolt logs listeners by name
        return listener

    return wrap


def queue(
    work: WorkQueue,
    fn: AfterAck,
    body: Mapping[str, Any],
    client: WebClient,
    context: BoltContext,
    *,
    notes: Notices | None = None,
) -> bool:
    """Queue `fn(body, client, context)`; False when the queue refused it (the person knows)."""
    person = PersonNotices(context)

    def run(_job: Job) -> None:
        try:
            fn(body, client, context)
        except Exception as exc:
            note = report_failure(exc, body)
            if tells_the_person(body):
                person.say(note)

    return work.submit(run, notes or person)
