"""The weekly token hygiene digest end to end: `tokenbot sync` and `tokenbot remind --hygiene`
(in processes whose clock freezegun moved) beside `tokenbot run`, the GitLab simulator, and
the digest's buttons clicked through signed Slack requests.

Acme's `acme/platform/api` gets tokens that write (`api`); TOKENBOT_OWNERS makes dan (its
Developer) their owner, alice is Maintainer there, erin a Developer of acme/payments only,
and U0NOBODY is nobody tokenbot can place in GitLab. The chart travels through Slack's
external upload flow (files.getUploadURLExternal, the POST of its bytes, then
files.completeUploadExternal: https://docs.slack.dev/reference/methods/files.completeUploadExternal),
which the stand-in records with the bytes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.sandbox import AccessLevel, GitlabSimulator, add_resource_token
from bot.sandbox.state import SandboxState
from tests.cli_runner import run_tokenbot
from tests.support.request_world import (
    ALICE,
    ANSWERS,
    DAN,
    OLGA,
    REMINDERS,
    USER_MAP,
    World,
    card_in,
    dm_with_button,
    request_token,
    start_world,
)
from tests.support.slack_api import Call
from tests.support.slack_requests import submit

ERIN, NOBODY = "U0ERIN", "U0NOBODY"
TEAM = "C0PAYTEAM"  # acme/payments' reminder route
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"  # https://www.w3.org/TR/png/#5PNG-file-signature
TODAY = datetime.now(UTC).date()
MONDAY = datetime.combine(TODAY - timedelta(days=TODAY.weekday()), datetime.min.time(), UTC)
WEEK_1 = MONDAY + timedelta(days=7, hours=9, minutes=30)  # the next Monday, 09:30 UTC
# Tokens that write; one per cell of the matrix that changes something.
NAMES = ("revoke-a", "revoke-b", "keep-a", "keep-b", "replace-me")
# Owner-level tokens there, one per action: above dan's and alice's roles (acme's Owners olga
# and omar may act on them), as the authorization matrix's OWNER_API column.
OWNER_LEVEL = ("owner-revoke", "owner-keep", "owner-kept-by-dan", "owner-replace")


def _seed(sim: GitlabSimulator) -> None:
    state: SandboxState = sim.state
    api = state.project_by_full_path("acme/platform/api")
    payments = state.group_by_full_path("acme/payments")
    assert api is not None
    assert payments is not None
    for name in NAMES + OWNER_LEVEL:
        level = AccessLevel.MAINTAINER if name == "replace-me" else AccessLevel.DEVELOPER
        level = AccessLevel.OWNER if name in OWNER_LEVEL else level
        add_resource_token(
            state,
            api,
            name=name,
            level=level,
            scopes=("api",),
            expires_at=state.today() + timedelta(days=200),
        )
    erin = state.add_user("erin", name="Erin")
    state.add_member(erin, payments, AccessLevel.DEVELOPER)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    env = {
        "TOKENBOT_OWNERS": f"acme/platform/api={DAN}",
        "TOKENBOT_USER_MAP": f"{USER_MAP},{ERIN}=erin",
        "TOKENBOT_REMINDERS_ROUTES": f"acme/payments={TEAM}",
    }
    path: Path = tmp_path_factory.mktemp("hygiene")
    with start_world(path, extra_env=env, setup=_seed) as started:
        synced = run_tokenbot("sync", env=started.env)
        assert synced.code == 0, synced.err
        yield started


def _digest_now(world: World, at: datetime) -> subprocess.CompletedProcess[str]:
    """`tokenbot remind --hygiene` in a process whose clock freezegun moved to `at` (as in
    tests/e2e/test_slack_approvers.py: the GitLab client's pacing keeps the real clock)."""
    script = (
        "import sys; from datetime import datetime; from freezegun import freeze_time;"
        f" freeze_time(datetime.fromisoformat({at.isoformat()!r}), tick=True,"
        " ignore=['bot.gitlab.http', 'bot.gitlab.server_pace']).start();"
        " from bot.cli import main; sys.exit(main(['remind', '--hygiene']))"
    )
    return subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **world.env},
        check=False,
    )


def _digests(world: World, channel: str = REMINDERS) -> list[Call]:
    return [
        c
        for c in world.slack.calls_to("chat.postMessage")
        if c.args.get("channel") == channel and "Token hygiene this week" in json.dumps(c.args)
    ]


def _message(call: Call) -> dict[str, Any]:
    return {"channel": call.args["channel"], "ts": call.answer["ts"], "blocks": call.args["blocks"]}


def _key(world: World, name: str) -> str:
    """The seeded token's key (a replacement made later has the same name, a later id)."""
    first = min(t.id for t in world.sim.state.tokens.values() if t.name == name)
    return f"project_access_token:{first}"


