"""A stand-in for Slack's Socket Mode on 127.0.0.1: the WebSocket server the bot connects out to.

What slack_sdk's builtin client expects (slack_sdk/socket_mode/builtin/), over plain `ws://`
with the standard library only: the app asks `apps.connections.open` with its app-level token
(the recorder answers with `SocketModeServer.url`), opens the WebSocket (RFC 6455 handshake),
and is sent `hello`. Then Slack sends envelopes `{"envelope_id", "type", "payload",
"accepts_response_payload"}` (type `slash_commands`, `interactive` or `events_api`) and the app
acks each on the same socket with `{"envelope_id", "payload"?}` - the payload is what the
HTTP endpoint would have answered. The client's pings get pongs; `ping()` pings it;
`disconnect()` sends Slack's `disconnect` message, and the client opens a new connection.
Like Slack, it also pings each connection on its own (`keepalive`): the client then never sits
out its 3-second receive timeout, so it closes (on SIGTERM, say) in a fraction of a second.

`SocketModeDriver` is `SlackDriver` over this: the same builders, the same payloads, and each
answer is the ack (`AckResponse`).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import socket
import struct
import threading
import uuid
from dataclasses import dataclass
from typing import IO, Any
from urllib.parse import parse_qs

import requests

from tests.support.slack_api import SlackRecorder
from tests.support.slack_requests import SlackDriver

APP_ID = "A0TOKENBOT"
_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455 section 1.3
_TEXT, _CLOSE, _PING, _PONG = 0x1, 0x8, 0x9, 0xA
_KEEPALIVE = b"slack-keepalive"
# Slack wants a response payload from these (a modal's errors, a command's reply).
_ANSWERED = frozenset({"slash_commands", "view_submission", "block_suggestion"})


@dataclass(frozen=True)
class Ack:
    envelope_id: str
    payload: dict[str, Any] | None  # None: a bare ack, as for an empty HTTP 200
    connection: int  # which connection (0 the first) it came back on


class _Connection:
    def __init__(self, number: int, sock: socket.socket) -> None:
        self.number, self.sock = number, sock
        self.open = True
        self._send_lock = threading.Lock()

    def send(self, opcode: int, data: bytes) -> None:
        # Unmasked, unfragmented, FIN set; never a bare 2-byte frame (the client's parser
        # would wait for more bytes).
        size = len(data)
        if size < 126:
            head = struct.pack("!BB", 0x80 | opcode, size)
        elif size < 1 << 16:
            head = struct.pack("!BBH", 0x80 | opcode, 126, size)
        else:
            head = struct.pack("!BBQ", 0x80 | opcode, 127, size)
        with self._send_lock:
            self.sock.sendall(head + data)

    def send_json(self, message: dict[str, Any]) -> None:
        self.send(_TEXT, json.dumps(message).encode())

    def end(self, how: int = socket.SHUT_WR) -> None:
        """Stop sending (FIN): the client reads the end and closes its side, which the
        reader sees (`SHUT_RDWR`: stop reading too)."""
        with contextlib.suppress(OSError):
            self.sock.shutdown(how)


class SocketModeServer:
    """Slack's side of Socket Mode for one app; use as a context manager beside `recorder`."""

    def __init__(self, recorder: SlackRecorder, *, keepalive: float | None = 0.2) -> None:
        self.recorder = recorder
        self.keepalive = keepalive  # seconds between its own pings; None: no pings
        self._stopping = threading.Event()
        self.acks: dict[str, Ack] = {}
        self.other_messages: list[str] = []  # text the client sent that was not an ack
        self._connections: list[_Connection] = []
        self._pongs: list[bytes] = []
        self._retiring: list[_Connection] = []
        self._changed = threading.Condition()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._acceptor = threading.Thread(target=self._accept, daemon=True)

    @property
    def url(self) -> str:
        port = self._listener.getsockname()[1]
        return f"ws://127.0.0.1:{port}/link/?ticket={uuid.uuid4()}&app_id={APP_ID}"

    def __enter__(self) -> SocketModeServer:
        self._acceptor.start()
        self.recorder.socket_mode_url = self.url
        return self

    def __exit__(self, *exc: object) -> None:
        self.recorder.socket_mode_url = None
        self._stopping.set()
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes accept() on Linux
        self._listener.close()
        with self._changed:
            connections = list(self._connections)
        for connection in connections:
            connection.end(socket.SHUT_RDWR)
        self._acceptor.join(timeout=5)

    @property
    def connections(self) -> int:
        """How many WebSocket connections the client has opened so far."""
        with self._changed:
            return len(self._connections)

    @property
    def open_connections(self) -> int:
        with self._changed:
            return sum(c.open for c in self._connections)

    def wait_connected(self, count: int = 1, timeout: float = 15.0) -> None:
        """Until the client has opened `count` connections (and been sent `hello` on each)."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self._connections) >= count, timeout):
                raise AssertionError(f"expected {count} connection(s), got {self.connections}")

    def send(
        self, kind: str, payload: dict[str, Any], *, accepts_response_payload: bool | None = None
    ) -> str:
        """Send an envelope on the newest connection; returns its envelope id."""
        envelope_id = str(uuid.uuid4())
        if accepts_response_payload is None:
            accepts_response_payload = kind in _ANSWERED or payload.get("type") in _ANSWERED
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": accepts_response_payload,
        }
        if kind == "events_api":
            envelope |= {"retry_attempt": 0, "retry_reason": ""}
        self._current().send_json(envelope)
        return envelope_id

    def wait_ack(self, envelope_id: str, timeout: float = 10.0) -> Ack:
        with self._changed:
            if not self._changed.wait_for(lambda: envelope_id in self.acks, timeout):
                raise AssertionError(f"no ack for envelope {envelope_id} in {timeout} s")
            return self.acks[envelope_id]

    def ping(self, timeout: float = 5.0) -> None:
        """Ping the client on the newest connection and wait for its pong."""
        data = f"slack-ping:{uuid.uuid4()}".encode()
        self._current().send(_PING, data)
        with self._changed:
            if not self._changed.wait_for(lambda: data in self._pongs, timeout):
                raise AssertionError("the client did not answer a ping")

    def disconnect(self, reason: str = "refresh_requested") -> None:
        """Ask the client to reconnect, as Slack does every few hours; once it has opened a
        new connection, this one is closed. Follow with `wait_connected(count + 1)`."""
        current = self._current()
        with self._changed:
            self._retiring.append(current)
        current.send_json(
            {"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-test"}}
        )

    def _current(self) -> _Connection:
        with self._changed:
            live = [c for c in self._connections if c.open and c not in self._retiring]
        if not live:
            raise AssertionError("the bot has no open Socket Mode connection")
        return live[-1]

    def _accept(self) -> None:
        while True:
            try:
                sock, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(sock,), daemon=True).start()

    def _serve(self, sock: socket.socket) -> None:
        # A broken connection is as good as a closed one.
        with sock, sock.makefile("rb") as reader, contextlib.suppress(OSError):
            if _handshake(sock, reader):
                self._connected(sock, reader)

    def _connected(self, sock: socket.socket, reader: IO[bytes]) -> None:
        with self._changed:
            connection = _Connection(len(self._connections), sock)
            retiring, self._retiring = self._retiring, []
            staying = [c for c in self._connections if c.open and c not in retiring]
            connection.send_json(_hello(len(staying) + 1))
            self._connections.append(connection)
            self._changed.notify_all()
        for old in retiring:
            old.end()
        if self.keepalive is not None:
            threading.Thread(target=self._ping_every, args=(connection,), daemon=True).start()
        try:
            self._read(connection, reader)
        finally:
            with self._changed:
                connection.open = False
                self._changed.notify_all()

    def _ping_every(self, connection: _Connection) -> None:
        assert self.keepalive is not None
        while not self._stopping.wait(self.keepalive) and connection.open:
            try:
                connection.send(_PING, _KEEPALIVE)
            except OSError:
                return

    def _read(self, connection: _Connection, reader: IO[bytes]) -> None:
        while (frame := _read_frame(reader)) is not None:
            opcode, data = frame
            if opcode == _PING:
                connection.send(_PONG, data)
            elif opcode == _PONG and data != _KEEPALIVE:
                with self._changed:
                    self._pongs.append(data)
                    self._changed.notify_all()
            elif opcode == _CLOSE:
                connection.send(_CLOSE, data[:2] or struct.pack("!H", 1000))
                return
            elif opcode == _TEXT:
                self._received(connection, data.decode())

    def _received(self, connection: _Connection, text: str) -> None:
        message = json.loads(text) if text.startswith("{") else {}
        with self._changed:
            if isinstance(message.get("envelope_id"), str):
                ack = Ack(message["envelope_id"], message.get("payload"), connection.number)
                self.acks[ack.envelope_id] = ack
            else:
                self.other_messages.append(text)
            self._changed.notify_all()


def _handshake(sock: socket.socket, reader: IO[bytes]) -> bool:
    request_line = reader.readline().decode("latin-1")
    headers: dict[str, str] = {}
    while (line := reader.readline().decode("latin-1").strip()) != "":
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    key = headers.get("sec-websocket-key")
    path = request_line.split(" ")[1] if request_line.count(" ") >= 2 else ""
    if not request_line.startswith("GET ") or not path.startswith("/link/") or key is None:
        sock.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        return False
    accept = base64.b64encode(hashlib.sha1((key + _GUID).encode()).digest()).decode()  # noqa: S324
    sock.sendall(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Accept: {accept}\r\n\r\n".encode()
    )
    return True


def _read_frame(reader: IO[bytes]) -> tuple[int, bytes] | None:
    """One frame from the client (masked, as clients must), or None once it closed."""
    head = reader.read(2)
    if len(head) < 2:
        return None
    size = head[1] & 0x7F
    if size == 126:
        (size,) = struct.unpack("!H", reader.read(2))
    elif size == 127:
        (size,) = struct.unpack("!Q", reader.read(8))
    mask = reader.read(4) if head[1] & 0x80 else b""
    data = reader.read(size)
    if len(data) < size:
        return None
    if mask:
        data = bytes(byte ^ mask[i % 4] for i, byte in enumerate(data))
    return head[0] & 0x0F, data


def _hello(connections: int) -> dict[str, Any]:
    return {
        "type": "hello",
        "num_connections": connections,
        "debug_info": {
            "host": "applink-test",
            "build_number": 1,
            "approximate_connection_time": 18060,
        },
        "connection_info": {"app_id": APP_ID},
    }


class AckResponse(requests.Response):
    """An ack read the way `SlackDriver`'s callers read an HTTP answer: status 200, and as the
    body the JSON payload, the text of a `{"text"}` payload (Bolt sends a plain-text answer
    so), or nothing for a bare ack. `ack` is the ack itself."""

    def __init__(self, ack: Ack) -> None:
        super().__init__()
        self.ack = ack
        self.status_code = 200
        self.encoding = "utf-8"
        payload = ack.payload
        if payload is not None and set(payload) == {"text"}:
            self._content = str(payload["text"]).encode()
            self.headers["Content-Type"] = "text/plain; charset=utf-8"
        else:
            self._content = b"" if payload is None else json.dumps(payload).encode()
            self.headers["Content-Type"] = "application/json"


class SocketModeDriver(SlackDriver):
    """`SlackDriver` over Socket Mode: `command`, `click`, `click_in_view`, `event`,
    `direct_message`, `home_opened` and `slack_requests.submit` send the same payloads as
    envelopes and return the ack as an `AckResponse` (AssertionError if none comes).

    Nothing is signed in Socket Mode: the signing arguments (`secret`, `timestamp`) are
    ignored.
    """

    def __init__(self, server: SocketModeServer, *, response_url: str) -> None:
        super().__init__("ws://socket-mode", response_url=response_url)
        self.server = server

    def post(self, body: str, content_type: str, **sign: Any) -> requests.Response:
        kind, payload = envelope_of(body, content_type)
        return self.deliver(kind, payload)

    def deliver(self, kind: str, payload: dict[str, Any], timeout: float = 10.0) -> AckResponse:
        """Send one envelope and wait for its ack."""
        envelope_id = self.server.send(kind, payload)
        return AckResponse(self.server.wait_ack(envelope_id, timeout))


def envelope_of(body: str, content_type: str) -> tuple[str, dict[str, Any]]:
    """The Socket Mode envelope type and payload of what Slack would POST over HTTP."""
    if content_type.startswith("application/json"):
        return "events_api", dict(json.loads(body))
    form = {key: values[0] for key, values in parse_qs(body, keep_blank_values=True).items()}
    if "payload" in form:
        return "interactive", dict(json.loads(form["payload"]))
    return "slash_commands", form
