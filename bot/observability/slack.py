"""Slack: a request id and one log line per interaction; Slack Web API errors counted.

`instrument_app(app)` adds both to a Bolt app:

- a global middleware that gives each incoming request an id (Slack's `event_id` for events,
  else its `X-Slack-Request-Timestamp`, plus 8 random hex digits: a retried event keeps its
  event id and still gets a new request id), makes it current for everything that handles the
  request, and logs one line when the request is acked: kind, what was used (`action_id`,
  `callback_id`, command or event type), user, team and the ack latency. Never what people
  typed: command text, form values and messages may hold anything, a token included.
- a retry handler, last in the Web API client's list, that never retries and counts the calls
  that end in an error (`tokenbot_slack_api_errors_total`). Bolt gives each request a client
  with a copy of the app client's retry handlers, so listeners' calls are counted too.

The request id reaches listener threads through `ContextExecutor` (Bolt's listener executor).
Bolt runs listeners after the global middleware has returned, so the id cannot be unset by
the middleware; the server runs each request in a context of its own (see `server.py`).
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.context.ack import Ack
from slack_bolt.middleware import Middleware
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from bot.observability.context import set_request_id
from bot.observability.metrics import Metrics, process_metrics

log = logging.getLogger("bot.slack.interactions")
_SAFE = re.compile(r"[^A-Za-z0-9_.:/\-]")


def new_request_id(body: Mapping[str, Any], headers: Mapping[str, Any]) -> str:
    """Slack's own id for the request where it has one, made unique by a random suffix."""
    event_id = body.get("event_id")
    if isinstance(event_id, str) and event_id:
        base = event_id
    else:
        stamp = _first(headers.get("x-slack-request-timestamp"))
        base = stamp or str(int(time.time()))
    return f"{_safe(base, 32)}-{secrets.token_hex(4)}"


def describe_interaction(body: Mapping[str, Any]) -> dict[str, str]:
    """What kind of interaction a request is and which handler id it names; nothing typed."""
    if isinstance(body.get("command"), str):
        return {"kind": "command", "command": _safe(body["command"])}
    kind = body.get("type")
    view, event = _dict(body.get("view")), _dict(body.get("event"))
    actions = body.get("actions")
    first_action = _dict(actions[0] if isinstance(actions, list) and actions else None)
    shapes: dict[object, tuple[str, str, object]] = {
        "block_actions": ("action", "action_id", first_action.get("action_id")),
        "view_submission": ("view", "callback_id", view.get("callback_id")),
        "view_closed": ("view", "callback_id", view.get("callback_id")),
        "shortcut": ("shortcut", "callback_id", body.get("callback_id")),
        "message_action": ("shortcut", "callback_id", body.get("callback_id")),
        "block_suggestion": ("options", "action_id", body.get("action_id")),
        "event_callback": ("event", "event", event.get("type")),
    }
    if kind not in shapes:
        return {"kind": _safe(kind)}
    name, key, value = shapes[kind]
    fields = {"kind": name, key: _safe(value)}
    if kind in {"view_submission", "view_closed"}:
        fields["view"] = str(kind).removeprefix("view_")
    if kind == "event_callback" and event.get("subtype"):
        fields["event"] += "/" + _safe(event["subtype"])
    return fields


