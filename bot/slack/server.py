"""Running the Bolt app: HTTP mode under waitress, or Socket Mode over a WebSocket.

Each Slack request is handled in a context of its own (`contextvars`), so the request id the
observability middleware sets ends with the request instead of lingering on the thread.
"""

from __future__ import annotations

import contextvars
import logging
import signal
import threading
import time
from collections.abc import Callable, Iterable
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from prometheus_client import CollectorRegistry, make_wsgi_app
from slack_bolt import App, BoltRequest
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.socket_mode.internals import build_headers, send_response
from slack_sdk.socket_mode.builtin.client import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from waitress import create_server

from bot.slack.acked_dispatch import dispatch_until_acked
from bot.slack.edge import MAX_BODY_BYTES, SlackEndpoint
from bot.slack.link_page import CALLBACK_PATH, CONFIRM_PATH
from bot.slack.webhook_endpoint import WEBHOOK_PATH

log = logging.getLogger(__name__)
EVENTS_PATH = "/slack/events"
METRICS_PATH = "/metrics"
WsgiApp = WSGIApplication
LINK_PATHS = frozenset({CALLBACK_PATH, CONFIRM_PATH})


def wsgi_app(
    app: App,
    *,
    ready: Callable[[], bool],
    metrics: CollectorRegistry | None = None,
    pages: WsgiApp | None = None,
    webhook: WsgiApp | None = None,
) -> WsgiApp:
    """Slack's endpoint plus `/healthz` (the process answers) and `/readyz` (it can work),
    `/metrics` (Prometheus) when given a registry to serve, and the GitLab sign-in pages
    (`pages`, see link_page.py) when account linking is on, and GitLab's webhooks
    (`webhook`, see webhook_endpoint.py) at `/gitlab/webhook`."""
    slack = SlackEndpoint(app, signing_secret=_signing_secret(app))
    prometheus: WsgiApp | None = make_wsgi_app(metrics) if metrics is not None else None

    def healthz(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        return _plain(start_response, "200 OK", b"ok\n")

    def readyz(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if ready():
            return _plain(start_response, "200 OK", b"ready\n")
        return _plain(start_response, "503 Service Unavailable", b"not ready\n")

    def events(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        return contextvars.copy_context().run(slack, environ, start_response)

    routes: dict[str, WsgiApp] = {"/healthz": healthz, "/readyz": readyz, EVENTS_PATH: events}
    if prometheus is not None:
        routes[METRICS_PATH] = prometheus
    if pages is not None:
        routes |= dict.fromkeys(LINK_PATHS, pages)
    if webhook is not None:
        routes[WEBHOOK_PATH] = webhook

    def application(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        route = routes.get(environ.get("PATH_INFO", ""))
        if route is None:
            return _plain(start_response, "404 Not Found", b"not found\n")
        return route(environ, start_response)

    return application


def pages_only_app(pages: WsgiApp | None, webhook: WsgiApp | None = None) -> WsgiApp:
    """What Socket Mode serves on PORT when linking or webhooks are on: the sign-in pages,
    GitLab's webhooks and `/healthz`."""

    def application(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path in LINK_PATHS and pages is not None:
            return pages(environ, start_response)
        if path == WEBHOOK_PATH and webhook is not None:
            return webhook(environ, start_response)
        if path == "/healthz":
            return _plain(start_response, "200 OK", b"ok\n")
        return _plain(start_response, "404 Not Found", b"not found\n")

    return application


def _signing_secret(app: App) -> str:
    # Bolt keeps the secret its own request verification uses on the App, with no public
    # accessor; the edge checks with that very secret, so the two checks cannot disagree.
    secret = getattr(app, "_signing_secret", "")
    return secret if isinstance(secret, str) else ""


def serve_http(
    application: WsgiApp, *, host: str, port: int, on_listening: Callable[[str], None]
) -> None:
    """Serve until SIGTERM or Ctrl-C, then stop with the requests in hand answered.

    Closing the listening socket is not enough to stop waitress: its loop runs while any
    connection is open, and a client holding a keep-alive connection would keep the process
    alive. So the signal handler raises `SystemExit` in the loop, the way waitress expects to be
    stopped: it lets its worker threads finish their current request (up to 5 s) and returns.
    """
    server = create_server(
        application,
        host=host,
        port=port,
        threads=16,
        ident="tokenbot",
        max_request_body_size=MAX_BODY_BYTES,  # waitress answers 413 before buffering more
    )
    bound_port = getattr(server, "effective_port", port)
    on_listening(f"http://{host}:{bound_port}")

    def stop(signum: int, _frame: object) -> None:
        log.info("received signal %s, stopping", signum)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a second SIGTERM ends the process
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    try:
        server.run()  # returns on SystemExit or KeyboardInterrupt, worker threads stopped
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        server.close()
    log.info("stopped serving HTTP")


def serve_in_background(
    application: WsgiApp, *, host: str, port: int, on_listening: Callable[[str], None]
) -> Callable[[], None]:
    """Serve `application` from a daemon thread (Socket Mode's sign-in pages); returns a stop.

    The main thread keeps the signal handlers and the WebSocket; this server only answers.
    """
    server = create_server(
        application,
        host=host,
        port=port,
        threads=4,
        ident="tokenbot",
        max_request_body_size=MAX_BODY_BYTES,
    )
    on_listening(f"http://{host}:{getattr(server, 'effective_port', port)}")
    thread = threading.Thread(target=server.run, name="tokenbot-pages", daemon=True)
    thread.start()

    def stop() -> None:
        server.close()

    return stop


def serve_socket_mode(app: App, *, app_token: str) -> None:
    """Connect out to Slack (no public URL needed) and serve until SIGTERM or Ctrl-C.

    The SIGTERM handler matters in a container: as PID 1 without a handler the process would
    ignore `docker stop` until it is killed.
    """
    handler = _OwnContextSocketModeHandler(app, app_token)

    def stop(signum: int, _frame: object) -> None:
        log.info("received signal %s, stopping", signum)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    try:
        handler.connect()  # type: ignore[no-untyped-call]
        # Not handler.start(): it parks this thread in a wait without a timeout, and a SIGTERM
        # the kernel hands to one of slack_sdk's threads only flags it for this one, which
        # would never wake to act on it. A short sleep wakes it, so every SIGTERM stops us.
        while True:
            time.sleep(0.5)
    except (SystemExit, KeyboardInterrupt):
        log.info("closing the Socket Mode connection")
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        handler.close()  # type: ignore[no-untyped-call]


class _OwnContextSocketModeHandler(SocketModeHandler):
    """Handles each Socket Mode request in a context of its own, like `wsgi_app` does.

    (`handle` narrows its client's type exactly as Bolt's own handler does.)
    """

    def handle(self, client: SocketModeClient, req: SocketModeRequest) -> None:  # type: ignore[override]
        contextvars.copy_context().run(self._answer, client, req)

    def _answer(self, client: SocketModeClient, req: SocketModeRequest) -> None:
        """As Bolt's handler does, but answered at the ack (acked_dispatch.py)."""
        started = time.time()
        request = BoltRequest(mode="socket_mode", body=req.payload, headers=build_headers(req))
        pool = self.app.listener_runner.listener_executor
        send_response(client, req, dispatch_until_acked(self.app, request, pool=pool), started)


def _plain(start_response: StartResponse, status: str, body: bytes) -> Iterable[bytes]:
    start_response(
        status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))]
    )
    return [body]
