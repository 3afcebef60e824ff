"""The simulator as a WSGI application: faults, routing, authentication, JSON rendering."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

from bot.sandbox.auth import authenticate
from bot.sandbox.endpoints import build_router
from bot.sandbox.faults import FaultInjector, FaultKind, failure_response
from bot.sandbox.graphql import GRAPHQL_PATH, respond_graphql
from bot.sandbox.job_token_graphql import RESOLVERS as GRAPHQL_RESOLVERS
from bot.sandbox.messages import ApiError, ApiRequest, ApiResponse, route_not_found
from bot.sandbox.pagination import check_declared_page_params
from bot.sandbox.params import decode_body, decode_form
from bot.sandbox.request_log import RequestLog
from bot.sandbox.routing import Context
from bot.sandbox.state import Clock, SandboxState, utc_now
from bot.sandbox.throttle import Throttle, caller_key, throttled
from bot.sandbox.web_routes import is_web_path, respond_web

StartResponse = Callable[[str, list[tuple[str, str]]], Callable[[bytes], object]]
# Set in the WSGI environ when a fault asks the server to close the socket without answering.
DROP_CONNECTION_KEY = "tokenbot.sandbox.drop_connection"
# Set by `SandboxServer`: the request path before WSGI's percent-decoding of PATH_INFO.
RAW_PATH_KEY = "tokenbot.sandbox.raw_path"
API_PREFIX = "/api/v4"
_log = logging.getLogger(__name__)


class GitlabSimulator:
    """State, fault rules and request log behind one WSGI callable."""

    def __init__(self, *, clock: Clock = utc_now, base_url: str | None = None) -> None:
        self.state = SandboxState(clock=clock)
        self.faults = FaultInjector()
        self.requests = RequestLog()
        self.throttle = Throttle()  # off until `throttle.configure(limit=...)`
        # The server sets this so `Link` headers and web URLs point back at it.
        self.base_url = base_url
        self._router = build_router()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = str(environ.get("REQUEST_METHOD", "GET")).upper()
        path = str(environ.get(RAW_PATH_KEY) or quote(environ.get("PATH_INFO", "/")))
        started = self.requests.begin()
        status = 0
        try:
            body = _read_body(environ)
            plan = self.faults.plan(method, path)
            if plan.delay_s > 0:
                time.sleep(plan.delay_s)  # before the work: nothing is done yet
            failure = plan.failure
            if failure is None or failure.after:
                # The work, committed under the state lock, which `_respond` has released.
                response = self._throttled(environ, method, path, body)
            else:
                response = failure_response(failure)  # failing first: nothing is done
            if plan.late_delay_s > 0:
                # Done, but the answer is late; the sleep holds no lock. A client that times
                # out meanwhile closes its socket: the server's late write to it fails, and
                # wsgiref drops BrokenPipe/ConnectionReset on the floor without a traceback.
                time.sleep(plan.late_delay_s)
            if failure is not None and failure.kind is FaultKind.DROP:
                environ[DROP_CONNECTION_KEY] = True
                return []
            if failure is not None and failure.after:
                response = failure_response(failure)  # done, but the answer is lost
            status = response.status
            return _send(response, start_response, include_body=method != "HEAD")
        finally:
            self.requests.finish(method, path, status, started)

    def _throttled(
        self, environ: dict[str, Any], method: str, path: str, body: bytes
    ) -> ApiResponse:
        """The answer, counted by the API throttle (with its `RateLimit-*` headers)."""
        if not path.startswith(f"{API_PREFIX}/"):
            return self._respond(environ, method, path, body)
        allowed, headers = self.throttle.count(caller_key(environ))
        if allowed:
            response = self._respond(environ, method, path, body)
        else:
            status, text = throttled()
            response = ApiResponse(status, headers={"Content-Type": "text/plain"}, text=text)
        response.headers.update(headers)
        return response

    def _respond(self, environ: dict[str, Any], method: str, path: str, body: bytes) -> ApiResponse:
        try:
            if is_web_path(path):
                return respond_web(self.state, self._request(environ, method, path, body))
            if path == GRAPHQL_PATH and method == "POST":
                request = self._request(environ, method, path, body)
                return respond_graphql(self.state, request, GRAPHQL_RESOLVERS)
            if not path.startswith(f"{API_PREFIX}/"):
                raise route_not_found()
            request = self._request(environ, method, path[len(API_PREFIX) :], body)
            route, args = self._router.resolve(method, request.path)
            caller = authenticate(self.state, request, route.extra_scopes)
            if route.paginated:
                check_declared_page_params(request)
            with self.state.lock:
                return route.handler(Context(request, caller, self.state, args))
        except ApiError as error:
            return ApiResponse(error.status, error.body)
        except Exception:
            # A simulator bug: answer like Rails does instead of wsgiref's plain-text page.
            _log.exception("sandbox handler failed for %s %s", method, path)
            return ApiResponse(500, {"message": "500 Internal Server Error"})

    def _request(self, environ: dict[str, Any], method: str, path: str, body: bytes) -> ApiRequest:
        query = str(environ.get("QUERY_STRING", ""))
        params = decode_form(query)
        params.update(decode_body(body, str(environ.get("CONTENT_TYPE", ""))))
        return ApiRequest(
            method=method,
            path=path,
            query_string=query,
            params=params,
            headers=_headers(environ),
            base_url=self.base_url or _host_url(environ),
            remote_addr=str(environ.get("REMOTE_ADDR", "127.0.0.1")),
        )


def _read_body(environ: dict[str, Any]) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    stream = environ.get("wsgi.input")
    return stream.read(length) if length > 0 and stream is not None else b""


def _headers(environ: dict[str, Any]) -> dict[str, str]:
    headers = {
        key[5:].replace("_", "-").lower(): str(value)
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    headers["content-type"] = str(environ.get("CONTENT_TYPE", ""))
    return headers


def _host_url(environ: dict[str, Any]) -> str:
    scheme = environ.get("wsgi.url_scheme", "http")
    host = environ.get("HTTP_HOST") or f"{environ.get('SERVER_NAME')}:{environ.get('SERVER_PORT')}"
    return f"{scheme}://{host}"


def _send(
    response: ApiResponse, start_response: StartResponse, *, include_body: bool
) -> list[bytes]:
    payload = b""
    headers = dict(response.headers)
    if response.text is not None:
        payload = response.text.encode()
        headers.setdefault("Content-Type", "text/plain; charset=utf-8")
    elif response.status != 204:
        payload = json.dumps(response.body).encode()
        headers["Content-Type"] = "application/json"
    headers["Content-Length"] = str(len(payload))
    status = f"{response.status} {HTTPStatus(response.status).phrase}"
    start_response(status, list(headers.items()))
    return [payload] if include_body and payload else []
