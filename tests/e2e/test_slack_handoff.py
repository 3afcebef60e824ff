"""Rotation with a hand-off, end to end: Rotate on a reminder (a signed Slack click to
`tokenbot run`), the GitLab simulator, `tokenbot sync` beside it.

GitLab's own rotate revokes the old token at once (its docs: "Rotate a project access
token"); a hand-off keeps the old secret working beside the new one until GitLab reports the
new one in use (`last_used_at` after it was made) or TOKENBOT_HANDOFF_HOURS pass, and the
next sync revokes the old one. SQLite in the bot's data directory; PostgreSQL when
TEST_DATABASE_URL is set (the kill test).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

from bot.sandbox import AccessLevel, GitlabSimulator, add_resource_token
from tests.cli_runner import run_tokenbot
from tests.e2e.test_exactly_once_faults import (
    TIMEOUT_S,
    Database,
    _past_the_timeout,
    _reconcile,
    _wait,
    database_url,
)
from tests.support.bot_process import start_bot
from tests.support.request_world import (
    ALICE,
    DAN,
    REMINDERS,
    World,
    dm_with_button,
    start_world,
)
from tests.support.slack_requests import SlackDriver

__all__ = ["database_url"]  # the fixture
NAME = "deployer"
OWNED = {"TOKENBOT_OWNERS": f"acme/platform/api={ALICE}"}


@contextmanager
def _world(tmp_path: Path, **env: str) -> Iterator[tuple[World, str]]:
    """acme/platform/api's `deployer` token (expiring in 5 days, owned by alice) and its
    secret, which the test holds as its consumers would."""
    old: dict[str, str] = {}

    def deployer(sim: GitlabSimulator) -> None:
        state = sim.state
        api = state.project_by_full_path("acme/platform/api")
        assert api is not None
        _, old["secret"] = add_resource_token(
            state,
            api,
            name=NAME,
            level=AccessLevel.REPORTER,
            scopes=("read_api",),
            expires_at=state.today() + timedelta(days=5),
        )

    with start_world(tmp_path, extra_env={**OWNED, **env}, setup=deployer) as world:
        yield world, old["secret"]


def _works(world: World, secret: str) -> bool:
    answer = requests.get(
        f"{world.gitlab_url}/api/v4/projects", headers={"PRIVATE-TOKEN": secret}, timeout=5
    )
    return answer.status_code == 200


def _sync(world: World, *, at: datetime | None = None) -> str:
    """`tokenbot sync`; `at`: in a process whose clock freezegun moved to that moment."""
    if at is None:
        synced = run_tokenbot("sync", env=world.env)
        assert synced.code == 0, synced.err
        return synced.out
    # The GitLab client's pacing measures intervals on the monotonic clock, which must keep
    # running at its own pace: freezegun leaves it to those modules (`ignore`).
    script = (
        "import sys; from datetime import datetime; from freezegun import freeze_time;"
        f" freeze_time(datetime.fromisoformat({at.isoformat()!r}), tick=True,"
        " ignore=['bot.gitlab.http', 'bot.gitlab.server_pace']).start();"
        " from bot.cli import main; sys.exit(main(['sync']))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **world.env},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _reminder(world: World) -> dict[str, Any]:
    posted = run_tokenbot("remind", env=world.env)
    assert posted.code == 0, posted.err
    (call,) = [
        c
        for c in world.slack.calls_to("chat.postMessage")
        if c.args.get("channel") == REMINDERS and NAME in json.dumps(c.args.get("blocks"))
    ]
    return {"channel": REMINDERS, "ts": call.answer["ts"], "blocks": call.args["blocks"]}


def _live(world: World) -> list[Any]:
    return [t for t in world.sim.state.tokens.values() if t.name == NAME and not t.revoked]


def _revealed(world: World, dm: dict[str, Any]) -> str:
    opened = len(world.slack.calls_to("views.open"))
    world.driver.click(ALICE, dm, "request.reveal")
    view = json.dumps(world.slack.wait_for("views.open", opened + 1)[-1].args["view"])
    return next(p.strip("`") for p in view.split('"') if p.startswith("```glpat-"))


def _dms(world: World, user: str) -> str:
    return json.dumps(
        [c.args for c in world.slack.calls_to("chat.postMessage") if c.args["channel"] == user]
    )


def _start_handoff(world: World) -> tuple[dict[str, Any], str]:
    """Rotate from the reminder: the hand-off DM and the new secret, revealed once."""
    _sync(world)
    reminder = _reminder(world)
    confirm = json.dumps(reminder["blocks"])
    assert "The old one keeps working until GitLab sees the new one in use" in confirm
    assert world.driver.click(ALICE, reminder, "reminder.rotate").status_code == 200
    controls = dm_with_button(world, ALICE, "handoff.revoke_old")
    said = json.dumps(controls["blocks"])
    assert "Hand-off under way" in said
    assert "Cancel hand-off" in said
    return controls, _revealed(world, dm_with_button(world, ALICE))


def test_the_old_secret_works_until_the_new_one_is_used_then_sync_revokes_it(
    tmp_path: Path,
) -> None:
    with _world(tmp_path) as (world, old):
        controls, new = _start_handoff(world)
        assert len(_live(world)) == 2
        assert _works(world, old), "the old secret keeps working during the hand-off"
        assert "finished" not in _sync(world)  # nobody used the new one yet
        assert _works(world, old)
        assert _works(world, new)  # a consumer switches: GitLab records the use
        out = _sync(world)
        assert "finished 1 hand-offs" in out
        assert not _works(world, old)
        assert _works(world, new)
        assert len(_live(world)) == 1
        told = _dms(world, ALICE)
        assert "GitLab saw the new" in told
        assert "was revoked" in told
        assert "finished" not in _sync(world)  # once
        # The successor is tracked, owned by alice, and reminded of; the old one is not.
        due = run_tokenbot("remind", "--dry-run", env=world.env).out
        assert due.count(NAME) <= 1
        # A button of an ended hand-off changes nothing.
        world.driver.click(ALICE, controls, "handoff.cancel")
        note = world.slack.wait_for("chat.postEphemeral")[-1].args["text"]
        assert "is over" in note
        assert _works(world, new)


def test_without_use_the_sync_after_the_deadline_revokes_the_old_one(tmp_path: Path) -> None:
    with _world(tmp_path, TOKENBOT_HANDOFF_HOURS="24") as (world, old):
        _start_handoff(world)
        soon = datetime.now(UTC) + timedelta(hours=23)
        assert "finished" not in _sync(world, at=soon)
        assert _works(world, old)
        later = datetime.now(UTC) + timedelta(hours=25)
        assert "finished 1 hand-offs" in _sync(world, at=later)
        assert not _works(world, old)
        assert "the hand-off deadline passed" in _dms(world, ALICE)


def test_cancel_revokes_the_new_token_and_keeps_the_old(tmp_path: Path) -> None:
    with _world(tmp_path) as (world, old):
        controls, new = _start_handoff(world)
        world.driver.click(DAN, controls, "handoff.cancel")  # a Developer, not the owner
        refusal = world.slack.wait_for("chat.postEphemeral")[-1].args["text"]
        assert refusal.startswith("Nothing changed")
        assert _works(world, new)
        world.driver.click(ALICE, controls, "handoff.cancel")
        _wait(lambda: not _works(world, new), "the new token to be revoked")
        assert _works(world, old)
        # The bot revokes in GitLab first and updates the DM after: wait for that update.
        _wait(lambda: "Hand-off cancelled" in _dm_updates(world), "the DM to say it is cancelled")
        assert "finished" not in _sync(world)
        assert _works(world, old)


def _dm_updates(world: World) -> str:
    updates = [c for c in world.slack.calls_to("chat.update") if c.args["channel"] == ALICE]
    return json.dumps([c.args for c in updates])


def test_revoke_the_old_one_now(tmp_path: Path) -> None:
    with _world(tmp_path) as (world, old):
        controls, new = _start_handoff(world)
        world.driver.click(ALICE, controls, "handoff.revoke_old")
        _wait(lambda: not _works(world, old), "the old token to be revoked")
        assert _works(world, new)


def test_kill_9_while_the_successor_is_made_loses_nothing(
    tmp_path: Path, database_url: str | None
) -> None:
    """GitLab makes the successor and answers 8 s later; the bot dies in between. After a
    restart the reconciler adopts the successor (a fresh secret for the requester), the hand-off
    is recorded, and the old secret worked all along."""
    settings = {
        "TOKENBOT_PROVISIONING_TIMEOUT_SECONDS": str(TIMEOUT_S),
        "TOKENBOT_GITLAB_RETRY_SECONDS": "1",
        **({"DATABASE_URL": database_url} if database_url else {}),
    }
    with _world(tmp_path / "data", **settings) as (world, old):
        db = Database(database_url or f"sqlite:///{world.data_dir / 'tokenbot.db'}")
        try:
            _sync(world)
            reminder = _reminder(world)
            world.sim.faults.latency(
                8000, method="POST", path="*/access_tokens", count=1, after=True
            )
            world.driver.click(ALICE, reminder, "reminder.rotate")
            _wait(lambda: len(_live(world)) == 2, "GitLab to make the successor")
            world.bot.child.kill()
            world.bot.child.wait(timeout=10)
            world.sim.faults.clear()
            assert _works(world, old)
            world.bot = start_bot(
                slack_api_url=world.slack.url, data_dir=world.data_dir, extra_env=world.env
            )
            world.driver = SlackDriver(world.bot.url, response_url=world.slack.hooks_url)
            _past_the_timeout(db)
            taken = _reconcile(world)
            assert len(taken["finished"]) == 1
            assert len(_live(world)) == 2  # adopted: no third token, the old one kept
            assert _works(world, old)
            new = _revealed(world, dm_with_button(world, ALICE))
            assert "Hand-off under way" in _dms(world, ALICE)
            assert _works(world, new)
            assert "finished 1 hand-offs" in _sync(world)
            assert not _works(world, old)
            assert len(_live(world)) == 1
        finally:
            if world.bot.log is None and world.bot.child.poll() is None:
                world.bot.stop()
            db.engine.dispose()