@pytest.fixture(scope="module")
def digest(world: World) -> dict[str, Any]:
    """The first week's digest in the reminders channel, as Slack holds it."""
    done = _digest_now(world, WEEK_1)
    assert done.returncode == 0, done.stderr
    assert "2 posted (0 without the chart), 0 posted already" in done.stdout
    (call,) = _digests(world)
    return _message(call)


def test_the_digest_counts_findings_and_lists_the_worst_with_buttons(
    world: World, digest: dict[str, Any]
) -> None:
    text = json.dumps(digest["blocks"])
    assert "Can write:" in text
    for name in NAMES + OWNER_LEVEL:
        assert name in text
    labels = {
        e["text"]["text"] for b in digest["blocks"] if b["type"] == "actions" for e in b["elements"]
    }
    assert labels == {"Revoke", "Replace with a narrower token", "Keep, it is right"}
    (team,) = _digests(world, TEAM)  # acme/payments' own digest: none of platform's tokens
    assert "replace-me" not in json.dumps(team.args["blocks"])


def test_the_chart_is_uploaded_as_a_png_into_the_digests_thread(
    world: World, digest: dict[str, Any]
) -> None:
    (chart,) = world.slack.shared_files(REMINDERS)
    assert chart.data is not None
    assert chart.data.startswith(PNG_SIGNATURE)
    assert chart.filename.endswith(".png")
    assert chart.alt_txt
    assert chart.shared_to[0]["thread_ts"] == digest["ts"]
    assert world.slack.calls_to("files.completeUploadExternal")


def test_the_digest_is_posted_once_a_week_even_by_two_processes_at_once(
    world: World, digest: dict[str, Any]
) -> None:
    later = _digest_now(world, WEEK_1 + timedelta(days=2))
    assert later.returncode == 0, later.stderr
    assert "0 posted" in later.stdout
    assert "2 posted already" in later.stdout
    assert len(_digests(world)) == 1
    week_2 = WEEK_1 + timedelta(days=7)
    results: list[subprocess.CompletedProcess[str]] = []
    runs = [
        threading.Thread(target=lambda: results.append(_digest_now(world, week_2)))
        for _ in range(2)
    ]
    for run in runs:
        run.start()
    for run in runs:
        run.join()
    assert len(_digests(world)) == 2
    assert len(_digests(world, TEAM)) == 2
    assert any("2 posted" in r.stdout for r in results), [r.stdout for r in results]


def test_a_chart_that_does_not_upload_leaves_the_digest_saying_so(
    world: World, digest: dict[str, Any]
) -> None:
    shared = len(world.slack.shared_files(REMINDERS))
    world.slack.fail_next("files.getUploadURLExternal", error="file_uploads_disabled", times=2)
    done = _digest_now(world, WEEK_1 + timedelta(days=14))
    assert done.returncode == 0, done.stderr
    assert "2 posted (2 without the chart)" in done.stdout
    latest = _message(_digests(world)[-1])
    note = world.slack.wait_for_update(REMINDERS, latest["ts"], "could not be attached")
    assert "Token hygiene this week" in json.dumps(note.args["blocks"])
    assert len(world.slack.shared_files(REMINDERS)) == shared


# ------------------------------------------------------------------ the buttons, by the gate

REFUSED, DONE = "refused", "done"
# action x actor x power -> expected. The owner is dan (TOKENBOT_OWNERS), a Developer there
# like the first tokens; alice manages the project (Maintainer); olga is an Owner of acme;
# erin is a Developer elsewhere; U0NOBODY is unknown. On an Owner-level token only an Owner
# may revoke or replace it: owning it by configuration gives dan no more than his role, and a
# replacement approved by Maintainers must not end it. Keeping a finding silences it, as
# letting the token expire silences its reminders: its owner may. (Refusals come first on
# each token: they change nothing.) Keep and Replace are Slack's buttons only: the shell has
# no hygiene actions, and its revoke is the reminder's, in the authorization matrix.
VERDICTS = [
    ("revoke", DAN, "owner-revoke", REFUSED),
    ("revoke", ALICE, "owner-revoke", REFUSED),
    ("revoke", OLGA, "owner-revoke", DONE),
    ("replace", DAN, "owner-replace", REFUSED),
    ("replace", ALICE, "owner-replace", REFUSED),
    ("replace", OLGA, "owner-replace", DONE),
    ("keep", ALICE, "owner-keep", REFUSED),
    ("keep", OLGA, "owner-keep", DONE),
    ("keep", DAN, "owner-kept-by-dan", DONE),
    ("revoke", ERIN, "revoke-a", REFUSED),
    ("revoke", NOBODY, "revoke-a", REFUSED),
    ("revoke", ALICE, "revoke-a", DONE),
    ("revoke", DAN, "revoke-b", DONE),
    ("replace", ERIN, "replace-me", REFUSED),
    ("replace", NOBODY, "replace-me", REFUSED),
    ("replace", ALICE, "replace-me", DONE),
    ("replace", DAN, "replace-me", DONE),  # its request then waits for a Maintainer's approval
    ("keep", ERIN, "keep-a", REFUSED),
    ("keep", NOBODY, "keep-a", REFUSED),
    ("keep", ALICE, "keep-a", DONE),
    ("keep", DAN, "keep-b", DONE),
]


