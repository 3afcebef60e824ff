"""Shell and Slack are one system: with Slack configured, a request made in `tokenbot shell`
gets its approval card and the approvers' DMs in Slack, and a decision in either shows in
both (the shell reads the database; the shell updates Slack's card and tells Slack users).

`tokenbot run` and `tokenbot shell` side by side on one database (tests/support/
request_world.py): alice is Maintainer of acme/platform, olga and omar Owners, dan Developer.
The shell knows people by their GitLab username; Slack's U0ALICE is alice by TOKENBOT_USER_MAP.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.request_world import (
    ALICE,
    APPROVALS,
    DAN,
    OLGA,
    OMAR,
    World,
    card_in,
    dm_with_button,
    request_token,
    start_world,
)
from tests.support.shell_terminal import Terminal

_QUESTION = re.compile(r"tokenbot> (?P<label>[A-Z][^\[:\n]*?)(?: \[[^\]\n]*\])?:")
FIELDS = {
    "Project or group path": "acme/platform/api",
    "Token type": "project_access_token",
    "Name": "shell-reader",
    "Scopes": "read_api",
    "Role": "20",
    "Expires on": "+30",
    "Reason": "a nightly job reads merge requests",
    "Delivery": "reveal",
}


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with start_world(tmp_path) as started:
        yield started


@pytest.fixture
def shell(world: World) -> Iterator[Terminal]:
    terminal = Terminal(world.env, "alice")
    yield terminal
    terminal.close()


def _request_in_shell(shell: Terminal) -> str:
    said = shell.type("request")
    for _ in range(20):
        found = re.search(r"Request (\w+) is submitted", said)
        if found:
            return said
        asked = list(_QUESTION.finditer(said))
        if "Your request:" in said.rsplit("tokenbot> ", 1)[-1]:
            said = shell.type("")
        elif asked and asked[-1].group("label") in FIELDS:
            said = shell.type(FIELDS[asked[-1].group("label")])
        else:
            raise AssertionError(f"an unexpected question:\n{said}")
    raise AssertionError(f"the form did not end:\n{said}")


def test_a_shell_request_gets_its_card_and_dms_in_slack_and_a_slack_approval_shows_in_the_shell(
    world: World, shell: Terminal
) -> None:
    said = _request_in_shell(shell)
    short = re.search(r"Request (\w+) is submitted", said)
    assert short is not None
    sid = short.group(1)
    assert f"Its approval card is in Slack ({APPROVALS})" in said
    assert OLGA in said
    card = card_in(world)
    shown = json.dumps(card["blocks"])
    assert "shell-reader" in shown
    assert f"<@{OLGA}>" in shown
    olga_dm = dm_with_button(world, OLGA, "request.approve")
    assert "in tokenbot shell" in json.dumps(olga_dm["blocks"])
    assert not world.slack.calls_to("chat.postEphemeral")

    world.driver.click(OLGA, olga_dm, "request.approve")
    ready = world.slack.wait_for_message(ALICE, "made in tokenbot shell")
    assert f"reveal {sid}" in ready.args["text"]
    assert "request.reveal" not in json.dumps(ready.args.get("blocks"))  # the secret stays
    shown_in_shell = shell.type(f"show {sid}")
    assert f"approved by {OLGA}" in shown_in_shell
    assert "token created" in shown_in_shell
    assert "glpat-" in shell.type(f"reveal {sid}")


def test_a_slack_request_decided_in_the_shell_updates_the_card_and_tells_the_requester(
    world: World, shell: Terminal
) -> None:
    request_token(world, DAN)
    card = card_in(world)
    shell.become("olga")
    pending = shell.type("pending")
    found = re.search(r"^(\w{8})  U0DAN ", pending, re.MULTILINE)
    assert found is not None, pending
    approved = shell.type(f"approve {found.group(1)}")
    assert "that was the last approval needed" in approved
    assert "Slack was not updated" not in approved
    updated = world.slack.wait_for_update(APPROVALS, card["ts"], "token created")
    assert "request.approve" not in json.dumps(updated.args["blocks"])
    omar_dm = dm_with_button(world, OMAR, "request.approve")
    world.slack.wait_for_update(OMAR, omar_dm["ts"], "token created")
    dm_with_button(world, DAN, "request.reveal")  # the Slack requester gets the Reveal DM


def test_a_denial_in_the_shell_reaches_the_slack_requester(world: World, shell: Terminal) -> None:
    request_token(world, DAN)
    card = card_in(world)
    shell.become("omar")
    pending = shell.type("pending")
    found = re.search(r"^(\w{8})  U0DAN ", pending, re.MULTILINE)
    assert found is not None, pending
    assert "Denied" in shell.type(f"deny {found.group(1)} use the CI job token")
    assert "use the CI job token" in world.slack.wait_for_message(DAN, "denied").args["text"]
    world.slack.wait_for_update(APPROVALS, card["ts"], "Denied by")
