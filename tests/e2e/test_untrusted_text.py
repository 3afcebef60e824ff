"""Findings 4 and 5 of issue 10, end to end: untrusted text is inert, long input is held.

`tokenbot run` with signed Slack requests, the GitLab simulator, and `tokenbot sync` /
`tokenbot remind` beside it. Every string a person or GitLab supplies (a request's name and
reason, a deny reason, a token's name in GitLab) carries Slack's control sequences; afterwards
every Web API call the bot made, and every answer it gave on its endpoint, is searched for
them. Long input: what the policy refuses leaves nothing behind, and the longest it accepts
goes through the card, approval, reveal, the Home tab, `/token pending` and the reminder sweep.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.sandbox import AccessLevel, GitlabSimulator, add_resource_token
from tests.cli_runner import run_tokenbot
from tests.support.request_world import (
    ALICE,
    APPROVALS,
    IN_30,
    OLGA,
    OMAR,
    REMINDERS,
    World,
    card_in,
    dm_with_button,
    open_form,
    send_form,
    start_world,
    world,
)
from tests.support.slack_api import Call
from tests.support.slack_requests import submit

__all__ = ["world"]  # the fixture

INJECTION = "<!channel> <!here> <@U123> <https://evil.example|click>"
RAW = ("<!channel>", "<!here>", "<@U123>", "<https://evil.example")
# INJECTION as mrkdwn must show it: written out here, not computed with the bot's escape().
ESCAPED = "&lt;!channel&gt; &lt;!here&gt; &lt;@U123&gt; &lt;https://evil.example|click&gt;"

PAY_REMINDERS = "C0PAYREMINDERS"  # acme/payments' reminders: a digest (more than 5 due)
ROUTES = {"TOKENBOT_REMINDERS_ROUTES": f"acme/payments={PAY_REMINDERS}"}
BASE = {
    "target": "acme/platform/api",
    "expires_on": IN_30,
    "token_type": "project_access_token",
    "scopes": ["read_api"],
    "role": "20",
    "delivery": "reveal",
}
TRACEBACK = "Traceback (most recent call last)"

# The longest a name may be (GitLab's 255) and a reason (the policy's 1,000), made of the
# characters that grow fivefold when escaped, so every rendering has to clip them.
LONG_NAME = ("L255 " + "<&>" * 100)[:255]
GITLAB_LONG_NAME = ("G255 " + "<&>" * 100)[:255]
LONG_REASON = ("R1000 " + "<@U123> & <!here> " * 100)[:1000]


def _injected(marker: str) -> str:
    return f"{INJECTION} {marker}"


# --- the world --------------------------------------------------------------------------------


def _tokens_in_gitlab(*names: str) -> Callable[[GitlabSimulator], None]:
    """A token called `names[0]` in acme/platform/api and, for a digest, six tokens in
    acme/payments/checkout (the first of them named `names[1]`), all due in 5 days."""

    def setup(sim: GitlabSimulator) -> None:
        state = sim.state
        api = state.project_by_full_path("acme/platform/api")
        checkout = state.project_by_full_path("acme/payments/checkout")
        assert api is not None
        assert checkout is not None
        due = state.today() + timedelta(days=5)
        add_resource_token(
            state, api, name=names[0], level=AccessLevel.DEVELOPER, scopes=("api",), expires_at=due
        )
        for n in range(6):
            name = names[1] if n == 0 else f"checkout-reader-{n}"
            add_resource_token(state, checkout, name=name, scopes=("read_api",), expires_at=due)

    return setup


@pytest.fixture
def injected(tmp_path: Path) -> Iterator[World]:
    setup = _tokens_in_gitlab(_injected("mk-gitlab-name"), _injected("mk-digest-name"))
    with start_world(tmp_path, extra_env=ROUTES, setup=setup) as world:
        yield world


@pytest.fixture
def lengthy(tmp_path: Path) -> Iterator[World]:
    setup = _tokens_in_gitlab(GITLAB_LONG_NAME, ("D255 " + "<&>" * 100)[:255])
    with start_world(tmp_path, extra_env=ROUTES, setup=setup) as world:
        yield world


# --- looking at it ----------------------------------------------------------------------------


def _until(found: Callable[[], Any], what: str, timeout: float = 10.0) -> Any:
    """Poll until `found()` is truthy (the bot works after it acked) and return it."""
    for _ in range(int(timeout / 0.05)):
        value = found()
        if value:
            return value
        threading.Event().wait(0.05)
    raise AssertionError(f"never happened: {what}")


def _rows(world: World, sql: str, *args: Any) -> list[dict[str, Any]]:
    uri = f"file:{world.data_dir / 'tokenbot.db'}?mode=ro"
    with closing(sqlite3.connect(uri, uri=True, timeout=10)) as db:
        db.row_factory = sqlite3.Row
        return [dict(row) for row in db.execute(sql, args)]


def _posted(world: World, channel: str) -> list[Call]:
    return [c for c in world.slack.calls_to("chat.postMessage") if c.args.get("channel") == channel]


def _message(call: Call) -> dict[str, Any]:
    return {"channel": call.args["channel"], "ts": call.answer["ts"], "blocks": call.args["blocks"]}


def _published(world: World, user: str, count: int = 1) -> dict[str, Any]:
    found = _until(
        lambda: [c for c in world.slack.calls_to("views.publish") if c.args["user_id"] == user][
            count - 1 :
        ],
        f"Home tab {count} of {user}",
    )
    return dict(found[0].args["view"])


def _opened(world: World, before: int) -> dict[str, Any]:
    return dict(world.slack.wait_for("views.open", before + 1)[before].args["view"])


def _secret_in(view: dict[str, Any]) -> str:
    text = json.dumps(view)
    return next(part.strip("`") for part in text.split('"') if part.startswith("```glpat-"))


def _works(world: World, secret: str) -> bool:
    answer = requests.get(
        f"{world.gitlab_url}/api/v4/projects", headers={"PRIVATE-TOKEN": secret}, timeout=5
    )
    return answer.status_code == 200


def _confirms(node: Any) -> list[dict[str, Any]]:
    """Every confirmation dialog in a payload."""
    if isinstance(node, list):
        return [c for item in node for c in _confirms(item)]
    if not isinstance(node, dict):
        return []
    dialog = node.get("confirm")
    own = [dialog] if isinstance(dialog, dict) and "title" in dialog else []
    return own + [c for value in node.values() for c in _confirms(value)]


def _check_text_objects(node: Any) -> None:
    """Slack refuses an empty text object, and section fields longer than 2,000 characters
    (slack_sdk does not check those), and more than 10 of them."""
    if isinstance(node, list):
        for item in node:
            _check_text_objects(item)
        return
    if not isinstance(node, dict):
        return
    if node.get("type") in {"plain_text", "mrkdwn"} and isinstance(node.get("text"), str):
        assert node["text"].strip(), f"an empty text object: {node}"
    if node.get("type") == "section":
        fields = node.get("fields") or []
        assert len(fields) <= 10
        for item in fields:
            assert len(item["text"]) <= 2000, f"a section field of {len(item['text'])}"
        if isinstance(node.get("text"), dict):
            assert len(node["text"]["text"]) <= 3000
    for value in node.values():
        _check_text_objects(value)


def _check_blocks(blocks: list[dict[str, Any]], *, limit: int = 50) -> None:
    """Blocks Slack would take: slack_sdk's own validators (lengths of texts, buttons,
    confirmations, headers, ...) and the limits it leaves out."""
    assert 0 < len(blocks) <= limit
    for block in blocks:
        parsed = Block.parse(block)
        assert parsed is not None, block
        parsed.to_dict()  # raises SlackObjectFormationError past a limit
    _check_text_objects(blocks)
    for confirm in _confirms(blocks):
        assert len(confirm["text"]["text"]) <= 300, confirm


def _check_call(call: Call) -> None:
    """A message, update, ephemeral, answer or view the bot sent is one Slack accepts."""
    args = call.args
    if "text" in args and args["text"] is not None:
        assert len(str(args["text"])) <= 4000, f"{call.method} text of {len(str(args['text']))}"
    if args.get("blocks"):
        _check_blocks(args["blocks"])
    if isinstance(args.get("view"), dict):
        view = args["view"]
        View(**view).to_dict()  # title, private_metadata, number of blocks
        _check_blocks(view["blocks"], limit=100)


def _scan(payloads: list[tuple[str, str]], markers: list[str]) -> None:
    """No payload carries a raw control sequence; every marker was rendered, escaped."""
    assert payloads
    for where, text in payloads:
        for raw in RAW:
            assert raw not in text, f"{raw!r} reached Slack unescaped in {where}: {text[:600]}"
    for marker in markers:
        carrying = [where for where, text in payloads if marker in text]
        assert carrying, f"{marker} was never shown: dropped instead of escaped"
        escaped = [where for where, text in payloads if f"{ESCAPED} {marker}" in text]
        assert escaped, f"{marker} never shown escaped as mrkdwn; it is in {carrying}"


def _payloads(world: World, answers: list[requests.Response]) -> list[tuple[str, str]]:
    """Every Web API call's arguments, and every answer on the endpoint, as JSON text."""
    calls = [(c.method, json.dumps(c.args, ensure_ascii=False)) for c in world.slack.calls]
    said = [("endpoint answer", a.text) for a in answers if a.text]
    return calls + said