@pytest.mark.parametrize("cell", VERDICTS, ids=lambda c: "-".join(c[:3]))
def test_the_digests_buttons_act_only_as_the_gate_allows(
    world: World, digest: dict[str, Any], cell: tuple[str, str, str, str]
) -> None:
    action, actor, name, expected = cell
    key = _key(world, name)
    outcome = {"revoke": _revoke, "replace": _replace, "keep": _keep}[action](
        world, digest, actor, key
    )
    assert outcome == expected, (action, actor, name)


def test_replace_opens_the_form_with_the_advisors_narrower_choice(
    world: World, digest: dict[str, Any]
) -> None:
    view = _replace_view(world, digest, ALICE, _key(world, "replace-me"))
    assert view["callback_id"] == "request.submit"
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    scopes = [o["value"] for o in blocks["scopes"]["element"].get("initial_options", [])]
    assert scopes == ["read_api"]  # `api` became `read_api`
    role = blocks["role"]["element"]["initial_option"]["value"]
    assert int(role) <= int(AccessLevel.DEVELOPER)  # the token was Maintainer
    assert blocks["target"]["element"]["initial_value"] == "acme/platform/api"
    assert json.loads(view["private_metadata"])["replaces"] == _key(world, "replace-me")


def _revoke(world: World, digest: dict[str, Any], actor: str, key: str) -> str:
    before = len(world.slack.calls_to("chat.postEphemeral"))
    assert world.driver.click(actor, digest, "hygiene.revoke", value=key).status_code == 200
    note = world.slack.wait_for("chat.postEphemeral", before + 1)[-1].args["text"]
    tokens = world.sim.state.tokens.values()
    live = [t for t in tokens if key == f"project_access_token:{t.id}" and not t.revoked]
    if note.startswith("Nothing changed"):
        assert live, "refused, yet revoked"
        return REFUSED
    assert note.startswith("Revoked")
    assert not live
    return DONE


def _replace_view(world: World, digest: dict[str, Any], actor: str, key: str) -> dict[str, Any]:
    before_open = len(world.slack.calls_to("views.open"))
    before = len(world.slack.calls_to("views.update"))
    value = f"broad_scope {key}"
    assert world.driver.click(actor, digest, "hygiene.replace", value=value).status_code == 200
    opened = world.slack.wait_for("views.open", before_open + 1)[-1]
    assert "Checking with GitLab" in json.dumps(opened.args["view"])
    update = world.slack.wait_for("views.update", before + 1)[-1]
    assert update.args["view_id"] == opened.answer["view"]["id"]
    return dict(update.args["view"])


def _replace(world: World, digest: dict[str, Any], actor: str, key: str) -> str:
    view = _replace_view(world, digest, actor, key)
    if "Not replaced" in json.dumps(view):
        return REFUSED
    assert view["callback_id"] == "request.submit"
    return DONE


def _keep(world: World, digest: dict[str, Any], actor: str, key: str) -> str:
    before_open = len(world.slack.calls_to("views.open"))
    value = f"broad_scope {key}"
    assert world.driver.click(actor, digest, "hygiene.keep", value=value).status_code == 200
    opened = world.slack.wait_for("views.open", before_open + 1)[-1]
    form = opened.answer["view"]
    before = len(world.slack.calls_to("views.update"))
    answers = {"kind": "broad_scope", "reason": "the release job pushes tags"}
    response = submit(world.driver, actor, form, answers)
    assert response.status_code == 200
    assert response.json()["response_action"] == "update"  # "Checking with GitLab…" at once
    result = json.dumps(world.slack.wait_for("views.update", before + 1)[-1].args["view"])
    if "Not kept" in result:
        return REFUSED
    assert "Kept" in result
    return DONE


def test_keep_needs_a_reason(world: World, digest: dict[str, Any]) -> None:
    before_open = len(world.slack.calls_to("views.open"))
    value = f"broad_scope {_key(world, 'replace-me')}"
    world.driver.click(ALICE, digest, "hygiene.keep", value=value)
    form = world.slack.wait_for("views.open", before_open + 1)[-1].answer["view"]
    response = submit(world.driver, ALICE, form, {"kind": "broad_scope", "reason": "   "})
    assert response.json() == {
        "response_action": "errors",
        "errors": {"reason": "say why it is right"},
    }


