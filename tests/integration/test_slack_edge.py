"""Slack's endpoint over HTTP: what it answers to bodies that are no Slack payload, to bodies
over the size cap and to requests Slack did not sign (just now); driven by (mostly signed) HTTP
requests to the app `create_app` builds (tests/support/edge_app.py)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import pytest
import requests

from bot.slack.edge import MAX_BODY_BYTES
from tests.support.edge_app import FORM, JSON, Edge, command, edge, served, tracebacks
from tests.support.fuzz_payloads import signature

__all__ = ["edge", "served"]  # the fixtures


# ----------------------------------------------------------------------- bodies and signatures


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        pytest.param(b"[]", JSON, id="a JSON array"),
        pytest.param(b"null", JSON, id="JSON null"),
        pytest.param(b'{"type": "event_callback", "event": ', JSON, id="broken JSON"),
        pytest.param(b"[" * 20_000 + b"]" * 20_000, JSON, id="JSON nested too deep"),
        pytest.param(b"payload=not-json", FORM, id="a payload that is not JSON"),
        pytest.param(b"payload=%5B%5D", FORM, id="a payload that is a JSON array"),
        pytest.param(b"foo=bar", FORM, id="a form without payload"),
        pytest.param(b"xpayloadx=1", FORM, id="a form that only names payload"),
        pytest.param(b"", FORM, id="no body"),
        pytest.param(b"payload=\xff\xfe\xc3(", FORM, id="bytes that are not UTF-8"),
        pytest.param(b'{"type": "url_verification", "x": "\xff"}', JSON, id="JSON not in UTF-8"),
        pytest.param(b'{"type": "event_callback", "event": "type"}', JSON, id="an event as text"),
        pytest.param(b'{"type": "block_actions", "actions": []}', JSON, id="no actions"),
        pytest.param(
            b'{"type": "view_submission", "view": {"callback_id": "x"}}',
            JSON,
            id="a view without type",
        ),
        pytest.param(
            b'{"type": "event_callback", "authorizations": "x"}', JSON, id="bad authorizations"
        ),
    ],
)
def test_a_signed_body_that_is_no_slack_payload_gets_400_without_a_traceback(
    edge: Edge, caplog: pytest.LogCaptureFixture, body: bytes, content_type: str
) -> None:
    caplog.set_level(logging.DEBUG)
    answer, _ = edge.post(body, content_type)
    assert answer.status_code == 400
    assert tracebacks(caplog) == []
    refused = [r for r in caplog.records if r.name == "bot.slack.edge"]
    assert [r.levelname for r in refused] == ["WARNING"]


@pytest.mark.parametrize(
    "how",
    ["unsigned", "wrong secret", "stale", "from the future", "bad timestamp", "tampered"],
)
def test_a_request_slack_did_not_sign_just_now_gets_401_and_reaches_no_listener(
    edge: Edge, caplog: pytest.LogCaptureFixture, how: str
) -> None:
    caplog.set_level(logging.DEBUG)
    body, now = command("/boom"), int(time.time())
    sent: dict[str, Callable[[], tuple[requests.Response, float]]] = {
        "unsigned": lambda: edge.post(body, signed=False),
        "wrong secret": lambda: edge.post(body, secret="not-the-secret"),
        "stale": lambda: edge.post(body, timestamp=now - 301),
        "from the future": lambda: edge.post(body, timestamp=now + 301),
        "bad timestamp": lambda: edge.post(
            body,
            signed=False,
            extra={"X-Slack-Request-Timestamp": "12ab", "X-Slack-Signature": "v0=00"},
        ),
        "tampered": lambda: edge.post(
            body + b"&text=approve",
            signed=False,
            extra={
                "X-Slack-Request-Timestamp": str(now),
                "X-Slack-Signature": signature(body, str(now)),
            },
        ),
    }
    answer, _ = sent[how]()
    assert answer.status_code == 401
    assert edge.ran == []
    assert tracebacks(caplog) == []


@pytest.mark.parametrize("body", [b"payload=\xff\xfe", b"[]", b"payload=not-json"])
def test_unsigned_garbage_gets_401_not_400(edge: Edge, body: bytes) -> None:
    answer, _ = edge.post(body, signed=False)
    assert answer.status_code == 401  # the signature is checked before the body is read


def test_a_signature_just_inside_five_minutes_is_accepted(edge: Edge) -> None:
    answer, _ = edge.post(command("/token", "help"), timestamp=int(time.time()) - 290)
    assert answer.status_code == 200
    assert "/token which" in answer.text


def test_a_body_over_the_cap_gets_413_and_is_not_checked_further(
    edge: Edge, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    answer, _ = edge.post(b"payload=" + b"A" * MAX_BODY_BYTES, signed=False)
    assert answer.status_code == 413
    assert tracebacks(caplog) == []


def test_a_body_at_the_cap_is_read(edge: Edge) -> None:
    body = command("/token", "help")
    padded = body + b"&pad=" + b"A" * (MAX_BODY_BYTES - len(body) - 5)
    assert len(padded) == MAX_BODY_BYTES
    answer, _ = edge.post(padded)
    assert answer.status_code == 200


def test_slacks_ssl_check_is_answered_unsigned_and_nothing_else_is(edge: Edge) -> None:
    answer, _ = edge.post(b"ssl_check=1&token=x", signed=False)
    assert (answer.status_code, answer.text) == (200, "")
    answer, _ = edge.post(b"ssl_check=1&command=%2Fboom", signed=False)
    assert answer.status_code == 401


def test_only_post_reaches_slacks_endpoint(edge: Edge) -> None:
    answer = requests.get(f"{edge.url}/slack/events", timeout=5)
    assert answer.status_code == 405
    assert requests.get(f"{edge.url}/elsewhere", timeout=5).status_code == 404


def test_bolts_own_lazy_headers_from_outside_are_dropped(edge: Edge) -> None:
    """Bolt treats a request marked lazy-only as its own call to a lazy listener: no ack."""
    answer, seconds = edge.post(command("/token", "help"), extra={"X-Slack-Bolt-Lazy-Only": "1"})
    assert answer.status_code == 200
    assert "/token which" in answer.text
    assert seconds < 1.0
