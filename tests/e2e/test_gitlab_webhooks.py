"""GitLab webhooks end to end: `tokenbot run` (HTTP mode) beside the GitLab simulator and a
Slack Web API recorder; `tokenbot webhooks install` registers the hook, the simulator's expiry
worker POSTs GitLab's `Resource Access Token Hook` to it over HTTP, and the reminder is posted
within seconds, without waiting for the scheduled sync (its first run is a minute after start).

The hook is sent as GitLab sends it 7 days before a project access token expires
(`doc/user/project/integrations/webhook_events.md`, "Project and group access token events";
`app/workers/personal_access_tokens/expiring_worker.rb` in gitlab-org/gitlab).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import requests

from bot.sandbox import AccessLevel, add_resource_token
from bot.sandbox.hook_sender import run_expiry_workers
from tests.cli_runner import run_tokenbot
from tests.support.request_world import REMINDERS, World, start_world

SECRET = "e2e-webhook-secret-not-real"
DEADLINE_SECONDS = 20.0


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    extra = {"TOKENBOT_GITLAB_WEBHOOK_SECRET": SECRET, "TOKENBOT_SYNC_INTERVAL_HOURS": "24"}
    with start_world(tmp_path, extra_env=extra) as started:
        yield started


def _install(world: World) -> str:
    result = run_tokenbot("webhooks", "install", "--url", world.bot.url, env=world.env)
    assert result.code == 0, result.err
    return result.out


def _reminder_of(world: World, name: str) -> dict[str, object]:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        for call in world.slack.calls_to("chat.postMessage"):
            if call.args.get("channel") == REMINDERS and name in json.dumps(call.args):
                return call.args
        time.sleep(0.05)
    raise AssertionError(f"no reminder of {name!r} within {DEADLINE_SECONDS} s")


def _expiring_in_7_days(world: World, name: str) -> None:
    state = world.sim.state
    api = state.project_by_full_path("acme/platform/api")
    assert api is not None
    add_resource_token(
        state,
        api,
        name=name,
        level=AccessLevel.REPORTER,
        expires_at=state.today() + timedelta(days=7),
    )


def test_install_twice_leaves_one_hook_per_group(world: World) -> None:
    first, second = _install(world), _install(world)
    assert "acme: created hook" in first
    assert "acme: updated hook" in second
    acme = world.sim.state.group_by_full_path("acme")
    assert acme is not None
    (hook,) = world.sim.state.group_hooks.of_group(acme.id)
    assert hook.url == f"{world.bot.url}/gitlab/webhook"
    assert hook.events["resource_access_token_events"]
    checked = run_tokenbot("check", "--json", env=world.env)
    (line,) = [r for r in json.loads(checked.out)["checks"] if r["name"] == "gitlab.webhook"]
    assert line["status"] == "pass"
    assert line["target"] == "acme"


def test_gitlabs_expiring_token_hook_posts_the_reminder_within_seconds(world: World) -> None:
    _install(world)
    _expiring_in_7_days(world, "release-notes-bot")
    started = time.monotonic()
    deliveries = run_expiry_workers(world.sim.state)
    assert len(deliveries) == 2  # this one, and acme's nightly-export (5 days left)
    assert {d.status for d in deliveries} == {200}
    reminder = _reminder_of(world, "release-notes-bot")
    assert time.monotonic() - started < DEADLINE_SECONDS
    assert "expires in 7 days" in json.dumps(reminder["blocks"])
    world.bot.wait_for_line("webhook refresh of acme: done")
    assert "scheduled job inventory-sync" not in "".join(world.bot._lines)

    # GitLab retries a delivery it thinks failed: a duplicate posts nothing twice.
    acme = world.sim.state.group_by_full_path("acme")
    assert acme is not None
    (hook,) = world.sim.state.group_hooks.of_group(acme.id)
    world.sim.state.group_hooks.notified.clear()
    assert {d.status for d in run_expiry_workers(world.sim.state)} == {200}
    _wait_for_lines(world, "webhook refresh of acme: done", 2)
    posted = [
        c
        for c in world.slack.calls_to("chat.postMessage")
        if "release-notes-bot" in json.dumps(c.args)
    ]
    assert len(posted) == 1
    assert hook.token == SECRET


def _wait_for_lines(world: World, text: str, count: int) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        if sum(text in line for line in list(world.bot._lines)) >= count:
            return
        time.sleep(0.05)
    raise AssertionError(f"{text!r} not logged {count} times")


def _payload() -> bytes:
    return json.dumps(
        {
            "object_kind": "access_token",
            "project": {"path_with_namespace": "acme/platform/api"},
            "object_attributes": {"id": 1, "name": "x", "expires_at": "2030-01-01"},
            "event_name": "expiring_access_token",
        }
    ).encode()


def test_a_wrong_or_missing_secret_gets_401_and_changes_nothing(world: World) -> None:
    url = f"{world.bot.url}/gitlab/webhook"
    _expiring_in_7_days(world, "release-notes-bot")
    event = {"X-Gitlab-Event": "Resource Access Token Hook", "Content-Type": "application/json"}
    for token in ({"X-Gitlab-Token": "wrong"}, {}, {"X-Gitlab-Token": SECRET + "x"}):
        answer = requests.post(url, data=_payload(), headers=event | token, timeout=10)
        assert answer.status_code == 401
    too_big = requests.post(
        url,
        data=b"{" + b" " * (300 * 1024) + b"}",
        headers=event | {"X-Gitlab-Token": SECRET},
        timeout=10,
    )
    assert too_big.status_code == 413
    unknown = requests.post(
        url,
        data=b'{"object_kind":"push"}',
        headers={"X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": SECRET},
        timeout=10,
    )
    assert unknown.status_code == 200
    assert unknown.json() == {"status": "ignored"}
    # Only the authenticated delivery of a known event sets off a refresh.
    good = requests.post(
        url, data=_payload(), headers=event | {"X-Gitlab-Token": SECRET}, timeout=10
    )
    assert good.status_code == 200
    _reminder_of(world, "release-notes-bot")
    _wait_for_lines(world, "webhook refresh of acme", 1)
    log = "".join(world.bot._lines)
    assert log.count("webhook refresh of acme") == 1
    assert log.count("webhook refused: missing or wrong X-Gitlab-Token") == 3
    assert SECRET not in log


def test_a_member_added_in_gitlab_brings_the_sync_forward(world: World) -> None:
    """A `Member Hook` (a member added to acme/platform through GitLab's API) makes tokenbot
    read acme again at once; what became due then (nightly-export, 5 days left) is posted."""
    _install(world)
    platform = world.sim.state.group_by_full_path("acme/platform")
    erin = world.sim.state.add_user("erin")
    assert platform is not None
    added = requests.post(
        f"{world.gitlab_url}/api/v4/groups/{platform.id}/members",
        headers={"PRIVATE-TOKEN": world.env["GITLAB_TOKEN"]},
        data={"user_id": erin.id, "access_level": 30},
        timeout=10,
    )
    assert added.status_code == 201, added.text
    _reminder_of(world, "nightly-export")
    world.bot.wait_for_line("webhook user_add_to_group for platform")
    world.bot.wait_for_line("webhook refresh of acme: done")


def test_in_socket_mode_the_webhook_is_served_on_port_when_its_secret_is_set(
    tmp_path: Path,
) -> None:
    """Socket Mode needs no inbound HTTP for Slack, but GitLab's hooks do: with the secret set,
    `tokenbot run` serves /gitlab/webhook (and /healthz) on its port, and acts on deliveries."""
    extra = {"TOKENBOT_GITLAB_WEBHOOK_SECRET": SECRET, "TOKENBOT_SYNC_INTERVAL_HOURS": "24"}
    with start_world(tmp_path, extra_env=extra, socket_mode=True) as world:
        assert world.bot.url.startswith("http://127.0.0.1:")
        url = f"{world.bot.url}/gitlab/webhook"
        event = {"X-Gitlab-Event": "Resource Access Token Hook"}
        refused = requests.post(url, data=_payload(), headers=event, timeout=10)
        assert refused.status_code == 401
        answer = requests.post(
            url, data=_payload(), headers=event | {"X-Gitlab-Token": SECRET}, timeout=10
        )
        assert answer.json() == {"status": "queued"}
        _reminder_of(world, "nightly-export")