def _request(world: World, user: str, answers: dict[str, Any]) -> requests.Response:
    """Submit the request form; it must be sent (the ack, then the confirmation)."""
    outcome = send_form(world, user, open_form(world, user), {**BASE, **answers})
    assert outcome.sent, outcome.errors
    return outcome.response


def _sync_and_remind(world: World, due: int) -> None:
    """`tokenbot sync`, then `tokenbot remind`: all `due` reminders posted, one digest."""
    synced = run_tokenbot("sync", env=world.env)
    assert synced.code == 0, synced.err
    assert TRACEBACK not in synced.err
    reminded = run_tokenbot("remind", env=world.env)
    assert reminded.code == 0, reminded.err
    assert TRACEBACK not in reminded.err
    assert reminded.out.startswith(f"{due} due, {due} posted (1 digests)"), reminded.out
    assert "not posted" not in reminded.err


def _redrawn(world: World, message: dict[str, Any], needle: str) -> Call:
    """The latest chat.update of `message` that says `needle`."""
    found = _until(
        lambda: [
            c
            for c in world.slack.calls_to("chat.update")
            if c.args.get("ts") == message["ts"] and c.args.get("channel") == message["channel"]
            if needle in json.dumps(c.args, ensure_ascii=False)
        ],
        f"{message['channel']} {message['ts']} redrawn with {needle!r}",
    )
    return found[-1]


