"""The advisor in Slack, end to end: `tokenbot run` over HTTP, signed requests, a recorder."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.cli_runner import run_tokenbot
from tests.support.bot_process import BOT_TOKEN, BotProcess, start_bot
from tests.support.slack_api import SlackRecorder
from tests.support.slack_requests import SlackDriver

ADA, BEN = "U0ADA", "U0BEN"


@pytest.fixture
def slack() -> Iterator[SlackRecorder]:
    with SlackRecorder() as recorder:
        yield recorder


@pytest.fixture
def bot(slack: SlackRecorder, tmp_path: Path) -> Iterator[BotProcess]:
    process = start_bot(slack_api_url=slack.url, data_dir=tmp_path)
    yield process
    process.stop()


@pytest.fixture
def driver(bot: BotProcess) -> SlackDriver:
    return SlackDriver(bot.url)


def _texts(blocks: list[dict[str, Any]]) -> str:
    parts: list[str] = []
    for block in blocks:
        if isinstance(block.get("text"), dict):
            parts.append(block["text"]["text"])
        for item in block.get("fields", []) + block.get("elements", []):
            text = item.get("text")
            parts.append(text["text"] if isinstance(text, dict) else str(text or ""))
    return "\n".join(parts)


def _buttons(message: dict[str, Any]) -> dict[str, str]:
    """Button label -> action id, for clicking by what a person reads."""
    return {
        e["text"]["text"]: e["action_id"]
        for b in message["blocks"]
        for e in b.get("elements", [])
        if e.get("type") == "button"
    }


class Conversation:
    """The bot's advisor message as the person sees it, updated after each click."""

    def __init__(self, slack: SlackRecorder, driver: SlackDriver, user: str) -> None:
        self.slack, self.driver, self.user = slack, driver, user
        posted = slack.wait_for("chat.postMessage")[-1]
        self.message = {
            "channel": posted.answer["channel"],
            "ts": posted.answer["ts"],
            "blocks": posted.args["blocks"],
        }
        self.updates = 0

    def click(
        self, label: str, *, selected: list[str] | None = None, as_user: str | None = None
    ) -> requests.Response:
        action_id = _buttons(self.message)[label]
        response = self.driver.click(
            as_user or self.user, self.message, action_id, selected=selected
        )
        assert response.status_code == 200
        return response

    def advance(self, label: str, *, selected: list[str] | None = None) -> str:
        self.click(label, selected=selected)
        self.updates += 1
        update = self.slack.wait_for("chat.update", self.updates)[-1]
        assert update.args["ts"] == self.message["ts"]
        self.message["blocks"] = update.args["blocks"]
        return _texts(update.args["blocks"])


def test_health_and_readiness_endpoints_answer(bot: BotProcess) -> None:
    assert requests.get(f"{bot.url}/healthz", timeout=5).text == "ok\n"
    assert requests.get(f"{bot.url}/readyz", timeout=5).status_code == 200


def test_sigterm_stops_run_while_a_client_keeps_its_connection_open(bot: BotProcess) -> None:
    # Slack and load balancers keep connections alive; a held connection must not keep the
    # process running after SIGTERM (it did: waitress loops while any connection is open).
    with requests.Session() as client:
        assert client.get(f"{bot.url}/healthz", timeout=5).status_code == 200
        log = bot.stop()  # times out (and fails) if the process keeps running
    assert "received signal 15, stopping" in log
    assert "stopped serving HTTP" in log
    assert bot.child.returncode == 0


def test_a_bad_signature_is_refused_with_401(driver: SlackDriver, slack: SlackRecorder) -> None:
    response = driver.direct_message(ADA, "which token should I use?", secret="wrong-secret")
    assert response.status_code == 401
    time.sleep(0.3)
    assert slack.calls_to("chat.postMessage") == []


def test_a_stale_timestamp_is_refused_with_401(driver: SlackDriver) -> None:
    response = driver.direct_message(ADA, "which token?", timestamp=int(time.time()) - 600)
    assert response.status_code == 401


def test_a_dm_walks_the_advisor_to_a_recommendation_with_buttons(
    driver: SlackDriver, slack: SlackRecorder
) -> None:
    started = time.monotonic()
    assert driver.direct_message(ADA, "which token should I use?").status_code == 200
    assert time.monotonic() - started < 3.0
    chat = Conversation(slack, driver, ADA)
    assert "What do you need the credential for?" in _texts(chat.message["blocks"])
    assert chat.message["channel"] == "D0ADA"
    assert "Will it run inside a GitLab CI/CD pipeline?" in chat.advance(
        "Automation that calls the GitLab API (bots, integrations, CI jobs)"
    )
    chat.advance("No")
    chat.advance("Yes")
    assert "What must the token be able to do?" in chat.advance("No")
    final = chat.advance("Continue", selected=["clone", "read_images"])
    assert "Recommendation: Project access token" in final
    assert "`read_repository`, `read_registry`" in final
    assert "Reporter (20)" in final
    assert "90 days" in final
    assert set(_buttons(chat.message)) == {"Back", "Start over"}