def test_a_replacement_once_made_hands_the_old_token_off(
    world: World, digest: dict[str, Any]
) -> None:
    key = _key(world, "replace-me")
    view = _replace_view(world, digest, ALICE, key)
    before = len(world.slack.calls_to("views.update"))
    answers = {
        **ANSWERS,
        "target": "acme/platform/api",
        "name": "replace-me",
        "scopes": ["read_api"],
        "role": str(int(AccessLevel.DEVELOPER)),
        "reason": "the export only reads",
    }
    assert submit(world.driver, ALICE, view, answers).status_code == 200
    sent = world.slack.wait_for("views.update", before + 1)[-1]
    assert "Request sent" in json.dumps(sent.args["view"]), sent.args["view"]
    card = card_in(world)
    assert world.driver.click(OLGA, card, "request.approve").status_code == 200
    handoff = dm_with_button(world, ALICE, "handoff.revoke_old")
    assert "Hand-off under way" in json.dumps(handoff["blocks"])
    live = [t for t in world.sim.state.tokens.values() if t.name == "replace-me" and not t.revoked]
    assert len(live) == 2  # the old one works until the new one is used, or the deadline
    (new,) = [t for t in live if key != f"project_access_token:{t.id}"]
    assert list(new.scopes) == ["read_api"]


def _home(world: World, user: str) -> dict[str, Any]:
    before = len(world.slack.calls_to("views.publish"))
    assert world.driver.home_opened(user).status_code == 200
    for _ in range(200):
        published = [
            c for c in world.slack.calls_to("views.publish")[before:] if c.args["user_id"] == user
        ]
        if published and "Your credentials' findings" in json.dumps(published[-1].args):
            return dict(published[-1].args["view"])
        threading.Event().wait(0.05)
    raise AssertionError(f"no Home tab with findings for {user}")


def test_the_home_tab_shows_my_own_findings_with_the_same_buttons(
    world: World, digest: dict[str, Any]
) -> None:
    mine = _home(world, DAN)  # dan owns acme/platform/api's tokens (TOKENBOT_OWNERS)
    text = json.dumps(mine)
    assert "replace-me" in text
    assert "Can write" in text
    assert len(mine["blocks"]) <= 100
    key = _key(world, "replace-me")
    before_open = len(world.slack.calls_to("views.open"))
    before = len(world.slack.calls_to("views.update"))
    value = f"broad_scope {key}"
    assert world.driver.click_in_view(DAN, mine, "hygiene.replace", value=value).status_code == 200
    world.slack.wait_for("views.open", before_open + 1)
    form = world.slack.wait_for("views.update", before + 1)[-1].args["view"]
    assert form["callback_id"] == "request.submit"
    assert "Nothing to fix" in json.dumps(_home(world, ERIN))  # erin owns nothing
    # Revoke from the Home tab: dan owns it but it acts as Maintainer, above him, so the gate
    # refuses; the answer comes by DM (a Home tab has no channel to answer beside).
    dms = len([c for c in world.slack.calls_to("chat.postMessage") if c.args["channel"] == DAN])
    assert world.driver.click_in_view(DAN, mine, "hygiene.revoke", value=key).status_code == 200
    for _ in range(200):
        to_dan = [c for c in world.slack.calls_to("chat.postMessage") if c.args["channel"] == DAN]
        if len(to_dan) > dms:
            break
        threading.Event().wait(0.05)
    assert to_dan[-1].args["text"].startswith("Nothing changed: to act on it you must own")
    tokens = world.sim.state.tokens.values()
    old = next(t for t in tokens if key == f"project_access_token:{t.id}")
    assert not old.revoked


def test_a_home_tab_redrawn_after_a_click_keeps_my_findings(
    world: World, digest: dict[str, Any]
) -> None:
    """A click on the Home tab (here Cancel on a waiting request) publishes it again; that
    view still carries the findings, not only the requests."""
    sent = request_token(world, DAN, target="acme/platform/api", name="dan-reader", role="20")
    assert sent.sent, sent.errors
    mine = _home(world, DAN)
    assert "dan-reader" in json.dumps(mine)
    before = len(world.slack.calls_to("views.publish"))
    request_id = next(
        block["accessory"]["value"]
        for block in mine["blocks"]
        if (block.get("accessory") or {}).get("action_id") == "request.cancel"
    )
    clicked = world.driver.click_in_view(DAN, mine, "request.cancel", value=request_id)
    assert clicked.status_code == 200
    redrawn = world.slack.wait_for("views.publish", before + 1)[-1].args
    assert redrawn["user_id"] == DAN
    text = json.dumps(redrawn["view"])
    assert "Your credentials' findings" in text
    assert "replace-me" in text