def _reminder_of(world: World, needle: str) -> dict[str, Any]:
    (call,) = [
        c for c in _posted(world, REMINDERS) if needle in json.dumps(c.args, ensure_ascii=False)
    ]
    return _message(call)


# --- finding 4 --------------------------------------------------------------------------------


def test_untrusted_text_in_every_field_reaches_slack_escaped(injected: World) -> None:
    """Finding 4: "A reason, token name or deny reason of `<!channel> <!here> <@U123>
    <https://evil.example|click>` goes verbatim into the approval card and DMs; a token named
    like that in GitLab goes verbatim into the reminders channel." """
    world = injected
    answers: list[requests.Response] = []

    # Approved and revealed.
    name_a = _injected("mk-name-approved")
    answers.append(_request(world, ALICE, {"name": name_a, "reason": _injected("mk-reason-a")}))
    answers.append(world.driver.click(OLGA, card_in(world, 1), "request.approve"))
    dm = dm_with_button(world, ALICE)
    opened = len(world.slack.calls_to("views.open"))
    answers.append(world.driver.click(ALICE, dm, "request.reveal"))
    assert _works(world, _secret_in(_opened(world, opened)))
    assert [t for t in world.sim.state.tokens.values() if t.name == name_a]

    # Denied with a reason that says it too.
    name_b = _injected("mk-name-denied")
    answers.append(_request(world, ALICE, {"name": name_b, "reason": _injected("mk-reason-b")}))
    opened = len(world.slack.calls_to("views.open"))
    denied_card = card_in(world, 2)
    answers.append(world.driver.click(OLGA, denied_card, "request.deny"))
    deny_form = _opened(world, opened)
    denied = send_form(world, OLGA, deny_form, {"deny_reason": _injected("mk-deny")})
    assert denied.sent, denied.errors
    answers.append(denied.response)
    _until(
        lambda: [c for c in _posted(world, ALICE) if "mk-deny" in json.dumps(c.args)],
        "the requester told of the denial",
    )
    _redrawn(world, denied_card, "mk-deny")  # the card says why

    # Left waiting, for the Home tab and /token pending.
    answers.append(
        _request(
            world, ALICE, {"name": _injected("mk-name-pending"), "reason": _injected("mk-reason-c")}
        )
    )
    card_in(world, 3)

    # GitLab's names: one reminder in the reminders channel, one digest in acme/payments'.
    _sync_and_remind(world, due=9)  # these, nightly-export, the approved one (in 30 days)
    reminder = _reminder_of(world, "mk-gitlab-name")
    _reminder_of(world, "mk-name-approved")
    assert _until(lambda: _posted(world, PAY_REMINDERS), "the digest")
    answers.append(world.driver.click(OLGA, reminder, "reminder.claim"))
    _redrawn(world, reminder, "<@U0OLGA>")  # the reminder, redrawn with its owner

    # What each person sees of it.
    for n, user in enumerate((ALICE, OLGA, OMAR)):
        answers.append(world.driver.home_opened(user, ts=f"1700000300.00030{n}"))
        home = json.dumps(_published(world, user), ensure_ascii=False)
        if user != ALICE:
            assert "mk-reason-c" in home  # waiting for them
    answers.append(world.driver.command(OMAR, "pending"))
    pending = world.slack.wait_for("response_url")[-1]
    assert pending.args["text"] == "1 request waiting for you."
    assert "mk-name-pending" in json.dumps(pending.args["blocks"])
    for user in (ALICE, OLGA):
        answers.append(world.driver.command(user, "mine"))
        assert answers[-1].status_code == 200
    assert "mk-name-pending" in answers[-2].text

    for answer in answers:
        assert answer.status_code == 200, answer.text
    log = world.bot.stop()
    assert TRACEBACK not in log, log[log.index(TRACEBACK) :][:3000]
    for call in world.slack.calls:
        _check_call(call)
    markers = [
        "mk-name-approved",
        "mk-reason-a",
        "mk-name-denied",
        "mk-reason-b",
        "mk-deny",
        "mk-name-pending",
        "mk-reason-c",
        "mk-gitlab-name",
        "mk-digest-name",
    ]
    _scan(_payloads(world, answers), markers)


