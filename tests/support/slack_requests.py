"""Slack's side of the conversation: correctly signed requests to the bot's endpoint."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from typing import Any
from urllib.parse import urlencode

import requests

from tests.support.slack_api import TEAM_ID

SIGNING_SECRET = "test-signing-secret-not-real"


def signed_headers(
    body: str, *, secret: str = SIGNING_SECRET, timestamp: int | None = None, content_type: str
) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": f"v0={digest}",
        "Content-Type": content_type,
    }


class SlackDriver:
    """Sends events, commands and clicks to `base_url/slack/events` as Slack would."""

    def __init__(
        self,
        base_url: str,
        *,
        secret: str = SIGNING_SECRET,
        response_url: str = "http://127.0.0.1:9/unused",
    ) -> None:
        self.endpoint = f"{base_url}/slack/events"
        self.secret = secret
        self.response_url = response_url

    def post(self, body: str, content_type: str, **sign: Any) -> requests.Response:
        headers = signed_headers(
            body, secret=sign.pop("secret", self.secret), content_type=content_type, **sign
        )
        return requests.post(self.endpoint, data=body.encode(), headers=headers, timeout=10)

    def event(self, event: dict[str, Any], **sign: Any) -> requests.Response:
        envelope = {
            "token": "unused",
            "team_id": TEAM_ID,
            "api_app_id": "A0TOKENBOT",
            "event": event,
            "type": "event_callback",
            "event_id": f"Ev{event['ts']}",
            "event_time": int(float(event["ts"])),
            "authorizations": [
                {
                    "team_id": TEAM_ID,
                    "user_id": "U0TOKENBOT",
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
        }
        return self.post(json.dumps(envelope), "application/json", **sign)

    def direct_message(
        self, user: str, text: str, ts: str = "1700000100.000100", **sign: Any
    ) -> requests.Response:
        return self.event(
            {
                "type": "message",
                "channel": "D" + user.lstrip("U"),
                "user": user,
                "text": text,
                "ts": ts,
                "event_ts": ts,
                "channel_type": "im",
            },
            **sign,
        )

    def command(self, user: str, text: str, **sign: Any) -> requests.Response:
        form = {
            "token": "unused",
            "team_id": TEAM_ID,
            "team_domain": "acme",
            "channel_id": "C0GENERAL",
            "channel_name": "general",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/token",
            "text": text,
            "api_app_id": "A0TOKENBOT",
            "response_url": self.response_url,
            "trigger_id": "13345224609.738474920.8088930838d88f008e0",
        }
        return self.post(urlencode(form), "application/x-www-form-urlencoded", **sign)

    def home_opened(self, user: str, ts: str = "1700000300.000300") -> requests.Response:
        """The person opens the bot's Home tab."""
        return self.event(
            {
                "type": "app_home_opened",
                "user": user,
                "channel": "D" + user.lstrip("U"),
                "event_ts": ts,
                "ts": ts,
                "tab": "home",
            }
        )

    def click_in_view(
        self,
        user: str,
        view: dict[str, Any],
        action_id: str,
        *,
        value: str | None = None,
        view_type: str = "home",
        answers: dict[str, Any] | None = None,
        selected: str | None = None,
        block_id: str | None = None,
    ) -> requests.Response:
        """Click a button on the Home tab, or pick an option in a modal (`view_type="modal"`,
        `selected` the option value; `answers` what is filled in so far)."""
        element = _find(view["blocks"], action_id, value, block_id)
        action: dict[str, Any] = {
            "action_id": action_id,
            "block_id": element["block_id"],
            "type": element["type"],
            "action_ts": "1700000400.000400",
        }
        if "value" in element:
            action["value"] = element["value"]
        if element["type"] == "plain_text_input":  # Enter pressed in it: what is typed
            action["value"] = (answers or {}).get(element["block_id"], "")
        if selected is not None:
            action["selected_option"] = next(
                o for o in element["options"] if o["value"] == selected
            )
        payload = {
            "type": "block_actions",
            "team": {"id": TEAM_ID, "domain": "acme"},
            "user": {"id": user, "username": user.lower(), "team_id": TEAM_ID},
            "api_app_id": "A0TOKENBOT",
            "token": "unused",
            "container": {"type": "view", "view_id": MODAL_ID},
            "trigger_id": "24571818370.22717085937.b9c7ca14b87be6b44ff5864edba8306f",
            "view": {
                **view,
                "id": MODAL_ID,
                "hash": "1700000400.abcdef",
                "team_id": TEAM_ID,
                "type": view_type,
                "state": view_state(view, answers or {}),
            },
            "actions": [action],
        }
        body = urlencode({"payload": json.dumps(payload)})
        return self.post(body, "application/x-www-form-urlencoded")

    def click(
        self,
        user: str,
        message: dict[str, Any],
        action_id: str,
        *,
        selected: list[str] | None = None,
        value: str | None = None,
        ephemeral: bool = False,
        **sign: Any,
    ) -> requests.Response:
        """Click the element `action_id` of a message the bot posted (blocks as sent)."""
        element = _find(message["blocks"], action_id, value)
        action = {
            "action_id": action_id,
            "block_id": element["block_id"],
            "type": element["type"],
            "action_ts": "1700000200.000200",
        }
        if "value" in element:
            action["value"] = element["value"]
        state: dict[str, Any] = {"values": {}}
        if selected is not None:
            select = _find(message["blocks"], "advisor.capabilities.select")
            options = [o for o in select["options"] if o["value"] in selected]
            state["values"] = {
                select["block_id"]: {
                    "advisor.capabilities.select": {
                        "type": "multi_static_select",
                        "selected_options": options,
                    }
                }
            }
        payload = {
            "type": "block_actions",
            "team": {"id": TEAM_ID, "domain": "acme"},
            "user": {"id": user, "username": user.lower(), "team_id": TEAM_ID},
            "api_app_id": "A0TOKENBOT",
            "token": "unused",
            "container": {
                "type": "message",
                "message_ts": message["ts"],
                "channel_id": message["channel"],
                "is_ephemeral": ephemeral,
            },
            "trigger_id": "12321423423.333649436676.d8c1bb837935619ccad0f624c448ffb3",
            "channel": {"id": message["channel"], "name": "directmessage"},
            # Slack leaves the message out of clicks on ephemeral messages.
            **(
                {}
                if ephemeral
                else {
                    "message": {"type": "message", "ts": message["ts"], "blocks": message["blocks"]}
                }
            ),
            "state": state,
            "response_url": self.response_url,
            "actions": [action],
        }
        body = urlencode({"payload": json.dumps(payload)})
        return self.post(body, "application/x-www-form-urlencoded", **sign)


