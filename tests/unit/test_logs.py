"""Log lines: JSON off a terminal, text on one; request ids; token-shaped strings masked."""

from __future__ import annotations

import io
import json
import logging
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlencode
from wsgiref.util import setup_testing_defaults

import pytest
from slack_bolt import Ack, App

from bot.observability.context import (
    ContextExecutor,
    current_request_id,
    reset_request_id,
    set_request_id,
)
from bot.observability.logs import (
    GITLAB_PREFIXES,
    JsonFormatter,
    LogFormat,
    configure_logging,
    redact,
    wants_json,
)
from bot.observability.metrics import Metrics
from bot.observability.slack import instrument_app
from bot.slack.app import create_client
from bot.slack.server import wsgi_app
from tests.support.slack_api import SlackRecorder
from tests.support.slack_requests import SIGNING_SECRET, signed_headers

PAT = "glpat-AbCdEf0123456789xyZ_"
ROUTABLE = "glpat-x2Vz0Aab1cD4eFgHiJkLmNoP.01.0w1k7rxyz"
BOT = "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def root() -> Iterator[logging.Logger]:
    """The root logger, given back as it was (pytest's own handlers included)."""
    logger = logging.getLogger()
    handlers, level = list(logger.handlers), logger.level
    yield logger
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    for handler in handlers:
        logger.addHandler(handler)
    logger.setLevel(level)


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_pipe_gets_one_json_object_per_line(root: logging.Logger) -> None:
    out = io.StringIO()
    configure_logging("INFO", out, force=True)
    logging.getLogger("bot.test").info("hello %s", "world", extra={"kind": "command"})
    logging.getLogger("bot.test").debug("not at INFO")
    [entry] = lines(out)
    assert entry["message"] == "hello world"
    assert entry["level"] == "INFO"
    assert entry["logger"] == "bot.test"
    assert entry["kind"] == "command"
    assert entry["ts"].endswith("Z")
    assert "T" in entry["ts"]
    assert "request_id" not in entry


def test_a_terminal_gets_text(root: logging.Logger) -> None:
    out = Terminal()
    configure_logging("INFO", out, force=True)
    logging.getLogger("bot.test").warning("careful")
    assert out.getvalue().strip().endswith("WARNING bot.test: careful")
    with pytest.raises(json.JSONDecodeError):
        json.loads(out.getvalue())


def test_the_format_can_be_forced_either_way() -> None:
    assert wants_json(Terminal(), "json")
    assert not wants_json(io.StringIO(), "text")
    assert wants_json(io.StringIO(), "auto")
    assert not wants_json(Terminal(), "auto")


def test_it_leaves_a_root_logger_someone_else_configured_alone(root: logging.Logger) -> None:
    root.addHandler(logging.NullHandler())
    assert configure_logging("INFO", io.StringIO()) is None


def test_a_second_call_replaces_its_own_handler(root: logging.Logger) -> None:
    first, second = io.StringIO(), io.StringIO()
    configure_logging("INFO", first, force=True)
    configure_logging("INFO", second)
    logging.getLogger("bot.test").info("once")
    assert first.getvalue() == ""
    assert len(lines(second)) == 1


def test_exceptions_are_in_the_line(root: logging.Logger) -> None:
    out = io.StringIO()
    configure_logging("INFO", out, force=True)
    try:
        raise ValueError(f"GitLab said no to {PAT}")
    except ValueError:
        logging.getLogger("bot.test").exception("it failed")
    [entry] = lines(out)
    assert "ValueError" in entry["exc_info"]
    assert "Traceback" in entry["exc_info"]
    assert PAT not in out.getvalue()
    assert "glpat-[REDACTED]" in entry["exc_info"]


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_tokens_are_masked_in_the_message_and_in_the_arguments(
    root: logging.Logger, fmt: LogFormat
) -> None:
    out = io.StringIO()
    configure_logging("DEBUG", out, fmt, force=True)
    log = logging.getLogger("bot.test")
    log.info(f"token {PAT} in the message")
    log.info("token %s in an argument", BOT)
    log.info("a dict argument %r", {"headers": {"Authorization": f"Bearer {ROUTABLE}"}})
    log.info("named %(token)s", {"token": "gldt-0123456789abcdefghij"})
    text = out.getvalue()
    for secret in (PAT, BOT, ROUTABLE, "gldt-0123456789abcdefghij"):
        assert secret not in text
        assert secret[:8] not in text  # not even a part of it beyond the prefix
    assert "token glpat-[REDACTED] in the message" in text
    assert "token xoxb-[REDACTED] in an argument" in text
    assert "Bearer glpat-[REDACTED]" in text
    assert "named gldt-[REDACTED]" in text


def test_literal_secrets_are_masked_whatever_their_shape(root: logging.Logger) -> None:
    out = io.StringIO()
    configure_logging("INFO", out, force=True, secrets=["s3cret-signing-value", "short"])
    logging.getLogger("bot.test").info("signed with %s, a short word", "s3cret-signing-value")
    assert "s3cret-signing-value" not in out.getvalue()
    assert "a short word" in out.getvalue()  # values under 8 characters are not masked


@pytest.mark.parametrize("prefix", GITLAB_PREFIXES)
def test_every_gitlab_prefix_is_masked(prefix: str) -> None:
    assert redact(f"x {prefix}-abcdefghij0123456789 y") == f"x {prefix}-[REDACTED] y"


