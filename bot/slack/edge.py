"""Slack's endpoint (`POST /slack/events`) as a WSGI app: size, signature, shape, then Bolt.

Bolt's own WSGI handler decodes and parses the body while it builds the request, before its
middleware checks the signature, so a body that is not UTF-8 or not a Slack payload raised
there and got a 500 with a traceback, signed or not. This edge does the checks in the order
that keeps untrusted bytes from reaching a parser:

1. the body's declared size, before reading it: over `MAX_BODY_BYTES` gets 413;
2. the signature, on the raw bytes: unsigned, wrongly signed or stale gets 401 (only Slack's
   `ssl_check`, which carries nothing, is answered unsigned, as Bolt answers it);
3. UTF-8 and the envelope's shape (`envelope.py`): a signed body Bolt could not read gets 400;
4. Bolt dispatches it (its own signature check runs again, on the same bytes).

No refusal logs a traceback; each logs one line with the reason and a request id.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from http import HTTPStatus
from urllib.parse import parse_qs
from wsgiref.types import StartResponse, WSGIEnvironment

from slack_bolt import App, BoltRequest, BoltResponse

from bot.observability.context import current_request_id, set_request_id
from bot.observability.slack import new_request_id
from bot.slack.acked_dispatch import dispatch_until_acked
from bot.slack.envelope import bolt_request, clean_headers
from bot.slack.parse import MalformedPayload
from bot.slack.signing import check_signature

log = logging.getLogger("bot.slack.edge")
# Slack's largest payloads, a modal's submission with its whole view and state, are tens of
# kilobytes (100 blocks, 3,000 characters an input, form-encoded); 1 MiB leaves a wide margin.
MAX_BODY_BYTES = 1 << 20


class SlackEndpoint:
    """The WSGI app for Slack's requests to one Bolt app."""

    def __init__(
        self,
        app: App,
        *,
        signing_secret: str,
        max_body: int = MAX_BODY_BYTES,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._app = app
        self._secret = signing_secret
        self._max_body = max_body
        self._clock = clock

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        status, body, headers = self._handle(environ)
        start_response(_status_line(status), [*headers, ("Content-Length", str(len(body)))])
        return [body]

    def _handle(self, environ: WSGIEnvironment) -> tuple[int, bytes, list[tuple[str, str]]]:
        if environ.get("REQUEST_METHOD") != "POST":
            return 405, b"POST only\n", [*_TEXT, ("Allow", "POST")]
        headers = clean_headers(_headers(environ))
        try:
            raw = self._signed_body(environ, headers)
            if raw is None:  # Slack's ssl_check
                return 200, b"", list(_TEXT)
            request = _request(raw, environ, headers)
        except _Refused as refused:
            return _refuse(refused.status, refused.reason, headers)
        return _from_bolt(self._dispatch(request))

    def _signed_body(self, environ: WSGIEnvironment, headers: dict[str, str]) -> bytes | None:
        """The body, read only when its size is fine and kept only when Slack signed it."""
        length = _content_length(environ)
        if length is None:
            raise _Refused(400, "bad Content-Length")
        if length > self._max_body:
            raise _Refused(413, f"body of {length} bytes over {self._max_body}")
        raw: bytes = environ["wsgi.input"].read(length) if length else b""
        verdict = check_signature(
            self._secret,
            raw,
            timestamp=headers.get("x-slack-request-timestamp"),
            signature=headers.get("x-slack-signature"),
            now=self._clock(),
        )
        if verdict.valid:
            return raw
        if _is_ssl_check(raw):
            return None
        raise _Refused(401, verdict.reason)

    def _dispatch(self, request: BoltRequest) -> BoltResponse:
        pool = self._app.listener_runner.listener_executor
        return dispatch_until_acked(self._app, request, pool=pool)


_TEXT = [("Content-Type", "text/plain; charset=utf-8")]


class _Refused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


def _request(raw: bytes, environ: WSGIEnvironment, headers: dict[str, str]) -> BoltRequest:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _Refused(400, "the body is not UTF-8") from None
    try:
        return bolt_request(text, query=environ.get("QUERY_STRING", ""), headers=headers)
    except MalformedPayload as exc:
        raise _Refused(400, str(exc)) from None


def _refuse(
    status: int, reason: str, headers: dict[str, str]
) -> tuple[int, bytes, list[tuple[str, str]]]:
    """Log one line (no body, no traceback) and answer `status` with its reason phrase."""
    if current_request_id() is None:
        set_request_id(new_request_id({}, headers))
    level = logging.WARNING if status == 400 else logging.INFO
    log.log(level, "slack request refused with %s: %s", status, reason, extra={"status": status})
    phrase = HTTPStatus(status).phrase
    return status, f"{phrase}\n".encode(), list(_TEXT)


def _from_bolt(response: BoltResponse) -> tuple[int, bytes, list[tuple[str, str]]]:
    # "replace": a listener may echo text holding a lone surrogate (JSON allows "\ud800").
    body = response.body.encode("utf-8", "replace")
    headers = [
        (name, value)
        for name, values in response.headers.items()
        if name != "content-length"
        for value in values
    ]
    return response.status, body, headers


def _status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Unknown"


def _headers(environ: WSGIEnvironment) -> dict[str, str]:
    """The request's headers, names lower-cased, as Bolt names them."""
    found = {}
    for key, value in environ.items():
        if key in {"CONTENT_LENGTH", "CONTENT_TYPE"}:
            found[key.lower().replace("_", "-")] = str(value)
        elif key.startswith("HTTP_"):
            found[key[5:].lower().replace("_", "-")] = str(value)
    return found


def _is_ssl_check(raw: bytes) -> bool:
    """Slack's check of the certificate behind a command's URL (`ssl_check=1`), which carries
    no interaction; Bolt answers it before its signature check, and so does the edge."""
    if len(raw) > 200 or not raw.isascii():
        return False
    fields = parse_qs(raw.decode("ascii"))
    return fields.get("ssl_check") == ["1"] and not {"payload", "command"} & fields.keys()


def _content_length(environ: WSGIEnvironment) -> int | None:
    raw = str(environ.get("CONTENT_LENGTH") or "0").strip()
    if not raw.isascii() or not raw.isdigit():
        return None
    return int(raw)