# --- finding 5 --------------------------------------------------------------------------------


def test_past_the_limits_nothing_is_made_and_at_them_everything_works(lengthy: World) -> None:
    """Finding 5: "A 2,995-character reason makes `approval_card` raise after the ack: the
    request is stored pending with no card and no DM, a resubmit is refused as a duplicate,
    and every approver's Home tab and `/token pending` fail until it expires. A 255-character
    token name pushes the Revoke confirmation text over Slack's limit, so `tokenbot remind`
    exits 1 after one post."

    Reasons of 2,995 and 3,000 characters, forged past the form's max_length, are field
    errors that leave nothing. Then a 255-character name (GitLab's maximum) with a
    1,000-character reason (the policy's) is stored, carded, listed on the Home tab and by
    /token pending, approved and revealed; a 255-character name in GitLab is reminded."""
    world = lengthy
    answers: list[requests.Response] = []
    form = open_form(world, ALICE)
    for length in (2995, 3000):
        too_long = ("We need it because " * 200)[:length]
        assert len(too_long) == length
        answers.append(
            submit(world.driver, ALICE, form, {**BASE, "name": LONG_NAME, "reason": too_long})
        )
        body = answers[-1].json()
        assert body["response_action"] == "errors"
        assert set(body["errors"]) == {"reason"}
        assert "1,000" in body["errors"]["reason"]
        assert _rows(world, "SELECT id FROM token_requests") == []
    answers.append(world.driver.command(OMAR, "pending"))
    assert world.slack.wait_for("response_url")[-1].args["text"] == "0 requests waiting for you."
    answers.append(world.driver.home_opened(OLGA))
    _published(world, OLGA)

    # The same request at the limits is taken: nothing half-made stands in its way.
    taken = send_form(world, ALICE, form, {**BASE, "name": LONG_NAME, "reason": LONG_REASON})
    answers.append(taken.response)
    assert taken.sent, taken.errors
    card = card_in(world)
    (stored,) = _rows(world, "SELECT name, reason, state FROM token_requests")
    assert stored == {"name": LONG_NAME, "reason": LONG_REASON, "state": "pending"}
    dm_with_button(world, ALICE, "request.cancel")
    assert len(_posted(world, APPROVALS)) == 1
    assert not [c for c in world.slack.calls if "We need it because" in json.dumps(c.args)]

    answers.append(world.driver.home_opened(OLGA, ts="1700000301.000301"))
    assert "L255" in json.dumps(_published(world, OLGA, 2)["blocks"])
    answers.append(world.driver.command(OMAR, "pending"))
    pending = world.slack.wait_for("response_url", 2)[-1]
    assert pending.args["text"] == "1 request waiting for you."
    assert "L255" in json.dumps(pending.args["blocks"])
    answers.append(world.driver.command(ALICE, "mine"))
    assert "1 open request" in answers[-1].json()["text"]

    answers.append(world.driver.click(OLGA, card, "request.approve"))
    dm = dm_with_button(world, ALICE)
    opened = len(world.slack.calls_to("views.open"))
    answers.append(world.driver.click(ALICE, dm, "request.reveal"))
    secret = _secret_in(_opened(world, opened))
    assert _works(world, secret)
    (made,) = [t for t in world.sim.state.tokens.values() if t.name == LONG_NAME and not t.revoked]
    assert list(made.scopes) == ["read_api"]
    answers.append(world.driver.home_opened(ALICE, ts="1700000302.000302"))
    assert "L255" in json.dumps(_published(world, ALICE)["blocks"])

    # The sweep: 255-character names (the approved one's, and GitLab's alone and in a digest).
    _sync_and_remind(world, due=9)  # these, nightly-export, the approved one (in 30 days)
    _reminder_of(world, "L255 &lt;&amp;")
    reminder = _reminder_of(world, "G255 &lt;&amp;")
    confirms = _confirms(reminder["blocks"])
    assert any("Revoke" in c["title"]["text"] for c in confirms)
    for confirm in confirms:
        assert len(confirm["text"]["text"]) <= 300
    assert _until(lambda: _posted(world, PAY_REMINDERS), "the digest")
    answers.append(world.driver.click(OLGA, reminder, "reminder.claim"))
    claimed = _redrawn(world, reminder, "<@U0OLGA>")
    assert any("Rotate" in c["title"]["text"] for c in _confirms(claimed.args["blocks"]))

    for answer in answers:
        assert answer.status_code == 200, answer.text
    log = world.bot.stop()
    assert TRACEBACK not in log, log[log.index(TRACEBACK) :][:3000]
    for call in world.slack.calls:
        _check_call(call)
    for where, text in _payloads(world, answers):
        for raw in RAW:
            assert raw not in text, f"{raw!r} reached Slack unescaped in {where}"