def _find(
    blocks: list[dict[str, Any]],
    action_id: str,
    value: str | None = None,
    block_id: str | None = None,
) -> dict[str, Any]:
    """The element `action_id` (with `value`, in `block_id`, if given): in an actions block,
    a section's accessory or an input block."""
    for block in blocks:
        if block_id is not None and block.get("block_id") != block_id:
            continue
        single = [block[k] for k in ("accessory", "element") if isinstance(block.get(k), dict)]
        for element in [*block.get("elements", []), *single]:
            if element.get("action_id") == action_id and value in {None, element.get("value")}:
                return {**element, "block_id": block.get("block_id", "")}
    raise AssertionError(f"no element {action_id} (value {value}) in the blocks")


def view_state(view: dict[str, Any], answers: dict[str, Any]) -> dict[str, Any]:
    """The `state.values` Slack sends for a modal filled in with `answers` (block id -> value).

    Values: a string for text inputs, date pickers, selects and radio buttons (the option
    value), a list of option values for multi-selects.
    """
    values: dict[str, Any] = {}
    for block in view["blocks"]:
        if block.get("type") != "input" or block["block_id"] not in answers:
            continue
        element, answer = block["element"], answers[block["block_id"]]
        kind = element["type"]
        entry: dict[str, Any] = {"type": kind}
        if kind == "plain_text_input":
            entry["value"] = answer
        elif kind == "datepicker":
            entry["selected_date"] = answer
        elif kind in {"static_select", "radio_buttons"}:
            entry["selected_option"] = next(o for o in element["options"] if o["value"] == answer)
        elif kind == "multi_static_select":
            entry["selected_options"] = [o for o in element["options"] if o["value"] in answer]
        values[block["block_id"]] = {element["action_id"]: entry}
    return {"values": values}


MODAL_ID = "V0VIEW"  # the id Slack gave the modal (clicks in it carry the same)
_hashes = itertools.count(1)


def _submission(
    user: str,
    view: dict[str, Any],
    answers: dict[str, Any],
    forged: dict[str, Any],
    view_hash: str | None = None,
) -> dict[str, Any]:
    """A view_submission as Slack sends it: the view with its id and hash (Slack changes the
    hash whenever the view changes; `view_hash` repeats one, as a resubmit of the same view)."""
    state = view_state(view, answers)
    state["values"].update(forged)
    view = {
        **view,
        "id": view.get("id") or MODAL_ID,
        "hash": view_hash or f"1700000500.{next(_hashes):06d}",
    }
    return {
        "type": "view_submission",
        "team": {"id": TEAM_ID, "domain": "acme"},
        "user": {"id": user, "username": user.lower(), "team_id": TEAM_ID},
        "api_app_id": "A0TOKENBOT",
        "token": "unused",
        "trigger_id": "12345.98765.abcd",
        "view": {
            **view,
            "state": state,
            "team_id": TEAM_ID,
            "type": "modal",
            "private_metadata": view.get("private_metadata", ""),
        },
        "response_urls": [],
    }


def submit(
    driver: SlackDriver,
    user: str,
    view: dict[str, Any],
    answers: dict[str, Any],
    *,
    forged: dict[str, Any] | None = None,
    view_hash: str | None = None,
) -> requests.Response:
    """Submit a modal the bot opened (the view as recorded from views.open).

    `forged`: `state.values` entries sent as they are (block id -> {action id: entry}),
    such as an option the view never offered. `view_hash`: as for `_submission`.
    """
    payload = _submission(user, view, answers, forged or {}, view_hash)
    body = urlencode({"payload": json.dumps(payload)})
    return driver.post(body, "application/x-www-form-urlencoded")
