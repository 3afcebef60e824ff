"""GitLab's webhooks (`POST /gitlab/webhook`) as a WSGI app: secret, size, parse, queue.

The checks come in an order that keeps untrusted bytes away from the parser:

1. `X-Gitlab-Token` against TOKENBOT_GITLAB_WEBHOOK_SECRET, in constant time: missing, wrong,
   or no secret configured at all gets 401 (GitLab sends the hook's `token` in that header,
   `doc/user/project/integrations/webhooks.md`, "Validate payloads by using a secret token");
2. the body's size, declared and read: over `MAX_WEBHOOK_BYTES` gets 413;
3. the event (`bot/domain/webhook_events.py`): anything unknown or malformed is answered 200
   and ignored, so GitLab does not count it as a failure and disable the hook.

Known events are handed to `on_event` (a queue), and answered at once: GitLab gives up on a
webhook after 10 s. No payload text is ever logged or shown in Slack.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable, Iterable
from http import HTTPStatus
from wsgiref.types import StartResponse, WSGIEnvironment

from bot.domain.webhook_events import WebhookEvent, parse_event
from bot.services.webhook_install import WEBHOOK_PATH

__all__ = ["MAX_WEBHOOK_BYTES", "WEBHOOK_PATH", "WebhookEndpoint", "secret_matches"]

log = logging.getLogger("bot.gitlab.webhook")
# GitLab's token and member events are a few kilobytes; 256 KiB leaves room for the largest
# project payloads while keeping what one request can make the bot buffer small.
MAX_WEBHOOK_BYTES = 256 * 1024
MAX_SECRET_CHARS = 1024


def secret_matches(given: str | None, expected: str | None) -> bool:
    """True when a secret is configured and `given` equals it, compared in constant time."""
    if not expected or given is None or len(given) > MAX_SECRET_CHARS:
        return False
    return hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode("utf-8"))


class WebhookEndpoint:
    """Answers GitLab's deliveries; hands each event tokenbot acts on to `on_event`."""

    def __init__(
        self,
        *,
        secret: str | None,
        on_event: Callable[[WebhookEvent], None],
        max_body: int = MAX_WEBHOOK_BYTES,
    ) -> None:
        self._secret = secret
        self._on_event = on_event
        self._max_body = max_body

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        status, answer = self._handle(environ)
        body = json.dumps(answer).encode()
        start_response(
            f"{status.value} {status.phrase}",
            [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
        )
        return [body]

    def _handle(self, environ: WSGIEnvironment) -> tuple[HTTPStatus, dict[str, str]]:
        if environ.get("REQUEST_METHOD", "GET") != "POST":
            return HTTPStatus.METHOD_NOT_ALLOWED, {"error": "POST only"}
        if not secret_matches(environ.get("HTTP_X_GITLAB_TOKEN"), self._secret):
            log.warning("webhook refused: missing or wrong X-Gitlab-Token")
            return HTTPStatus.UNAUTHORIZED, {"error": "unauthorized"}
        body = _read_bounded(environ, self._max_body)
        if body is None:
            log.warning("webhook refused: body over %d bytes", self._max_body)
            return HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"error": "too large"}
        event = parse_event(str(environ.get("HTTP_X_GITLAB_EVENT", "")), body)
        if not event.acts:
            log.info("webhook ignored (not an event tokenbot follows)")
            return HTTPStatus.OK, {"status": "ignored"}
        log.info(
            "webhook %s for %s (credential id %s)",
            event.event_name,
            ", ".join(event.paths),
            event.credential_id,
        )
        self._on_event(event)
        return HTTPStatus.OK, {"status": "queued"}


def _read_bounded(environ: WSGIEnvironment, limit: int) -> bytes | None:
    """The body, or None when it is (or claims to be) over `limit` bytes."""
    try:
        declared = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        return None
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    body: bytes = stream.read(declared) if declared > 0 else stream.read(limit + 1)
    return None if len(body) > limit else body
