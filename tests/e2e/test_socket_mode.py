"""`tokenbot run` in Socket Mode, end to end: it connects out to a Socket Mode stand-in
(tests/support/socket_mode.py) with its app token, and everything Slack sends arrives as an
envelope the bot acks on the WebSocket; the Web API is the recorder, GitLab the simulator.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.support.bot_process import APP_TOKEN, signal_thread
from tests.support.request_world import (
    ALICE,
    OLGA,
    World,
    card_in,
    dm_with_button,
    request_token,
    start_world,
)
from tests.support.socket_mode import SocketModeServer

SIGN_IN = {
    "TOKENBOT_GITLAB_OAUTH_CLIENT_ID": "app-id",
    "TOKENBOT_GITLAB_OAUTH_CLIENT_SECRET": "gloas-app-secret-not-real",
    "TOKENBOT_PUBLIC_URL": "https://tokenbot.example.com/",
}


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with start_world(tmp_path, socket_mode=True) as started:
        yield started


def _stand_in(world: World) -> SocketModeServer:
    assert world.socket_mode is not None
    return world.socket_mode


def _free_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port: int = probe.getsockname()[1]
    return port


def test_it_connects_with_its_app_token_and_the_advisor_answers_a_command_and_a_dm(
    world: World,
) -> None:
    opened = world.slack.wait_for("apps.connections.open")
    assert [c.authorization for c in opened] == [f"Bearer {APP_TOKEN}"]
    _stand_in(world).ping()
    response = world.driver.command(ALICE, "which")
    assert response.status_code == 200
    assert "direct message" in response.text
    assert world.slack.wait_for("chat.postMessage")[-1].args["channel"] == "D0ALICE"
    assert world.driver.direct_message(ALICE, "which token should I use?").text == ""
    posted = world.slack.wait_for("chat.postMessage", 2)[-1]
    assert "What do you need the credential for?" in json.dumps(posted.args["blocks"])


def test_request_approve_reveal_then_sigterm_stops_it_cleanly(world: World) -> None:
    response = request_token(world)
    assert response.sent
    card = card_in(world)
    assert "release-notes" in json.dumps(card["blocks"])
    assert world.driver.click(OLGA, card, "request.approve").status_code == 200
    dm = dm_with_button(world, ALICE)
    assert world.driver.click(ALICE, dm, "request.reveal").status_code == 200
    reveal = world.slack.wait_for("views.open", 2)[-1]
    assert "```glpat-" in json.dumps(reveal.args["view"])

    log = world.bot.stop()
    assert world.bot.child.returncode == 0
    assert "received signal 15, stopping" in log
    assert _stand_in(world).open_connections == 0


@pytest.mark.skipif(sys.platform != "linux", reason="needs Linux threads in /proc and tgkill")
def test_a_sigterm_that_lands_on_a_worker_thread_stops_it_too(world: World) -> None:
    _stand_in(world).ping()  # connected, and its threads are all running
    pid = world.bot.child.pid
    workers = sorted(int(task) for task in os.listdir(f"/proc/{pid}/task") if int(task) != pid)
    signal_thread(pid, workers[-1], signal.SIGTERM)
    assert world.bot.child.wait(timeout=5) == 0


def test_after_slack_asks_it_to_reconnect_it_answers_on_the_new_connection(
    world: World,
) -> None:
    stand_in = _stand_in(world)
    stand_in.disconnect()
    stand_in.wait_connected(2)
    assert len(world.slack.wait_for("apps.connections.open", 2)) == 2
    response = world.driver.command(ALICE, "help")
    assert "/token which" in response.text
    assert response.ack.connection == 1


def test_socket_mode_serves_nothing_on_port_without_gitlab_sign_in(tmp_path: Path) -> None:
    port = _free_port()
    with start_world(tmp_path, socket_mode=True, port=None, extra_env={"PORT": str(port)}) as w:
        assert w.bot.url == ""
        assert "/token which" in w.driver.command(ALICE, "help").text
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=2).close()


def test_with_gitlab_sign_in_port_serves_health_and_the_sign_in_pages(tmp_path: Path) -> None:
    port = _free_port()
    env = {**SIGN_IN, "PORT": str(port)}
    with start_world(tmp_path, socket_mode=True, port=None, extra_env=env) as w:
        assert w.bot.url == f"http://127.0.0.1:{port}"
        health = requests.get(f"{w.bot.url}/healthz", timeout=5)
        assert (health.status_code, health.text) == (200, "ok\n")
        page = requests.get(f"{w.bot.url}/gitlab/oauth/callback", timeout=5)
        assert page.status_code == 400  # no code, no state: nothing to finish
        assert page.headers["Content-Type"].startswith("text/html")
        assert "Nothing was linked" in page.text
        # Slack reaches it over the WebSocket only: no Slack endpoint on PORT.
        assert requests.post(f"{w.bot.url}/slack/events", timeout=5).status_code == 404
        assert "/token which" in w.driver.command(ALICE, "help").text
