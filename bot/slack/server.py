"""Running the Bolt app: HTTP mode under waitress, or Socket Mode over a WebSocket."""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable, Iterable
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.wsgi import SlackRequestHandler
from waitress import create_server

log = logging.getLogger(__name__)
EVENTS_PATH = "/slack/events"
WsgiApp = WSGIApplication


def wsgi_app(app: App, *, ready: Callable[[], bool]) -> WsgiApp:
    """Slack's endpoint plus `/healthz` (the process answers) and `/readyz` (it can work)."""
    slack = SlackRequestHandler(app, path=EVENTS_PATH)

    def application(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/healthz":
            return _plain(start_response, "200 OK", b"ok\n")
        if path == "/readyz":
            if ready():
                return _plain(start_response, "200 OK", b"ready\n")
            return _plain(start_response, "503 Service Unavailable", b"not ready\n")
        return slack(environ, start_response)

    return application


def serve_http(
    application: WsgiApp, *, host: str, port: int, on_listening: Callable[[str], None]
) -> None:
    """Serve until SIGTERM or Ctrl-C, then stop with the requests in hand answered.

    Closing the listening socket is not enough to stop waitress: its loop runs while any
    connection is open, and a client holding a keep-alive connection would keep the process
    alive. So the signal handler raises `SystemExit` in the loop, the way waitress expects to be
    stopped: it lets its worker threads finish their current request (up to 5 s) and returns.
    """
    server = create_server(application, host=host, port=port, threads=16, ident="tokenbot")
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


def serve_socket_mode(app: App, *, app_token: str) -> None:
    """Connect out to Slack (no public URL needed) and serve until interrupted."""
    SocketModeHandler(app, app_token).start()  # type: ignore[no-untyped-call]


def _plain(start_response: StartResponse, status: str, body: bytes) -> Iterable[bytes]:
    start_response(
        status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))]
    )
    return [body]
