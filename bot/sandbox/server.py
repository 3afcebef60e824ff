"""A threaded loopback HTTP server for the simulator, run in a background thread."""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
from socketserver import ThreadingMixIn
from types import TracebackType
from typing import IO, Any, cast
from wsgiref.simple_server import ServerHandler, WSGIRequestHandler, WSGIServer

from bot.sandbox.app import DROP_CONNECTION_KEY, RAW_PATH_KEY, GitlabSimulator

_MAX_REQUEST_LINE = 65536


def require_loopback(host: str) -> str:
    """The simulator never listens beyond this machine's IPv4 loopback."""
    address = "127.0.0.1" if host == "localhost" else host
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        raise ValueError(f"sandbox host must be a loopback address, got {host!r}") from None
    if parsed.version != 4 or not parsed.is_loopback:
        raise ValueError(f"sandbox host must be an IPv4 loopback address, got {host!r}")
    return address


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True
    # Room for benchmark bursts of many concurrent clients.
    request_queue_size = 256


class _DroppingServerHandler(ServerHandler):
    """Closes the socket without a response when a fault asks for it."""

    # Answer as HTTP/1.1 so clients keep connections alive, as they do with GitLab.
    http_version = "1.1"

    def finish_response(self) -> None:
        environ: dict[str, Any] = getattr(self, "environ", {})
        if environ.get(DROP_CONNECTION_KEY):
            handler: Any = getattr(self, "request_handler", None)
            if handler is not None:
                handler.close_connection = True
                # The client may have reset the connection while a late answer waited.
                with contextlib.suppress(OSError):
                    handler.connection.shutdown(socket.SHUT_RDWR)
            return
        super().finish_response()


class _QuietRequestHandler(WSGIRequestHandler):
    """No request logging: request lines can carry `private_token=`. Keeps connections alive."""

    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        # wsgiref writes headers and body separately; without this, Nagle's algorithm and
        # the client's delayed ACK stall every kept-alive response by about 40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        return

    def get_environ(self) -> dict[str, Any]:
        environ = super().get_environ()
        environ[RAW_PATH_KEY] = self.path.split("?", 1)[0]
        return environ

    def handle(self) -> None:
        # One connection, many requests (HTTP/1.1 keep-alive) until the client or a fault
        # closes it.
        self.close_connection = True
        self._handle_one()
        while not self.close_connection:
            self._handle_one()

    def _handle_one(self) -> None:
        # wsgiref's own handle(), with the drop-aware ServerHandler and multithread=True.
        self.raw_requestline = self.rfile.readline(_MAX_REQUEST_LINE + 1)
        if not self.raw_requestline:
            self.close_connection = True
            return
        if len(self.raw_requestline) > _MAX_REQUEST_LINE:
            self.send_error(414)
            return
        if not self.parse_request():
            return
        handler = _DroppingServerHandler(
            self.rfile,
            cast(IO[bytes], self.wfile),
            self.get_stderr(),
            self.get_environ(),
            multithread=True,
        )
        handler.request_handler = self  # type: ignore[attr-defined]
        handler.run(self.server.get_app())  # type: ignore[attr-defined]


class SandboxServer:
    """Serves a `GitlabSimulator` on 127.0.0.1; port 0 lets the OS pick one."""

    def __init__(
        self, simulator: GitlabSimulator | None = None, *, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.simulator = simulator if simulator is not None else GitlabSimulator()
        self._address = (require_loopback(host), port)
        self._httpd: _ThreadingWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("server not started")
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> SandboxServer:
        if self._httpd is not None:
            return self
        httpd = _ThreadingWSGIServer(self._address, _QuietRequestHandler)
        httpd.set_app(self.simulator)
        self._httpd = httpd
        self.simulator.base_url = self.url
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="gitlab-sandbox",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        httpd, thread = self._httpd, self._thread
        self._httpd, self._thread = None, None
        if httpd is not None:
            httpd.shutdown()
            httpd.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
