"""A modal's submit that acks at once whatever GitLab's latency (issue 15).

What needs no I/O is answered in the ack as field errors, all together; otherwise the ack
shows "Checking with GitLab…" and the work runs on the work queue (`after_ack.queue`: "busy"
when it is full, "still working on it" when GitLab is slow), which ends by putting the form
back with its problems, or the outcome, into the same modal (`views.update`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain.request_policy import Problem
from bot.slack import text as t
from bot.slack.after_ack import AfterAck, queue
from bot.slack.flow import tell
from bot.slack.parse import view_of
from bot.slack.request_form import ERROR_LENGTH
from bot.slack.work import WorkQueue

log = logging.getLogger(__name__)


def ack_then_check(
    ack: Ack,
    body: Mapping[str, Any],
    client: WebClient,
    context: BoltContext,
    work: WorkQueue,
    *,
    problems: Mapping[str, str],
    checking: dict[str, Any],
    check: AfterAck,
) -> None:
    """Refuse in the ack when `problems` (field -> words) were found; else ack with the
    `checking` view and queue `check(body, client, context)`."""
    if problems:
        ack(response_action="errors", errors=field_errors(problems, view_of(body)))
        return
    ack(response_action="update", view=checking)
    queue(work, check, body, client, context)


def field_errors(problems: Mapping[str, str], view: Mapping[str, Any]) -> dict[str, str]:
    """Slack's `errors`: only on the view's input blocks (Slack refuses others; a problem
    about a field the form lacks goes under its first input), each at most 150 characters."""
    inputs = [
        b.get("block_id")
        for b in view.get("blocks", [])
        if isinstance(b, Mapping) and b.get("type") == "input" and b.get("block_id")
    ]
    errors: dict[str, str] = {}
    for name, words in problems.items():
        where = name if name in inputs or not inputs else str(inputs[0])
        errors[where] = "; ".join(filter(None, [errors.get(where), words]))
    return {name: t.clip(words, ERROR_LENGTH) for name, words in errors.items()}


def by_field(problems: list[Problem]) -> dict[str, str]:
    """Problems as field -> every message about it."""
    shown: dict[str, str] = {}
    for problem in problems:
        shown[problem.field] = "; ".join(filter(None, [shown.get(problem.field), problem.message]))
    return shown


def show(
    client: WebClient, body: Mapping[str, Any], view: dict[str, Any], *, otherwise: str
) -> bool:
    """Put `view` in the submitted modal; when the person closed it meanwhile (Slack says
    not_found), `otherwise` (plain words, if any) reaches them by direct message. False then."""
    view_id = str(view_of(body).get("id") or "")
    try:
        client.views_update(view_id=view_id, view=view)
    except SlackApiError as exc:
        log.info("the modal was not updated: %s", exc.response.get("error"))
        if otherwise:
            tell(client, body, otherwise)
        return False
    return True