def test_back_and_start_over_buttons(driver: SlackDriver, slack: SlackRecorder) -> None:
    driver.direct_message(ADA, "which token?")
    chat = Conversation(slack, driver, ADA)
    chat.advance("Automation that calls the GitLab API (bots, integrations, CI jobs)")
    chat.advance("Yes")
    assert "Will it run inside a GitLab CI/CD pipeline?" in chat.advance("Back")
    assert "What do you need the credential for?" in chat.advance("Start over")
    assert "Back" not in _buttons(chat.message)


def test_continue_without_a_choice_asks_for_one(driver: SlackDriver, slack: SlackRecorder) -> None:
    driver.direct_message(ADA, "which token?")
    chat = Conversation(slack, driver, ADA)
    chat.advance("My own scripts and tools, acting as me")
    chat.click("Continue", selected=[])
    ephemeral = slack.wait_for("chat.postEphemeral")[-1]
    assert "pick at least one" in ephemeral.args["text"]
    assert ephemeral.args["user"] == ADA


def test_someone_else_cannot_click_through_my_conversation(
    driver: SlackDriver, slack: SlackRecorder
) -> None:
    driver.direct_message(ADA, "which token?")
    chat = Conversation(slack, driver, ADA)
    chat.click("Connect a GitLab Runner", as_user=BEN)
    ephemeral = slack.wait_for("chat.postEphemeral")[-1]
    assert ephemeral.args["user"] == BEN
    assert f"belongs to <@{ADA}>" in ephemeral.args["text"]
    time.sleep(0.3)
    assert slack.calls_to("chat.update") == []


def test_the_slash_command_moves_the_conversation_to_a_dm(
    driver: SlackDriver, slack: SlackRecorder
) -> None:
    response = driver.command(ADA, "which")
    assert response.status_code == 200
    assert "direct message" in response.text
    assert slack.wait_for("conversations.open")[-1].args["users"] == ADA
    assert slack.wait_for("chat.postMessage")[-1].args["channel"] == "D0ADA"


def test_the_slash_command_explains_itself(driver: SlackDriver) -> None:
    assert "/token which" in driver.command(ADA, "help").text
    assert "I don't know `frobnicate` yet" in driver.command(ADA, "frobnicate").text


def test_a_mention_answers_in_a_thread(driver: SlackDriver, slack: SlackRecorder) -> None:
    ts = "1700000300.000300"
    driver.event(
        {
            "type": "app_mention",
            "user": ADA,
            "text": "<@U0TOKENBOT> which token?",
            "ts": ts,
            "channel": "C0GENERAL",
            "event_ts": ts,
        }
    )
    posted = slack.wait_for("chat.postMessage")[-1]
    assert posted.args["channel"] == "C0GENERAL"
    assert posted.args["thread_ts"] == ts


def test_a_slack_rate_limit_is_waited_out(driver: SlackDriver, slack: SlackRecorder) -> None:
    slack.fail_next("chat.postMessage", status=429, retry_after=1)
    driver.direct_message(ADA, "which token?")
    assert len(slack.wait_for("chat.postMessage", 2)) == 2  # the 429, then the retry


def test_the_conversation_survives_a_restart(slack: SlackRecorder, tmp_path: Path) -> None:
    first = start_bot(slack_api_url=slack.url, data_dir=tmp_path)
    SlackDriver(first.url).direct_message(ADA, "which token?")
    chat = Conversation(slack, SlackDriver(first.url), ADA)
    chat.advance("Automation that calls the GitLab API (bots, integrations, CI jobs)")
    first.stop()
    second = start_bot(slack_api_url=slack.url, data_dir=tmp_path)
    try:
        chat.driver = SlackDriver(second.url)
        assert "Does the job need only the limited API" in chat.advance("Yes")
    finally:
        second.stop()


def test_a_refused_bot_token_stops_run_with_one_line(slack: SlackRecorder, tmp_path: Path) -> None:
    slack.fail_next("auth.test", error="invalid_auth")
    result = run_tokenbot(
        "run",
        "--port",
        "0",
        "--host",
        "127.0.0.1",
        env={
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": "x",
            "SLACK_API_URL": slack.url,
            "TOKENBOT_DATA_DIR": str(tmp_path),
        },
    )
    assert result.code == 2
    assert result.err.strip() == "tokenbot: SLACK_BOT_TOKEN was refused by Slack (invalid_auth)"


def test_run_without_a_signing_secret_names_it(tmp_path: Path) -> None:
    result = run_tokenbot(
        "run", env={"SLACK_BOT_TOKEN": BOT_TOKEN, "TOKENBOT_DATA_DIR": str(tmp_path)}
    )
    assert result.code == 2
    assert result.err.startswith("tokenbot: SLACK_SIGNING_SECRET is not set")
