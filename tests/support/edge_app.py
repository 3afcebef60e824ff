"""Slack's endpoint served over HTTP on 127.0.0.1 for the edge's integration tests: the app
`create_app` builds, plus listeners of the tests' own that fail, and a Slack recorder.

Import the `edge` fixture (and `served`, which it uses) into a test module to use them.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from socketserver import ThreadingMixIn
from typing import Any
from urllib.parse import urlencode
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
import requests
from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from sqlalchemy.engine import Engine

from bot.db.unit_of_work import SqlUnitOfWork
from bot.services.advisor import AdviceContext
from bot.services.conversations import ConversationDeps
from bot.slack.after_ack import after_ack
from bot.slack.app import create_app, create_client
from bot.slack.parse import action_context
from bot.slack.server import wsgi_app
from bot.slack.work import WorkLimits, WorkQueue
from tests.support.fuzz_payloads import signature
from tests.support.slack_api import TEAM_ID, SlackRecorder
from tests.support.slack_requests import SIGNING_SECRET

FORM, JSON = "application/x-www-form-urlencoded", "application/json"
NOW = datetime(2024, 6, 10, 12, tzinfo=UTC)


@dataclass
class Edge:
    url: str
    slack: SlackRecorder
    ran: list[str]  # the test listeners that ran

    def post(
        self,
        body: bytes,
        content_type: str = FORM,
        *,
        secret: str = SIGNING_SECRET,
        timestamp: int | None = None,
        extra: Mapping[str, str] | None = None,
        signed: bool = True,
    ) -> tuple[requests.Response, float]:
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        headers = {"Content-Type": content_type, **(extra or {})}
        if signed:
            headers["X-Slack-Request-Timestamp"] = stamp
            headers["X-Slack-Signature"] = signature(body, stamp, secret)
        started = time.perf_counter()
        answer = requests.post(f"{self.url}/slack/events", data=body, headers=headers, timeout=10)
        return answer, time.perf_counter() - started


def register_failing_listeners(app: App, ran: list[str], work: WorkQueue) -> None:
    @app.command("/boom")
    def handle_boom(command: Mapping[str, Any]) -> None:
        ran.append("/boom")
        raise RuntimeError("the listener failed before its ack")

    @app.action("test.before_ack")
    def handle_before_ack(body: Mapping[str, Any]) -> None:
        ran.append("test.before_ack")
        raise KeyError("actions")

    @app.action("test.after_ack")
    def handle_after_ack(ack: Ack) -> None:
        ack()
        ran.append("test.after_ack")
        raise RuntimeError("the listener failed after its ack")

    @app.action("test.slow_after_ack")
    def handle_slow_after_ack(ack: Ack) -> None:
        ack(text="acked first")
        time.sleep(2.0)  # a quick Slack reply, say, that is slow today
        ran.append("test.slow_after_ack")

    @app.action("test.queued_fails")
    @after_ack(work)
    def handle_queued_fails(body: Mapping[str, Any], client: WebClient, _: BoltContext) -> None:
        ran.append("test.queued_fails")
        raise RuntimeError("the work after the ack failed on the work queue")

    @app.action("test.unreadable")
    def handle_unreadable(body: Mapping[str, Any]) -> None:
        ran.append("test.unreadable")
        action_context(body)  # the click carries no channel: MalformedPayload

    @app.view("test.form")
    def handle_form(body: Mapping[str, Any]) -> None:
        ran.append("test.form")
        raise ValueError("the submission's listener failed")


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture(scope="module")
def served(migrated_engine: Engine) -> Iterator[Edge]:
    """One app and server for the module; `edge` clears what each test leaves behind."""
    work = WorkQueue(WorkLimits(workers=2, waiting=4))
    with SlackRecorder() as slack:
        deps = ConversationDeps(
            uow=lambda: SqlUnitOfWork(migrated_engine), context=AdviceContext(), clock=lambda: NOW
        )
        app = create_app(
            client=create_client(token="xoxb-test-not-a-real-token", api_url=slack.url),
            signing_secret=SIGNING_SECRET,
            deps=deps,
            listener_threads=4,
            work=work,
        )
        ran: list[str] = []
        register_failing_listeners(app, ran, work)
        server = make_server(
            "127.0.0.1",
            0,
            wsgi_app(app, ready=lambda: True),
            server_class=_ThreadingServer,
            handler_class=_QuietHandler,
        )
        thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
        thread.start()
        try:
            yield Edge(f"http://127.0.0.1:{server.server_port}", slack, ran)
        finally:
            server.shutdown()
            server.server_close()


@pytest.fixture
def edge(served: Edge) -> Iterator[Edge]:
    yield served
    wait(lambda: not served.slack.calls or _quiet(served), timeout=2.0)
    served.ran.clear()
    with served.slack._lock:
        served.slack.calls.clear()


def _quiet(edge: Edge) -> bool:
    """No Slack call for 0.1 s: the notes sent after the acks are in."""
    seen = len(edge.slack.calls)
    time.sleep(0.1)
    return len(edge.slack.calls) == seen


def click(action_id: str, *, response_url: str | None = None) -> bytes:
    payload: dict[str, Any] = {
        "type": "block_actions",
        "team": {"id": TEAM_ID, "domain": "acme"},
        "user": {"id": "U0ADA", "username": "ada", "team_id": TEAM_ID},
        "api_app_id": "A0TOKENBOT",
        "trigger_id": "1.2.3",
        "actions": [{"action_id": action_id, "block_id": "b", "type": "button", "value": "v"}],
    }
    if response_url is not None:
        payload["response_url"] = response_url
    return urlencode({"payload": json.dumps(payload)}).encode()


def command(name: str, text: str = "") -> bytes:
    fields = {"command": name, "text": text, "user_id": "U0ADA", "team_id": TEAM_ID}
    fields |= {"channel_id": "C0GENERAL", "trigger_id": "1.2.3", "response_url": ""}
    return urlencode(fields).encode()


def tracebacks(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.exc_info]


def wait(check: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True