def _dict(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _safe(value: object, limit: int = 100) -> str:
    return _SAFE.sub("_", str(value))[:limit] if value else "unknown"


def _first(value: object) -> str | None:
    if isinstance(value, list | tuple):
        return str(value[0]) if value else None
    return str(value) if value else None


class KeptAck(Ack):
    """Bolt's ack() whose first answer stays, and which tells whoever waits for it.

    Its answer, once given, stays: when a listener acks and then raises, Bolt's thread runner
    sets the ack's response back to None (or to a 500) after the error handler ran, and a
    request thread that had not looked yet would answer that instead of what was acked.
    Callbacks given to `when_acked` run once, on the thread that acks.
    """

    def __init__(self) -> None:
        self._answer: BoltResponse | None = None
        super().__init__()  # type: ignore[no-untyped-call]
        self._waiting: list[Callable[[BoltResponse], None]] = []

    @property
    def response(self) -> BoltResponse | None:
        return self._answer

    @response.setter
    def response(self, value: BoltResponse | None) -> None:
        if self._answer is None:  # the first answer stays; Slack has it already
            self._answer = value

    def when_acked(self, callback: Callable[[BoltResponse], None]) -> None:
        if self._answer is not None:
            callback(self._answer)
        else:
            self._waiting.append(callback)

    def __call__(self, *args: Any, **kwargs: Any) -> BoltResponse:
        response = super().__call__(*args, **kwargs)
        waiting, self._waiting = self._waiting, []
        for callback in waiting:
            callback(response)
        return response


def kept_ack(context: dict[str, Any]) -> KeptAck:
    """The request's KeptAck, put in its context (where BoltContext.ack reads it) if absent."""
    ack = context.get("ack")
    if not isinstance(ack, KeptAck):
        ack = KeptAck()
        context["ack"] = ack
    return ack


class RequestContextMiddleware(Middleware):
    """Sets the request id and logs one line per interaction when it is acked."""

    def process(
        self,
        *,
        req: BoltRequest,
        resp: BoltResponse,
        next: Callable[[], BoltResponse],  # Bolt passes it by this name
    ) -> BoltResponse | None:
        started = time.perf_counter()
        body: Mapping[str, Any] = req.body if isinstance(req.body, Mapping) else {}
        set_request_id(new_request_id(body, req.headers))
        fields: dict[str, Any] = describe_interaction(body)
        fields["user"] = _safe(req.context.user_id)
        fields["team"] = _safe(req.context.team_id)
        retry = _first(req.headers.get("x-slack-retry-num"))
        if retry is not None:
            fields["retry"] = _safe(retry, 8)

        def on_ack(response: BoltResponse) -> None:
            ack_ms = round((time.perf_counter() - started) * 1000, 1)
            what = _handler_id(fields)
            log.info(
                "slack %s %s from %s acked in %s ms",
                fields["kind"],
                what,
                fields["user"],
                ack_ms,
                extra={**fields, "ack_ms": ack_ms, "status": response.status},
            )

        kept_ack(req.context).when_acked(on_ack)
        return next()


def _handler_id(fields: Mapping[str, str]) -> str:
    """The handler id of an interaction's fields, for the human-readable message."""
    for key in ("command", "action_id", "callback_id", "event"):
        if key in fields:
            return fields[key]
    return "-"


class SlackErrorCounter(RetryHandler):
    """A retry handler that never retries: it counts Slack Web API calls that end in an error.

    Placed last among the client's handlers, it is asked only when no handler before it
    retries, so it sees each call's final answer once: Slack's `ok: false` with its error
    code, an HTTP error status, or the exception when no answer came.
    """

    def __init__(self, metrics: Metrics) -> None:
        super().__init__(max_retry_count=0)
        self._metrics = metrics

    def can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        method = urlsplit(request.url).path.rsplit("/", 1)[-1] or "unknown"
        if response is None:
            if error is not None:
                self._metrics.slack_error(method, error.__class__.__name__)
            return False
        body = response.body if response.body is not None else _json(response.data)
        if response.status_code >= 400 or body.get("ok") is False:
            code = body.get("error")
            self._metrics.slack_error(
                method, code if isinstance(code, str) else f"http_{response.status_code}"
            )
        return False

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return False


def _json(data: bytes | None) -> dict[str, Any]:
    try:
        parsed = json.loads(data or b"")
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def instrument_app(app: App, metrics: Metrics | None = None) -> None:
    """Request ids, the interaction log line and Slack API error counts for `app` (once)."""
    handlers = app.client.retry_handlers
    if any(isinstance(h, SlackErrorCounter) for h in handlers):
        return
    app.use(RequestContextMiddleware())
    handlers.append(SlackErrorCounter(metrics or process_metrics()))