@pytest.mark.parametrize(
    "token",
    [
        "xoxp-1234-5678-abcdef",
        "xapp-1-A0123-4567-abcdef0123",
        "xoxe.xoxp-1-Mi0yLTEyMzQ1",
        "xoxe-1-My0xLTEyMzQ1Njc4",
        "GR1348941abcdefghijklmnop",
        "acme-glpat-abcdefghij0123456789",  # an instance prefix in front
    ],
)
def test_other_token_shapes_are_masked(token: str) -> None:
    masked = redact(f"value={token};")
    assert "[REDACTED]" in masked
    assert token not in masked
    assert masked.endswith(";")


def test_ordinary_words_are_left_alone() -> None:
    text = "global-infrastructure glpat- gldt-short xoxb- the glft-tokens page"
    assert redact(text) == text


def test_the_request_id_is_on_lines_logged_while_it_is_current(root: logging.Logger) -> None:
    out = io.StringIO()
    configure_logging("INFO", out, force=True)
    token = set_request_id("1700000000-abcd1234")
    try:
        logging.getLogger("bot.test").info("inside")
    finally:
        reset_request_id(token)
    logging.getLogger("bot.test").info("outside")
    inside, outside = lines(out)
    assert inside["request_id"] == "1700000000-abcd1234"
    assert "request_id" not in outside


def test_text_lines_show_the_request_id(root: logging.Logger) -> None:
    out = Terminal()
    configure_logging("INFO", out, force=True)
    token = set_request_id("Ev123-00ff00ff")
    try:
        logging.getLogger("bot.test").info("inside")
    finally:
        reset_request_id(token)
    assert "INFO bot.test [Ev123-00ff00ff]: inside" in out.getvalue()


def test_the_context_executor_carries_the_request_id_into_its_threads() -> None:
    token = set_request_id("req-1")
    try:
        with ContextExecutor(max_workers=2) as pool:
            seen = pool.submit(current_request_id).result()
            name = pool.submit(lambda: threading.current_thread().name).result()
        with ThreadPoolExecutor(max_workers=1) as plain:
            lost = plain.submit(current_request_id).result()
    finally:
        reset_request_id(token)
    assert seen == "req-1"
    assert name != threading.current_thread().name
    assert lost is None  # what the context executor is for


def test_each_task_gets_the_id_current_when_it_was_submitted() -> None:
    with ContextExecutor(max_workers=1) as pool:
        futures = []
        for request_id in ("a", "b"):
            token = set_request_id(request_id)
            futures.append(pool.submit(current_request_id))
            reset_request_id(token)
        assert [f.result() for f in futures] == ["a", "b"]


def test_a_json_line_with_an_unserialisable_extra_still_is_json() -> None:
    record = logging.LogRecord("bot.test", logging.INFO, __file__, 1, "m", (), None)
    record.__dict__["thing"] = object()
    entry = json.loads(JsonFormatter().format(record))
    assert entry["thing"].startswith("<object object")


def test_a_slack_interaction_has_one_id_on_its_ack_line_and_its_listeners_lines(
    root: logging.Logger,
) -> None:
    out = io.StringIO()
    configure_logging("INFO", out, "json", force=True)
    with SlackRecorder() as slack:
        app = App(
            client=create_client(token="xoxb-test", api_url=slack.url),
            signing_secret=SIGNING_SECRET,
            process_before_response=False,
            listener_executor=ContextExecutor(max_workers=4, thread_name_prefix="slack-listener"),
        )
        instrument_app(app, Metrics())
        done = threading.Event()

        @app.command("/token")
        def command(ack: Ack) -> None:
            ack("hello")
            logging.getLogger("bot.test").info("after the ack")
            done.set()

        application = wsgi_app(app, ready=lambda: True)
        for _ in range(2):
            done.clear()
            body = urlencode(
                {"command": "/token", "text": "words-people-typed", "user_id": "U0ADA"}
                | {"team_id": "T0TOKENBOT", "trigger_id": "1.2.3", "channel_id": "C0GENERAL"}
            )
            assert _post(application, body).startswith("200")
            assert done.wait(5)
    assert current_request_id() is None  # the request's context ended with it
    entries = lines(out)
    acks = [e for e in entries if e["logger"] == "bot.slack.interactions"]
    after = [e for e in entries if e["message"] == "after the ack"]
    assert len(acks) == len(after) == 2
    for ack_line, listener_line in zip(acks, after, strict=True):
        assert ack_line["request_id"] == listener_line["request_id"]
        assert listener_line["thread"].startswith("slack-listener")
        assert ack_line["kind"] == "command"
        assert ack_line["command"] == "/token"
        assert ack_line["user"] == "U0ADA"
        assert ack_line["ack_ms"] >= 0
        assert ack_line["message"].startswith("slack command /token from U0ADA acked in")
    assert acks[0]["request_id"] != acks[1]["request_id"]
    assert "words-people-typed" not in out.getvalue()  # what people type is not logged


def _post(application: Any, body: str) -> str:
    headers = signed_headers(body, content_type="application/x-www-form-urlencoded")
    environ: dict[str, Any] = {
        "PATH_INFO": "/slack/events",
        "REQUEST_METHOD": "POST",
        "CONTENT_TYPE": headers["Content-Type"],
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_X_SLACK_REQUEST_TIMESTAMP": headers["X-Slack-Request-Timestamp"],
        "HTTP_X_SLACK_SIGNATURE": headers["X-Slack-Signature"],
    }
    setup_testing_defaults(environ)
    environ["wsgi.input"] = io.BytesIO(body.encode())
    status: list[str] = []
    b"".join(application(environ, lambda s, _h, _e=None: status.append(s)))
    return status[0]
