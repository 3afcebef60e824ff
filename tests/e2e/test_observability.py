"""Observability of `tokenbot run`: JSON log lines with one request id per Slack interaction,
and Prometheus metrics at /metrics.

The bot's standard error is a pipe, not a terminal, so it logs JSON (TOKENBOT_LOG_FORMAT=auto).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.support.bot_process import BOT_TOKEN, BotProcess, start_bot
from tests.support.slack_api import SlackRecorder
from tests.support.slack_requests import SlackDriver

ADA, BEN = "U0ADA", "U0BEN"
FAMILIES = {
    "tokenbot_database_up",
    "tokenbot_requests",
    "tokenbot_tracked_tokens",
    "tokenbot_reminders_posted",
    "tokenbot_provisioning_seconds",
    "tokenbot_provisioning_failures",
    "tokenbot_gitlab_api_errors",
    "tokenbot_slack_api_errors",
}


@pytest.fixture
def slack() -> Iterator[SlackRecorder]:
    with SlackRecorder() as recorder:
        yield recorder


@pytest.fixture
def bot(slack: SlackRecorder, tmp_path: Path) -> Iterator[BotProcess]:
    process = start_bot(
        slack_api_url=slack.url, data_dir=tmp_path, extra_env={"TOKENBOT_LOG_LEVEL": "DEBUG"}
    )
    yield process
    process.stop()


def _entries(log: str) -> list[dict[str, Any]]:
    """Every line of the log, each a JSON object (json.loads fails the test otherwise)."""
    return [json.loads(line) for line in log.splitlines() if line.strip()]


def test_each_interaction_has_one_request_id_on_its_ack_and_its_listeners_lines(
    bot: BotProcess, slack: SlackRecorder
) -> None:
    driver = SlackDriver(bot.url)
    assert driver.command(ADA, "which").status_code == 200
    slack.wait_for("chat.postMessage")  # the listener went on after the ack: a DM
    assert driver.command(BEN, "help").status_code == 200
    time.sleep(0.3)
    entries = _entries(bot.stop())

    acks = [e for e in entries if e["logger"] == "bot.slack.interactions"]
    assert [(a["kind"], a["command"], a["user"]) for a in acks] == [
        ("command", "/token", ADA),
        ("command", "/token", BEN),
    ]
    first, second = (a["request_id"] for a in acks)
    assert first != second
    for ack in acks:
        assert isinstance(ack["ack_ms"], int | float)
        assert ack["ts"].endswith("Z")
        assert ack["level"] == "INFO"
    # The listener thread's own lines (Slack Web API calls after the ack) carry the same id.
    listener_lines = [e for e in entries if e.get("request_id") == first and e is not acks[0]]
    assert any(e["thread"].startswith("slack-listener") for e in listener_lines)
    assert any("conversations.open" in e["message"] for e in listener_lines)
    # Lines outside any interaction (start-up, shutdown) have none.
    assert not [e for e in entries if "stopping" in e["message"] and "request_id" in e]


def test_metrics_answer_with_every_family(bot: BotProcess) -> None:
    response = requests.get(f"{bot.url}/metrics", timeout=5)
    assert response.status_code == 200
    families = {f.name: f for f in text_string_to_metric_families(response.text)}
    assert set(families) >= FAMILIES
    up = families["tokenbot_database_up"].samples
    assert [s.value for s in up] == [1.0]
    assert requests.get(f"{bot.url}/healthz", timeout=5).text == "ok\n"


def test_a_refused_slack_call_is_counted(bot: BotProcess, slack: SlackRecorder) -> None:
    slack.fail_next("conversations.open", error="user_not_found")
    SlackDriver(bot.url).command(ADA, "which")
    slack.wait_for("conversations.open")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        text = requests.get(f"{bot.url}/metrics", timeout=5).text
        if 'error="user_not_found"' in text:
            break
        time.sleep(0.1)
    families = {f.name: f for f in text_string_to_metric_families(text)}
    samples = [
        s
        for s in families["tokenbot_slack_api_errors"].samples
        if s.name.endswith("_total") and s.labels["method"] == "conversations.open"
    ]
    assert [(s.labels["error"], s.value) for s in samples] == [("user_not_found", 1.0)]


def test_the_bot_token_never_appears_in_the_log(bot: BotProcess) -> None:
    SlackDriver(bot.url).command(ADA, "help")
    log = bot.stop()
    assert "DEBUG" in log
    assert BOT_TOKEN not in log
