"""A Slack world for request tests: `tokenbot run`, the GitLab simulator and a recorder.

Acme has `acme/platform/api` and `acme/payments/checkout`; alice is Maintainer of
acme/platform, olga and omar Owners of acme, dan Developer of acme/platform. Requests under
acme/payments go to their own approvals channel.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from bot.sandbox import GitlabSimulator, SandboxServer
from tests.support.acme import seed_acme
from tests.support.bot_process import APP_TOKEN, BOT_TOKEN, BotProcess, start_bot
from tests.support.slack_api import SlackRecorder
from tests.support.slack_requests import SlackDriver, submit
from tests.support.socket_mode import SocketModeDriver, SocketModeServer

ALICE, OLGA, OMAR, DAN = "U0ALICE", "U0OLGA", "U0OMAR", "U0DAN"
APPROVALS = "C0APPROVALS"
PAYMENTS = "C0PAYMENTS"
REMINDERS = "C0REMINDERS"
IN_30 = (datetime.now(UTC).date() + timedelta(days=30)).isoformat()


@dataclass
class World:
    sim: GitlabSimulator
    slack: SlackRecorder
    bot: BotProcess
    driver: SlackDriver
    data_dir: Path
    gitlab_url: str
    env: dict[str, str]  # the bot's settings, to run other tokenbot commands beside it
    socket_mode: SocketModeServer | None = None  # Slack's Socket Mode side, if it uses it


USER_MAP = f"{ALICE}=alice,{OLGA}=olga,{OMAR}=omar,{DAN}=dan"


@contextmanager
def start_world(
    data_dir: Path,
    *,
    extra_env: dict[str, str] | None = None,
    setup: Callable[[GitlabSimulator], None] | None = None,
    socket_mode: bool = False,
    port: int | None = 0,
) -> Iterator[World]:
    """A world in `data_dir`; `extra_env` adds to or replaces the bot's settings (for `tokenbot
    run` and `World.env` alike), `setup` changes the simulator before the bot starts.
    `socket_mode`: the bot connects to a Socket Mode stand-in, and `driver` speaks over it;
    `port` as for `start_bot`."""
    sim = GitlabSimulator()
    bot_token = seed_acme(sim)
    if setup is not None:
        setup(sim)
    with SandboxServer(sim) as gitlab, SlackRecorder() as slack, ExitStack() as stack:
        stand_in = stack.enter_context(SocketModeServer(slack)) if socket_mode else None
        env = {
            "GITLAB_URL": gitlab.url,
            "GITLAB_TOKEN": bot_token,
            "TOKENBOT_APPROVALS_CHANNEL": APPROVALS,
            "TOKENBOT_APPROVALS_ROUTES": f"acme/payments={PAYMENTS}",
            "TOKENBOT_SECRET_KEY": "test-only-key-0123456789-abcdefghijklmnop",
            "TOKENBOT_USER_MAP": USER_MAP,
            "TOKENBOT_LOG_LEVEL": "DEBUG",
            "TOKENBOT_WATCHED_GROUPS": "acme",
            "TOKENBOT_REMINDERS_CHANNEL": REMINDERS,
            **(extra_env or {}),
        }
        app_token = APP_TOKEN if socket_mode else None
        bot = start_bot(
            slack_api_url=slack.url,
            data_dir=data_dir,
            extra_env=env,
            app_token=app_token,
            port=port,
        )
        env = {
            **env,
            "TOKENBOT_DATA_DIR": str(data_dir),
            "SLACK_API_URL": slack.url,
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            **({"SLACK_APP_TOKEN": app_token} if app_token else {}),
        }
        try:
            driver = SlackDriver(bot.url, response_url=slack.hooks_url)
            if stand_in is not None:
                stand_in.wait_connected()
                driver = SocketModeDriver(stand_in, response_url=slack.hooks_url)
            yield World(sim, slack, bot, driver, data_dir, gitlab.url, env, stand_in)
        finally:
            bot.stop()


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with start_world(tmp_path) as started:
        yield started


# GitLab made slow for the tests that prove a submit acks before asking it: slower than an
# ack may take, so one GitLab call before the ack fails the test, and no slower (each GitLab
# call after the ack costs a test this long). Slack itself gives up after 3 s.
SLOW_GITLAB_MS = 1200
ACK_WITHIN_S = 1.0

ANSWERS: dict[str, Any] = {
    "target": "acme/platform/api",
    "token_type": "project_access_token",
    "name": "release-notes",
    "scopes": ["read_api"],
    "role": "20",
    "expires_on": IN_30,
    "reason": "CI reads merged MRs to write release notes",
    "delivery": "reveal",
}


def open_form(world: World, user: str) -> dict[str, Any]:
    before = len(world.slack.calls_to("views.open"))
    assert world.driver.command(user, "request").status_code == 200
    return world.slack.wait_for("views.open", before + 1)[-1].args["view"]


@dataclass
class FormOutcome:
    """How a submit of the request form ended, as the person sees the modal."""

    response: requests.Response  # the ack
    errors: dict[str, str]  # field -> the problem shown (the ack's errors, or GitLab's)
    view: dict[str, Any] | None  # the modal after GitLab's check (None: refused in the ack)

    @property
    def sent(self) -> bool:
        return self.response.status_code == 200 and not self.errors and self.view is not None

    @property
    def in_ack(self) -> bool:
        """Refused in the ack itself (field errors, no GitLab asked)."""
        return self.view is None and bool(self.errors)


def send_form(
    world: World,
    user: str,
    view: dict[str, Any],
    answers: dict[str, Any],
    *,
    forged: dict[str, Any] | None = None,
    view_hash: str | None = None,
) -> FormOutcome:
    """Submit the request form (or any modal whose submit acks with "Checking with GitLab…")
    and wait for how it ends."""
    return timed_send(world, user, view, answers, forged=forged, view_hash=view_hash)[0]


def timed_send(
    world: World,
    user: str,
    view: dict[str, Any],
    answers: dict[str, Any],
    *,
    forged: dict[str, Any] | None = None,
    view_hash: str | None = None,
    timeout: float = 10.0,
) -> tuple[FormOutcome, float]:
    """As `send_form`, and the seconds the ack took (the signed POST sent -> its answer);
    `timeout`: how long the work after the ack may take to end in the modal."""
    before = len(world.slack.calls_to("views.update"))
    started = time.monotonic()
    response = submit(world.driver, user, view, answers, forged=forged, view_hash=view_hash)
    acked_in = time.monotonic() - started
    return form_outcome(world, response, before, timeout=timeout), acked_in


def form_outcome(
    world: World, response: requests.Response, before: int, *, timeout: float = 10.0
) -> FormOutcome:
    """The outcome of a submit whose ack is `response`; `before`: views.update calls then."""
    assert response.status_code == 200, (response.status_code, response.text)
    ack = response.json()
    if ack.get("response_action") == "errors":
        return FormOutcome(response, dict(ack["errors"]), None)
    assert ack.get("response_action") == "update", ack
    assert "Checking with GitLab" in json.dumps(ack["view"]), ack
    final = world.slack.wait_for("views.update", before + 1, timeout)[before].args["view"]
    return FormOutcome(response, problems_shown(final), final)


def problems_shown(view: dict[str, Any]) -> dict[str, str]:
    """Field -> the problem the redrawn form marks under it."""
    shown = {}
    for block in view["blocks"]:
        block_id = str(block.get("block_id", ""))
        if block_id.startswith("problem."):
            words = block["elements"][0]["text"]
            shown[block_id.removeprefix("problem.")] = words.removeprefix(":warning: ")
    return shown


def change_form(
    world: World, user: str, form: dict[str, Any], block: str, answers: dict[str, Any]
) -> dict[str, Any]:
    """Give `block` its answer in the open form (Enter in a path, a type or delivery picked);
    the form as the bot redraws it."""
    before = len(world.slack.calls_to("views.update"))
    picked = answers[block] if block != "target" else None
    response = world.driver.click_in_view(
        user,
        form,
        "value",
        view_type="modal",
        answers=answers,
        selected=picked,
        block_id=block,
    )
    assert response.status_code == 200
    view: dict[str, Any] = world.slack.wait_for("views.update", before + 1)[before].args["view"]
    return view


def request_token(world: World, user: str = ALICE, **answers: Any) -> FormOutcome:
    """Fill in the form and submit it; a delivery into a variable is chosen first (only then
    does the form show the variable's fields)."""
    chosen = {**ANSWERS, **answers}
    form = open_form(world, user)
    if chosen.get("delivery") == "ci_variable":
        form = change_form(world, user, form, "delivery", chosen)
    return send_form(world, user, form, chosen)


def card_in(world: World, count: int = 1, channel: str = APPROVALS) -> dict[str, Any]:
    """The `count`th approval card posted to `channel`, as Slack holds it."""
    for _ in range(200):
        posted = [
            c for c in world.slack.calls_to("chat.postMessage") if c.args.get("channel") == channel
        ]
        if len(posted) >= count:
            call = posted[count - 1]
            return {"channel": channel, "ts": call.answer["ts"], "blocks": call.args["blocks"]}
        threading.Event().wait(0.05)
    raise AssertionError(f"no card number {count} in {channel}")


def dm_with_button(
    world: World, user: str, action_id: str = "request.reveal", nth: int = 1
) -> dict[str, Any]:
    """The `nth` DM to `user` that has the button `action_id`, as Slack would hold it."""
    for _ in range(200):
        found = [
            {"channel": user, "ts": call.answer["ts"], "blocks": call.args["blocks"]}
            for call in world.slack.calls_to("chat.postMessage")
            if call.args.get("channel") == user and action_id in json.dumps(call.args.get("blocks"))
        ]
        if len(found) >= nth:
            return found[nth - 1]
        threading.Event().wait(0.05)
    raise AssertionError(f"no DM with {action_id} to {user}")


def audit_actions(world: World) -> list[str]:
    """The action of every audit event, oldest first (`tokenbot audit export`)."""
    from tests.cli_runner import run_tokenbot

    exported = run_tokenbot("audit", "export", env=world.env)
    assert exported.code == 0, exported.err
    return [json.loads(line)["action"] for line in exported.out.splitlines() if line.strip()]
