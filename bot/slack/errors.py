"""One answer for every listener that fails: an immediate ack that carries a reference id.

`install_error_handler(app)` makes `handle_error` Bolt's error handler. Bolt calls it for an
exception in a listener, before or after its `ack()`, and in matching or global middleware.
Without it, a listener that raised before acking left Bolt waiting out Slack's 3 seconds and
answering 404, and the person saw "did not respond".

The person gets a short note with a reference: the interaction's request id, which is on every
log line of the interaction and on the traceback logged here. Where the note goes:

- a command not yet acked: the ack's text (only they see it);
- a modal's submission not yet acked: an error on its first input (the form stays filled in);
- a click, or anything acked already: ephemeral through the payload's `response_url`, else a
  direct message. That note is sent from the listener pool, after the ack.

Events are acked by Bolt before their listener runs; a failed one is logged, nobody is told.
A `MalformedPayload` (a payload the readers in `parse.py` cannot read) is logged as one
warning line without a traceback: it is the payload's fault, not tokenbot's.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from concurrent.futures import Executor
from typing import Any

from slack_bolt import App, BoltContext, BoltRequest, BoltResponse

from bot.observability.context import current_request_id, set_request_id
from bot.observability.slack import describe_interaction, new_request_id
from bot.slack.parse import MalformedPayload

log = logging.getLogger("bot.slack.errors")
FAILED = "Sorry, that didn't work: something went wrong on my side. Reference: `{ref}`"
UNREADABLE = "Sorry, I could not read what Slack sent for that. Reference: `{ref}`"
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,30}$")


def install_error_handler(app: App) -> None:
    """Make `handle_error` the app's error handler; its notes go out on the listener pool."""
    notices = app.listener_runner.listener_executor

    def handle_error(
        error: Exception, request: BoltRequest, response: BoltResponse | None
    ) -> BoltResponse | None:
        return handle_failure(error, request, response, notices=notices)

    app.error(handle_error)


def handle_failure(
    error: Exception,
    request: BoltRequest,
    response: BoltResponse | None,
    *,
    notices: Executor,
) -> BoltResponse | None:
    """Log `error` with a reference id; ack at once if nobody has; tell the person."""
    reference = current_request_id()
    if reference is None:  # failed before the request-id middleware ran
        reference = new_request_id(request.body, request.headers)
        set_request_id(reference)
    body: Mapping[str, Any] = request.body if isinstance(request.body, Mapping) else {}
    _log(error, reference, body)
    note = (UNREADABLE if isinstance(error, MalformedPayload) else FAILED).format(ref=reference)
    answer, told = None, False
    # Bolt passes no response once the listener has acked: then Slack has its answer. Else the
    # answer is returned, not given through ack(): Bolt's runner hands Slack the response it
    # passed here as soon as the ack is set, so an ack() from here could let a 500 through.
    if response is not None and request.context.ack.response is None:
        answer, told = _answer(body, note)
    if not told and tells_the_person(body):
        notices.submit(_tell, request.context, note)
    return answer


def report_failure(error: Exception, body: Mapping[str, Any]) -> str:
    """Log a failure of work done after the ack (`bot/slack/after_ack.py`); the person's note."""
    reference = current_request_id() or new_request_id(body, {})
    _log(error, reference, body)
    return (UNREADABLE if isinstance(error, MalformedPayload) else FAILED).format(ref=reference)


def _answer(body: Mapping[str, Any], note: str) -> tuple[BoltResponse, bool]:
    """What to answer Slack now; True when that answer itself shows the person the note."""
    if isinstance(body.get("command"), str):
        return BoltResponse(status=200, body=note), True  # the ack's text, only they see it
    if body.get("type") == "view_submission":
        block = _first_input(body.get("view"))
        if block is not None:
            errors = {"response_action": "errors", "errors": {block: note}}
            return BoltResponse(status=200, body=errors), True
    return BoltResponse(status=200, body=""), False


def tells_the_person(body: Mapping[str, Any]) -> bool:
    """Interactions have someone waiting for an answer; events and closed modals do not."""
    return isinstance(body.get("command"), str) or body.get("type") in {
        "block_actions",
        "view_submission",
        "shortcut",
        "message_action",
    }


def _tell(context: BoltContext, note: str) -> None:
    """The note only the person sees: beside what they clicked, else in a direct message."""
    try:
        url = context.response_url
        respond = context.respond if isinstance(url, str) and url else None
        if respond is not None:
            respond(text=note, response_type="ephemeral", replace_original=False)
            return
        user = context.user_id
        if isinstance(user, str) and _USER_ID.match(user):
            context.client.chat_postMessage(channel=user, text=note)
    except Exception as exc:  # the note is a courtesy; the failure is logged already
        log.warning("could not tell the person about the failure: %s", exc.__class__.__name__)


def _first_input(view: object) -> str | None:
    """The block id of the modal's first input, where Slack can show an error."""
    blocks = view.get("blocks") if isinstance(view, Mapping) else None
    for block in blocks if isinstance(blocks, list) else ():
        if isinstance(block, Mapping) and block.get("type") == "input":
            block_id = block.get("block_id")
            if isinstance(block_id, str) and block_id:
                return block_id
    return None


def _log(error: Exception, reference: str, body: Mapping[str, Any]) -> None:
    fields = {**describe_interaction(body), "reference": reference}
    if isinstance(error, MalformedPayload):
        log.warning("slack payload not readable (%s); reference %s", error, reference, extra=fields)
        return
    log.error(
        "slack listener failed: %s; reference %s",
        error.__class__.__name__,
        reference,
        exc_info=error,
        extra=fields,
    )
