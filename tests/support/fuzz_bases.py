"""What Slack sends tokenbot, one payload per registered id, for the fuzz to mutate.

`base(rng, targets, kind, name)` builds a command (`/token <subcommand>`), a click on an
action id, a modal's submission or closing, or an event, as Slack would send it from the
messages and views the bot really posted in the fuzz world (`Targets`): the clicked element's
own block id and value, a modal's own blocks, filled in with sensible and odd answers.
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.slack import ids
from tests.support.slack_api import TEAM_ID

ACTIONS = (
    f"{ids.ANSWER}.0",
    f"{ids.ANSWER}.7",
    ids.CAPABILITIES_SELECT,
    ids.CAPABILITIES_DONE,
    ids.BACK,
    ids.START_OVER,
    ids.REQUEST_OPEN,
    ids.REQUEST_APPROVE,
    ids.REQUEST_DENY,
    ids.REQUEST_RETRY,
    ids.REQUEST_REVEAL,
    ids.REQUEST_CANCEL,
    ids.REQUEST_ROTATE,
    ids.REQUEST_ROTATE_IN_PLACE,
    ids.HANDOFF_REVOKE_OLD,
    ids.HANDOFF_CANCEL,
    ids.HOME_ADVISE,
    ids.REMINDER_LET_EXPIRE,
    ids.REMINDER_REVOKE,
    ids.REMINDER_CLAIM,
    ids.REMINDER_ROTATE,
    ids.REMINDER_RENEW,
    ids.ORPHAN_REVOKE,
    ids.LINK_OPEN,
    ids.JOB_ACCESS_OPEN,
    ids.JOB_ACCESS_APPROVE,
    ids.JOB_ACCESS_DENY,
    ids.JOB_ACCESS_REMOVE,
    ids.BREAKGLASS_ACKNOWLEDGE,
    ids.HYGIENE_REVOKE,
    ids.HYGIENE_REPLACE,
    ids.HYGIENE_KEEP,
    "value",  # the request form's token type select (block "token_type")
)
CALLBACKS = (
    ids.REQUEST_SUBMIT,
    ids.DENY_SUBMIT,
    ids.REMINDER_RENEW_SUBMIT,
    ids.JOB_ACCESS_SUBMIT,
    ids.BREAKGLASS_SUBMIT,
    ids.HYGIENE_KEEP_SUBMIT,
)
SUBCOMMANDS = (
    "which",
    "request",
    "mine",
    "pending",
    ids.JOB_ACCESS_COMMAND,
    ids.BREAKGLASS_COMMAND,
    "help",
    "link",
    "unlink",
    "",
    "nope",
    "PENDING now",
)
EVENTS = ("app_home_opened", "app_mention", "message", "reaction_added")
BASES = (
    *(("action", a) for a in ACTIONS),
    *(("submission", c) for c in CALLBACKS),
    *(("closed", c) for c in CALLBACKS),
    *(("command", s) for s in SUBCOMMANDS),
    *(("event", e) for e in EVENTS),
)
GARBAGE_JSON = ("{", "[]", "null", '{"o":', "[[[[", '{"o": 1}', '""', "1e309", '{"t": ["x"]}')
FAKE_IDS = ("00000000-0000-0000-0000-000000000000", "req-nope", "personal:999999", "x" * 300)
Message = dict[str, Any]


@dataclass(frozen=True)
class Targets:
    """What the payloads point at, taken from the world after seeding it."""

    users: tuple[str, ...]  # who acts: nobody here may change a request or a token...
    requester: str  # ...but the requester of `request_ids`, who may cancel it: never does
    request_ids: tuple[str, ...]
    token_keys: tuple[str, ...]
    messages: tuple[Message, ...]  # the bot's messages: {"channel", "ts", "blocks"}
    views: Mapping[str, dict[str, Any]]  # callback id (or "home") -> a view it opened
    response_url: str


def base(rng: random.Random, t: Targets, kind: str, name: str) -> tuple[dict[str, Any], str]:
    """One payload of `kind` (command, action, submission, closed, event) for `name`, and how
    it is encoded: "form" (a command), "payload" (an interaction) or "json" (an event)."""
    user = rng.choice([u for u in t.users if name != ids.REQUEST_CANCEL or u != t.requester])
    if kind == "command":
        return _command(user, name, t), rng.choice(("form",) * 9 + ("json",))
    if kind == "event":
        return _event(rng, user, name), "json"
    if kind == "action":
        return _action(rng, t, user, name), "payload"
    view = copy.deepcopy(t.views.get(name) or {"blocks": [], "callback_id": name})
    view |= {"id": "V0FUZZ", "type": "modal", "callback_id": name, "team_id": TEAM_ID}
    view["state"] = {"values": _answers(rng, view, t)}
    if name == ids.DENY_SUBMIT:
        view["private_metadata"] = rng.choice(t.request_ids)
    kind_name = "view_submission" if kind == "submission" else "view_closed"
    return {**_interaction(kind_name, user), "view": view, "response_urls": []}, "payload"


def _interaction(kind: str, user: str) -> dict[str, Any]:
    return {
        "type": kind,
        "team": {"id": TEAM_ID, "domain": "acme"},
        "user": {"id": user, "username": user.lower(), "team_id": TEAM_ID},
        "api_app_id": "A0TOKENBOT",
        "token": "unused",
        "trigger_id": "12345.98765.abcdef",
    }


def _command(user: str, sub: str, t: Targets) -> dict[str, Any]:
    return {
        "token": "unused",
        "team_id": TEAM_ID,
        "team_domain": "acme",
        "channel_id": "C0GENERAL",
        "channel_name": "general",
        "user_id": user,
        "user_name": user.lower(),
        "command": ids.COMMAND,
        "text": sub,
        "api_app_id": "A0TOKENBOT",
        "response_url": t.response_url,
        "trigger_id": "13345224609.738474920.8088930838d88f008e0",
    }


def _event(rng: random.Random, user: str, kind: str) -> dict[str, Any]:
    ts = f"17000{rng.randrange(10**5):05d}.000100"
    event = {"type": kind, "user": user, "channel": "D" + user[1:], "ts": ts, "event_ts": ts}
    event |= {"text": rng.choice(("which token?", "hi", "start over", "")), "tab": "home"}
    event |= {"channel_type": "im"} if kind == "message" else {}
    return {
        "token": "unused",
        "team_id": TEAM_ID,
        "api_app_id": "A0TOKENBOT",
        "event": event,
        "type": "event_callback",
        "event_id": f"Ev{rng.randrange(10**9)}",
        "event_time": 1700000000,
        "authorizations": [{"team_id": TEAM_ID, "user_id": "U0TOKENBOT", "is_bot": True}],
    }


def _action(rng: random.Random, t: Targets, user: str, action_id: str) -> dict[str, Any]:
    found = [
        (where, element)
        for where in [*t.messages, *({"view": v} for v in t.views.values())]
        for element in _elements(where.get("blocks") or where.get("view", {}).get("blocks", []))
        if element.get("action_id") == action_id
    ]
    where, element = rng.choice(found) if found else ({}, {"action_id": action_id})
    action = {"type": "button", "block_id": "b0", "action_ts": "1700000200.000200", **element}
    action.pop("text", None)
    if "value" not in action or rng.random() < 0.3:
        action["value"] = _value(rng, t, user)
    payload = _interaction("block_actions", user) | {"actions": [action]}
    if "view" in where:
        payload["container"] = {"type": "view", "view_id": "V0FUZZ"}
        view = {"type": "home", **where["view"], "id": "V0FUZZ", "hash": "1700000400.abc"}
        payload["view"] = view | {"state": {"values": _answers(rng, view, t)}}
        return payload
    channel, ts = where.get("channel", "C0GENERAL"), where.get("ts", "1700000000.000001")
    ephemeral = rng.random() < 0.2
    payload["container"] = {"type": "message", "message_ts": ts, "channel_id": channel}
    payload["container"]["is_ephemeral"] = ephemeral
    payload["channel"] = {"id": channel, "name": "fuzz"}
    if not ephemeral:
        payload["message"] = {"type": "message", "ts": ts, "blocks": where.get("blocks", [])}
    return payload | {"state": {"values": {}}, "response_url": t.response_url}


def _elements(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = []
    for block in blocks:
        single = [block[k] for k in ("accessory", "element") if isinstance(block.get(k), dict)]
        for element in [*block.get("elements", []), *single]:
            if "action_id" in element:
                found.append({**element, "block_id": block.get("block_id", "")})
    return found


def _value(rng: random.Random, t: Targets, user: str) -> str:
    owner = rng.choice((user, "U0SOMEONEELSE"))
    choices: tuple[Callable[[], str], ...] = (
        lambda: rng.choice(t.request_ids),
        lambda: rng.choice(t.token_keys),
        lambda: rng.choice(FAKE_IDS),
        lambda: json.dumps({"o": owner, "q": rng.choice(("purpose", "nope", "")), "v": "yes"}),
        lambda: json.dumps({"t": "project_access_token", "s": ["read_api", "nope"], "r": 20}),
        lambda: json.dumps({"t": "deploy_token", "r": "999", "l": "many"}),
        lambda: rng.choice(GARBAGE_JSON),
    )
    return rng.choice(choices)()


def _answers(rng: random.Random, view: dict[str, Any], t: Targets) -> dict[str, Any]:
    """A filled-in form: mostly sensible answers, some odd ones."""
    values: dict[str, Any] = {}
    for block in view.get("blocks", []):
        element = block.get("element")
        if block.get("type") != "input" or not isinstance(element, dict):
            continue
        kind, options = element.get("type"), element.get("options") or []
        entry: dict[str, Any] = {"type": kind}
        if kind == "plain_text_input":
            entry["value"] = rng.choice(("acme/platform/api", "ci-reader", "because", "x" * 3001))
        elif kind == "datepicker":
            entry["selected_date"] = rng.choice(("2099-01-01", "2000-01-01", "tomorrow", ""))
        elif kind in {"static_select", "radio_buttons"} and options:
            entry["selected_option"] = rng.choice(options)
        elif kind == "multi_static_select" and options:
            entry["selected_options"] = rng.sample(options, rng.randint(0, len(options)))
        values[block.get("block_id", "")] = {element.get("action_id", "value"): entry}
    return values
