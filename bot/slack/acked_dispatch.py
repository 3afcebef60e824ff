"""Hand Slack its answer the moment a listener acks, without polling for it.

Bolt's default runner (`process_before_response=False`) runs each listener on its listener
pool and then checks every 10 ms whether the listener has acked: each ack waits up to 10 ms
for nothing, and under load the sleeping request threads wake later still (the benchmark's
sequential round trip was 13 ms, 10 of them that sleep). Here the app runs with
`process_before_response=True` and `dispatch_until_acked` runs Bolt's whole dispatch on the
listener pool, with an `Ack` (KeptAck) that wakes the waiting request thread when it is
called: Slack gets the ack's answer at once, and what the listener does after `ack()` goes
on on the pool, as with Bolt's default runner. Event listeners ack first thing (Bolt would
ack them only when they return), so an event no listener takes is still answered 404.

The answer is the listener's first ack, exactly what it acked with: a failure after the ack
does not turn the answer into a 500 (Slack has it already; the error handler tells the person).
Without an ack, Bolt's own answer is returned when its dispatch ends (middleware answers,
the error handler's note, "unhandled request"); without either within Slack's 3 s, a 404 is
returned and logged, as Bolt does.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Executor, Future

from slack_bolt import App, BoltRequest, BoltResponse

from bot.observability.slack import kept_ack

log = logging.getLogger(__name__)
SLACK_WAITS_S = 3.0  # Slack's (and Bolt's `ack_timeout`) limit for an acknowledgement


def dispatch_until_acked(
    app: App, request: BoltRequest, *, pool: Executor, wait_s: float = SLACK_WAITS_S
) -> BoltResponse:
    """Dispatch `request` on `pool`; return as soon as it is acked (or answered otherwise)."""
    acked = threading.Event()
    ack = kept_ack(request.context)
    ack.when_acked(lambda _answer: acked.set())
    done: Future[BoltResponse] = pool.submit(_dispatch, app, request)
    done.add_done_callback(lambda _finished: acked.set())
    if not acked.wait(wait_s):
        log.warning("a listener didn't call ack() within %.0f s; answering 404", wait_s)
        return BoltResponse(status=404, body="")
    if ack.response is not None:
        return ack.response
    return done.result() if done.done() else BoltResponse(status=404, body="")


def _dispatch(app: App, request: BoltRequest) -> BoltResponse:
    try:
        return app.dispatch(request)
    except Exception:  # Bolt hands errors to the app's error handler; this is a bug there
        log.exception("Slack request failed outside Bolt's error handling")
        return BoltResponse(status=500, body="")
