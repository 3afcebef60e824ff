"""A stand-in for Slack's Web API on 127.0.0.1: records every call, answers like Slack.

Point the bot's `SLACK_API_URL` at `recorder.url`. Answers follow Slack's documented
shapes for the methods tokenbot uses; `fail_next()` scripts errors such as a 429 with
Retry-After. Calls arrive after the bot has acked (Bolt runs listeners on threads), so tests
poll with `wait_for()`.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

TEAM_ID = "T0TOKENBOT"
BOT_USER_ID = "U0TOKENBOT"
ALT_TXT_MAX = 1000  # files.getUploadURLExternal: alt_txt_too_large past this


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    authorization: str
    answer: dict[str, Any] = field(default_factory=dict)


@dataclass
class SlackPerson:
    """Someone `users.info` knows (Slack's user object, the fields tokenbot reads)."""

    name: str
    email: str | None = None
    email_confirmed: bool = True  # Slack's `is_email_confirmed`

    def user_object(self, user_id: str) -> dict[str, Any]:
        profile: dict[str, Any] = {"real_name": self.name, "display_name": self.name}
        if self.email is not None:
            profile["email"] = self.email
        return {
            "id": user_id,
            "team_id": TEAM_ID,
            "name": self.name.lower().replace(" ", "."),
            "real_name": self.name,
            "is_bot": False,
            "is_email_confirmed": self.email_confirmed,
            "profile": profile,
        }


@dataclass
class Upload:
    """One file of Slack's external upload flow, as far as it got.

    files.getUploadURLExternal gives an id and a URL (here on the recorder itself), the file's
    bytes are POSTed there, and files.completeUploadExternal shares it (`shared_to`).
    """

    file_id: str
    filename: str
    length: int
    alt_txt: str | None = None
    data: bytes | None = None  # None until the bytes are POSTed to the upload URL
    title: str | None = None
    shared_to: list[dict[str, Any]] = field(default_factory=list)  # channel_id, thread_ts, ...


@dataclass
class _Fault:
    method: str
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


class SlackRecorder:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        # users.info answers for these; anyone else is `user_not_found`, as in Slack.
        self.people: dict[str, SlackPerson] = {}
        # Socket Mode: the WebSocket URL `apps.connections.open` hands out (socket_mode.py).
        self.socket_mode_url: str | None = None
        self.latency_s = 0.0  # how long every call takes to answer (benchmarks)
        self._faults: list[_Fault] = []
        self.uploads: dict[str, Upload] = {}  # by file id: Slack's external upload flow
        self._file_ids = itertools.count(1)
        self._lock = threading.Lock()
        self._ts = itertools.count(1)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/api/"

    @property
    def hooks_url(self) -> str:
        """A `response_url` for payloads: what the bot sends there is recorded as 'response_url'."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/hooks/T0TOKENBOT/1/secret"

    def __enter__(self) -> SlackRecorder:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def shared_files(self, channel: str) -> list[Upload]:
        """Files completeUploadExternal shared to `channel`, in the order they were shared."""
        with self._lock:
            return [
                u
                for u in self.uploads.values()
                if any(share.get("channel_id") == channel for share in u.shared_to)
            ]

    def fail_next(
        self,
        method: str,
        *,
        status: int = 200,
        error: str = "",
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """The next `times` calls to `method` answer `{"ok": false, "error": error}`."""
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        body = {"ok": False, "error": error or ("ratelimited" if status == 429 else "fatal")}
        with self._lock:
            self._faults.extend(_Fault(method, status, body, headers) for _ in range(times))

    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[Call]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.calls_to(method)
            if len(found) >= count:
                return found
            time.sleep(0.02)
        raise AssertionError(f"expected {count} {method} call(s), got {self.calls_to(method)}")

    def wait_for_message(
        self, channel: str, containing: str, *, nth: int = 1, timeout: float = 10.0
    ) -> Call:
        """The `nth` chat.postMessage to `channel` whose text or blocks hold `containing`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [
                c
                for c in self.calls_to("chat.postMessage")
                if c.args.get("channel") == channel
                and containing in json.dumps([c.args.get("text"), c.args.get("blocks")])
            ]
            if len(found) >= nth:
                return found[nth - 1]
            time.sleep(0.02)
        raise AssertionError(f"no message {nth} to {channel} with {containing!r}")

    def wait_for_update(
        self, channel: str, ts: str, containing: str, *, timeout: float = 10.0
    ) -> Call:
        """The latest chat.update of the message `ts` in `channel` that holds `containing`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [
                c
                for c in self.calls_to("chat.update")
                if c.args.get("channel") == channel
                and c.args.get("ts") == ts
                and containing in json.dumps(c.args)
            ]
            if found:
                return found[-1]
            time.sleep(0.02)
        raise AssertionError(f"no update of {channel} {ts} with {containing!r}")

    def _answer(
        self, method: str, args: dict[str, Any]
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        with self._lock:
            fault = next((f for f in self._faults if f.method == method), None)
            if fault is not None:
                self._faults.remove(fault)
                return fault.status, fault.body, fault.headers
            ts = f"1700000000.{next(self._ts):06d}"
        answers: dict[str, Callable[[], dict[str, Any]]] = {
            "auth.test": lambda: {
                "ok": True,
                "url": "https://acme.slack.test/",
                "team": "Acme",
                "user": "tokenbot",
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "bot_id": "B0TOKENBOT",
            },
            "chat.postMessage": lambda: {
                "ok": True,
                "channel": args.get("channel"),
                "ts": ts,
                "message": {"text": args.get("text"), "ts": ts},
            },
            "chat.update": lambda: {
                "ok": True,
                "channel": args.get("channel"),
                "ts": args.get("ts"),
                "text": args.get("text"),
            },
            "chat.postEphemeral": lambda: {"ok": True, "message_ts": ts},
            # Slack answers with the view it opened or updated, and its id (`views.open`).
            "views.open": lambda: {"ok": True, "view": {**args.get("view", {}), "id": f"V{ts}"}},
            "views.update": lambda: {
                "ok": True,
                "view": {**args.get("view", {}), "id": args.get("view_id") or f"V{ts}"},
            },
            "conversations.open": lambda: {
                "ok": True,
                "channel": {"id": "D" + str(args.get("users", "")).lstrip("U")},
            },
            "users.info": lambda: self._user_info(str(args.get("user", ""))),
            "apps.connections.open": self._connections_open,
            "files.getUploadURLExternal": lambda: self._upload_url(args),
            "files.completeUploadExternal": lambda: self._complete_upload(args),
        }
        return 200, answers.get(method, lambda: {"ok": True})(), {}

    def _user_info(self, user_id: str) -> dict[str, Any]:
        person = self.people.get(user_id)
        if person is None:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": person.user_object(user_id)}

    def _upload_url(self, args: dict[str, Any]) -> dict[str, Any]:
        """files.getUploadURLExternal: `filename` and a positive `length` are required
        (https://docs.slack.dev/reference/methods/files.getUploadURLExternal: `missing_argument`
        "typically only occurs when the length provided is 0"; `alt_txt_too_large` past 1,000
        characters); the URL points back at this recorder."""
        filename, length = str(args.get("filename") or ""), str(args.get("length") or "")
        if not filename or not length.isdigit() or int(length) <= 0:
            return {"ok": False, "error": "missing_argument"}
        alt_txt = args.get("alt_txt")
        if isinstance(alt_txt, str) and len(alt_txt) > ALT_TXT_MAX:
            return {"ok": False, "error": "alt_txt_too_large"}
        with self._lock:
            file_id = f"F0UPLOAD{next(self._file_ids):04d}"
            self.uploads[file_id] = Upload(file_id, filename, int(length), alt_txt)
        port = self._server.server_address[1]
        return {
            "ok": True,
            "upload_url": f"http://127.0.0.1:{port}/upload/v1/{file_id}",
            "file_id": file_id,
        }

    def _receive_upload(self, path: str, data: bytes) -> tuple[int, bytes]:
        """The POST of a file's bytes to its upload URL: Slack answers 200 `OK - <length>`."""
        file_id = path.rsplit("/", 1)[-1]
        with self._lock:
            upload = self.uploads.get(file_id)
            if upload is None or upload.data is not None:
                return 404, b"unknown upload"
            upload.data = data
        return 200, f"OK - {len(data)}".encode()

    def _complete_upload(self, args: dict[str, Any]) -> dict[str, Any]:
        """files.completeUploadExternal: `files` is a JSON array of {"id", "title"}; each must
        have been uploaded (https://docs.slack.dev/reference/methods/files.completeUploadExternal).
        The share is recorded with `channel_id`, `thread_ts`, `initial_comment` and `blocks`
        (which Slack ignores when `initial_comment` is given)."""
        try:
            listed = json.loads(str(args.get("files") or ""))
        except ValueError:
            return {"ok": False, "error": "invalid_arguments"}
        if not isinstance(listed, list) or not listed:
            return {"ok": False, "error": "invalid_arguments"}
        share = {
            name: args[name]
            for name in ("channel_id", "thread_ts", "initial_comment", "blocks")
            if args.get(name) is not None
        }
        done: list[dict[str, Any]] = []
        with self._lock:
            for item in listed:
                upload = self.uploads.get(str(item.get("id"))) if isinstance(item, dict) else None
                if upload is None or upload.data is None or len(upload.data) != upload.length:
                    return {"ok": False, "error": "file_not_found"}
                upload.title = str(item.get("title") or upload.filename)
                upload.shared_to.append(share)
                done.append({"id": upload.file_id, "name": upload.filename, "title": upload.title})
        return {"ok": True, "files": done}

    def _connections_open(self) -> dict[str, Any]:
        if self.socket_mode_url is None:  # no Socket Mode stand-in is attached
            return {"ok": False, "error": "not_allowed_token_type"}
        return {"ok": True, "url": self.socket_mode_url}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                data = self.rfile.read(length)
                if self.path.startswith("/upload/"):  # a file's bytes: not a Web API call
                    status, answer = recorder._receive_upload(self.path, data)
                    self.send_response(status)
                    self.send_header("Content-Type", "text/plain")
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                    return
                raw = data.decode()
                hook = self.path.startswith("/hooks/")
                method = "response_url" if hook else self.path.removeprefix("/api/")
                args = _parse(raw, self.headers.get("Content-Type", ""))
                call = Call(method, args, self.headers.get("Authorization", ""))
                status, body, headers = recorder._answer(method, args)
                if recorder.latency_s > 0:
                    threading.Event().wait(recorder.latency_s)
                call.answer = body
                with recorder._lock:
                    recorder.calls.append(call)
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler


def _parse(raw: str, content_type: str) -> dict[str, Any]:
    if "json" in content_type:
        return dict(json.loads(raw or "{}"))
    parsed = {key: values[0] for key, values in parse_qs(raw).items()}
    for key in ("blocks", "attachments", "view"):
        if isinstance(parsed.get(key), str):
            parsed[key] = json.loads(parsed[key])
    return parsed
