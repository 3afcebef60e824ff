"""`kill -9` of `tokenbot run` while GitLab rotates a token: the reconciler ends the rotation.

The requester reveals the token and clicks Rotate; GitLab rotates it (the old secret dies, a
successor bearing the request's mark is live) and the bot is killed before the answer comes.
The request is left ROTATING, so Rotate refuses it. A new `tokenbot run` starts on the same
data; once TOKENBOT_PROVISIONING_TIMEOUT_SECONDS has passed, `tokenbot reconcile` sets it back
to provisioned on the successor and tells the requester, whose Rotate then gives a fresh
secret that works: one live credential bearing the mark, nothing stuck or unaccounted for.

SQLite in the bot's data directory by default; PostgreSQL when TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bot.domain.requests import RequestState
from tests.e2e.test_exactly_once_faults import (
    TIMEOUT_S,
    Database,
    _past_the_timeout,
    _reconcile,
    _revealed_digest,
    _wait,
    database_url,
)
from tests.support.bot_process import start_bot
from tests.support.marked_credentials import judge, live_of, marked
from tests.support.request_world import (
    ALICE,
    OLGA,
    World,
    card_in,
    dm_with_button,
    request_token,
    start_world,
)
from tests.support.slack_requests import SlackDriver

__all__ = ["database_url"]  # the fixture
ROTATE = "*/access_tokens/*/rotate"


def test_kill_9_mid_rotation_then_reconcile_and_rotate_works_again(
    tmp_path: Path, database_url: str | None
) -> None:
    settings = {
        "TOKENBOT_PROVISIONING_TIMEOUT_SECONDS": str(TIMEOUT_S),
        "TOKENBOT_GITLAB_TIMEOUT_SECONDS": "10",
        "TOKENBOT_GITLAB_RETRY_SECONDS": "1",
        "TOKENBOT_LOG_LEVEL": "INFO",
        **({"DATABASE_URL": database_url} if database_url else {}),
    }
    with start_world(tmp_path / "data", extra_env=settings) as world:
        db = Database(database_url or f"sqlite:///{world.data_dir / 'tokenbot.db'}")
        try:
            _rotate_killed_then_recovered(world, db)
        finally:
            if world.bot.log is None and world.bot.child.poll() is None:
                world.bot.stop()  # the restarted bot (start_world stops the first)
            db.engine.dispose()


def _rotate_killed_then_recovered(world: World, db: Database) -> None:
    assert request_token(world).sent
    [request] = db.requests()
    world.driver.click(OLGA, card_in(world), "request.approve")
    first = _revealed_digest(world)
    [original] = live_of(world.sim, request.id)
    offer = _wait(lambda: _rotate_offer(world), "the Rotate offer after the reveal")

    # GitLab rotates at once and answers 8 s later; the bot dies in between.
    world.sim.faults.latency(8000, method="POST", path=ROTATE, count=1, after=True)
    world.driver.click(ALICE, offer, "request.rotate_in_place")  # GitLab's rotation
    [successor] = _wait(lambda: _rotated_away(world, request.id, original.gitlab_id), "a rotation")
    world.bot.child.kill()
    world.bot.child.wait(timeout=10)
    left = db.request(request.id)
    assert left.state is RequestState.ROTATING
    assert left.claimed_at is not None
    assert left.unsure_since is not None
    world.sim.faults.clear()
    world.bot = start_bot(
        slack_api_url=world.slack.url, data_dir=world.data_dir, extra_env=world.env
    )
    world.driver = SlackDriver(world.bot.url, response_url=world.slack.hooks_url)

    world.driver.click(ALICE, offer, "request.rotate_in_place")  # stuck until reconciled
    _wait(lambda: _told(world, "this request is rotating"), "Rotate to refuse")
    _past_the_timeout(db)
    taken = _reconcile(world)
    assert taken["rotations"] == [request.id]
    assert taken["revoked"] == 0
    back = db.request(request.id)
    assert (back.state, back.gitlab_token_id) == (RequestState.PROVISIONED, successor.gitlab_id)

    notice = dm_with_button(world, ALICE, "request.rotate")
    said = json.dumps(notice["blocks"])
    assert "was interrupted" in said
    assert "The old secret no longer works" in said
    world.driver.click(ALICE, notice, "request.rotate_in_place")
    fresh = dm_with_button(world, ALICE, "request.reveal", nth=2)
    delivered = _revealed_digest_of(world, fresh)
    [live] = live_of(world.sim, request.id)
    assert delivered == live.digest != first, "the requester holds the live token's secret"
    final = db.request(request.id)
    assert (final.state, final.gitlab_token_id) == (RequestState.PROVISIONED, live.gitlab_id)
    _past_the_timeout(db)
    swept = _reconcile(world)
    assert (swept["revoked"], swept["reported"], swept["rotations"]) == (0, 0, [])
    verdict = judge(world.sim, db.requests(), db.ledger(request.id))
    assert verdict.clean, verdict
    assert len([m for m in marked(world.sim) if m.request_id == request.id]) == 3


def _rotate_offer(world: World) -> dict[str, Any] | None:
    """The DM the Reveal turned into: it offers Rotate."""
    for call in reversed(world.slack.calls_to("chat.update")):
        if call.args.get("channel") == ALICE and "request.rotate" in json.dumps(call.args):
            return {"channel": ALICE, "ts": call.args["ts"], "blocks": call.args["blocks"]}
    return None


def _rotated_away(world: World, request_id: str, old_id: int) -> list[Any]:
    live = live_of(world.sim, request_id)
    return live if live and all(m.gitlab_id != old_id for m in live) else []


def _told(world: World, words: str) -> bool:
    return any(words in json.dumps(c.args) for c in world.slack.calls_to("chat.postEphemeral"))


def _revealed_digest_of(world: World, dm: dict[str, Any]) -> str:
    """Reveal from `dm` (not the first Reveal DM): the digest of the secret shown."""
    from tests.e2e.test_exactly_once_faults import SECRET
    from tests.support.marked_credentials import digest_of

    opened = len(world.slack.calls_to("views.open"))
    world.driver.click(ALICE, dm, "request.reveal")
    view = world.slack.wait_for("views.open", opened + 1)[-1].args["view"]
    [shown] = SECRET.findall(json.dumps(view))
    return digest_of(shown)
