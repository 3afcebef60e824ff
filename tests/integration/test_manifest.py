"""manifest.yml: valid for Slack, and declaring exactly what the code registers and calls.

Three sides are checked. Slack's rules: the published JSON schema (unknown keys, command
patterns, most lengths) plus the rules it misses (`manifest_problems`). The listeners: every
command and bot event the manifest declares reaches a listener of the real app, built the way
`tokenbot run` builds it, through its WSGI endpoint with correctly signed requests (Bolt
answers 404 to what no listener takes); and every listener the app registers is declared
where Slack needs it. The scopes: exactly those that the Web API methods the code calls, the
events and the commands need.
"""

from __future__ import annotations

import inspect
import io
import json
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from wsgiref.util import setup_testing_defaults

import jsonschema
import pytest
import yaml
from slack_bolt import App
from slack_sdk import WebClient
from sqlalchemy.engine import Engine

from bot.bootstrap import Container, bootstrap, request_flow, slack_app
from bot.config import Settings
from bot.sandbox import GitlabSimulator, SandboxServer
from bot.slack import ids
from bot.slack.manifest import (
    BOT_EVENTS,
    BOT_SCOPES,
    SLASH_COMMANDS,
    build_manifest,
    events_url,
    render_yaml,
)
from bot.slack.server import EVENTS_PATH, WsgiApp, wsgi_app
from tests.support.acme import seed_acme
from tests.support.slack_api import BOT_USER_ID, TEAM_ID, SlackRecorder
from tests.support.slack_requests import SIGNING_SECRET, signed_headers

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "tests/data/slack-manifest.schema.1.0.0.json").read_text())
ALICE = "U0ALICE"


def _manifest() -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / "manifest.yml").read_text()))


def test_the_manifest_follows_slacks_schema() -> None:
    jsonschema.validate(_manifest(), SCHEMA)


def test_the_schema_catches_what_slack_would_refuse() -> None:
    misspelt = _manifest()
    misspelt["settings"]["socket_mode_enabld"] = True
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(misspelt, SCHEMA)
    slashless = _manifest()
    slashless["features"]["slash_commands"][0]["command"] = "token"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(slashless, SCHEMA)


def test_manifest_yml_is_what_tokenbot_manifest_prints() -> None:
    """Byte for byte: `tokenbot manifest > manifest.yml` is how the file is kept."""
    assert (ROOT / "manifest.yml").read_text() == render_yaml(build_manifest())


def test_commands_events_and_scopes_match_the_code() -> None:
    manifest = _manifest()
    commands = {c["command"] for c in manifest["features"]["slash_commands"]}
    assert commands == {ids.COMMAND} == {c.command for c in SLASH_COMMANDS}
    assert set(manifest["settings"]["event_subscriptions"]["bot_events"]) == set(BOT_EVENTS)
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == set(BOT_SCOPES)
    assert manifest["settings"]["interactivity"]["is_enabled"] is True


def test_people_can_write_to_the_bot_directly() -> None:
    app_home = _manifest()["features"]["app_home"]
    assert app_home["messages_tab_enabled"] is True
    assert app_home["messages_tab_read_only_enabled"] is False


# ---------------------------------------------------------------- Slack's manifest rules

# Slack's documented limits (/work/shared/reference/slack.md §7, "App manifest"): a path of keys
# ("*" for every item of a list) and the longest it may be, in characters or items.
_LONGEST = {
    ("display_information", "name"): 35,
    ("display_information", "description"): 140,
    ("display_information", "long_description"): 4000,
    ("features", "bot_user", "display_name"): 80,
    ("features", "shortcuts"): 10,
    ("features", "slash_commands"): 50,
    ("features", "slash_commands", "*", "command"): 32,
    ("features", "unfurl_domains"): 5,
    ("settings", "event_subscriptions", "bot_events"): 100,
    ("settings", "allowed_ip_address_ranges"): 10,
}
_SHORTEST = {("display_information", "long_description"): 175}
# The schema writes this one as `regex`, a keyword JSON Schema does not have: it checks nothing.
_COLOUR = re.compile(r"^#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?$")
_COMMAND = re.compile(r"^/\S+$")


def manifest_problems(manifest: dict[str, Any]) -> list[str]:
    """Everything Slack would refuse in `manifest`: the schema's findings, then our rules."""
    problems = [
        f"{'.'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}"
        for e in jsonschema.Draft7Validator(SCHEMA).iter_errors(manifest)
    ]
    for path, longest in _LONGEST.items():
        for where, value in _values_at(manifest, path):
            if len(value) > longest:
                problems.append(f"{where}: longer than {longest}")
    for path, shortest in _SHORTEST.items():
        for where, value in _values_at(manifest, path):
            if len(value) < shortest:
                problems.append(f"{where}: shorter than {shortest}")
    colour = manifest.get("display_information", {}).get("background_color")
    if colour is not None and not _COLOUR.match(str(colour)):
        problems.append(f"display_information.background_color: {colour!r} is not #rgb or #rrggbb")
    features = manifest.get("features", {})
    commands = [str(c.get("command", "")) for c in features.get("slash_commands", [])]
    problems += [
        f"features.slash_commands: {c!r} is not / and a name"
        for c in commands
        if not _COMMAND.match(c)
    ]
    problems += [
        f"features.slash_commands: {c} twice" for c in set(commands) if commands.count(c) > 1
    ]
    callbacks = [str(s.get("callback_id")) for s in features.get("shortcuts", [])]
    problems += [f"features.shortcuts: {c} twice" for c in set(callbacks) if callbacks.count(c) > 1]
    problems += _request_urls(manifest)
    return problems


def _values_at(node: Any, path: tuple[str, ...], where: str = "") -> Iterator[tuple[str, Any]]:
    if not path:
        yield where.lstrip("."), node
        return
    key, rest = path[0], path[1:]
    if key == "*" and isinstance(node, list):
        for index, item in enumerate(node):
            yield from _values_at(item, rest, f"{where}.{index}")
    elif isinstance(node, dict) and key in node:
        yield from _values_at(node[key], rest, f"{where}.{key}")


def _request_urls(manifest: dict[str, Any]) -> list[str]:
    """Without Socket Mode, Slack needs a URL for everything it sends (slack.md §7)."""
    settings = manifest.get("settings", {})
    if settings.get("socket_mode_enabled"):
        return []
    problems = []
    if settings.get("event_subscriptions", {}).get("bot_events") and not settings[
        "event_subscriptions"
    ].get("request_url"):
        problems.append("settings.event_subscriptions.request_url: needed without Socket Mode")
    interactivity = settings.get("interactivity", {})
    if interactivity.get("is_enabled") and not interactivity.get("request_url"):
        problems.append("settings.interactivity.request_url: needed without Socket Mode")
    for command in manifest.get("features", {}).get("slash_commands", []):
        if not command.get("url"):
            problems.append(f"{command.get('command')}: needs a url without Socket Mode")
    return problems


def test_the_manifest_keeps_slacks_rules() -> None:
    assert manifest_problems(_manifest()) == []


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(manifest: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = manifest
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node.setdefault(key, {})
        node[last] = value

    return change


def _repeat_first_command(manifest: dict[str, Any]) -> None:
    commands = manifest["features"]["slash_commands"]
    commands.append(dict(commands[0]))


# A change Slack would refuse, and a word of the problem it must cause.
REFUSED: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "name of 36": (_set("display_information.name", "t" * 36), "name"),
    "description of 141": (_set("display_information.description", "d" * 141), "description"),
    "short long description": (
        _set("display_information.long_description", "too short"),
        "long_description",
    ),
    "long description of 4001": (
        _set("display_information.long_description", "l" * 4001),
        "long_description",
    ),
    "bot name of 81": (_set("features.bot_user.display_name", "b" * 81), "display_name"),
    "colour by name": (_set("display_information.background_color", "purple"), "color"),
    "command without /": (_set("features.slash_commands.0.command", "token"), "command"),
    "command of 33": (_set("features.slash_commands.0.command", "/" + "t" * 32), "command"),
    "command with a space": (_set("features.slash_commands.0.command", "/to ken"), "/to ken"),
    "command twice": (_repeat_first_command, "twice"),
    "shortcut without callback": (
        _set("features.shortcuts", [{"name": "Request", "type": "global", "description": "d"}]),
        "callback_id",
    ),
    "unknown event setting": (
        _set("settings.event_subscriptions.bot_event", ["app_mention"]),
        "bot_event",
    ),
    "HTTP mode without URLs": (_set("settings.socket_mode_enabled", False), "request_url"),
}


@pytest.mark.parametrize(("change", "about"), REFUSED.values(), ids=REFUSED.keys())
def test_what_slack_would_refuse_is_found(
    change: Callable[[dict[str, Any]], None], about: str
) -> None:
    manifest = _manifest()
    change(manifest)
    problems = manifest_problems(manifest)
    assert [p for p in problems if about in p], problems


def test_http_mode_with_its_urls_is_accepted() -> None:
    manifest = build_manifest(events_url("https://tokenbot.example.com"))
    assert manifest_problems(manifest) == []
    assert manifest["settings"]["socket_mode_enabled"] is False
    assert yaml.safe_load(render_yaml(manifest)) == manifest


def test_http_mode_differs_from_socket_mode_only_by_its_urls() -> None:
    url = "https://tokenbot.example.com/slack/events"
    http = build_manifest(url)
    assert http["settings"].pop("socket_mode_enabled") is False
    assert http["settings"]["event_subscriptions"].pop("request_url") == url
    assert http["settings"]["interactivity"].pop("request_url") == url
    assert [c.pop("url") for c in http["features"]["slash_commands"]] == [url]
    socket = _manifest()
    assert socket["settings"].pop("socket_mode_enabled") is True
    assert http == socket


def _objects(node: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    """The path of every mapping in the manifest, the top included."""
    if isinstance(node, dict):
        yield path
        for key, value in node.items():
            yield from _objects(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _objects(value, (*path, index))


@pytest.mark.parametrize(
    "path", list(_objects(_manifest())), ids=lambda p: ".".join(map(str, p)) or "(top)"
)
def test_an_unknown_key_is_refused_anywhere(path: tuple[str | int, ...]) -> None:
    manifest = _manifest()
    node: Any = manifest
    for key in path:
        node = node[key]
    node["not_a_slack_key"] = True
    assert any("not_a_slack_key" in problem for problem in manifest_problems(manifest))


# ---------------------------------------------------------------- scopes

# What each Web API method needs (slack.md §7, and each method's page on api.slack.com).
# A method the code starts to call must be added here, with its scopes, before this passes.
SCOPES_OF_METHOD: dict[str, set[str]] = {
    "auth.test": set(),
    "chat.postMessage": {"chat:write"},
    "chat.postEphemeral": {"chat:write"},
    "chat.update": {"chat:write"},
    "chat.delete": {"chat:write"},
    "conversations.open": {"im:write"},  # 1:1 DMs; a group DM would need mpim:write
    "conversations.info": {"channels:read", "groups:read"},
    # The code reads the person's e-mail from users.info: that takes users:read.email too.
    "users.info": {"users:read", "users:read.email"},
    "users.lookupByEmail": {"users:read", "users:read.email"},
    # slack_sdk's files_upload_v2 calls files.getUploadURLExternal and
    # files.completeUploadExternal, each of which takes files:write
    # (https://docs.slack.dev/reference/methods/files.getUploadURLExternal).
    "files.upload_v2": {"files:write"},
    "files.getUploadURLExternal": {"files:write"},
    "files.completeUploadExternal": {"files:write"},
    "views.open": set(),
    "views.publish": set(),
    "views.update": set(),
    "views.push": set(),
}
SCOPES_OF_EVENT: dict[str, set[str]] = {
    "app_home_opened": set(),
    "app_mention": {"app_mentions:read"},
    "message.im": {"im:history"},
    "message.channels": {"channels:history"},
    "message.groups": {"groups:history"},
    "message.mpim": {"mpim:history"},
}
_CALL = re.compile(r"\.([a-z]+_[A-Za-z0-9_]+)\(")  # files_upload_v2 has a digit


def web_api_methods_called() -> set[str]:
    """The Web API methods the bot's code calls through slack_sdk's WebClient."""
    found = set()
    for path in (ROOT / "bot").rglob("*.py"):
        for name in _CALL.findall(path.read_text(encoding="utf-8")):
            if callable(getattr(WebClient, name, None)):
                found.add(name.replace("_", ".", 1))
    return found


def test_the_scan_finds_the_calls_we_know_of() -> None:
    called = web_api_methods_called()
    assert {"chat.postMessage", "users.info", "conversations.open", "views.open"} <= called


def test_the_bot_scopes_are_exactly_what_the_code_needs() -> None:
    manifest = _manifest()
    called = web_api_methods_called()
    unknown = called - set(SCOPES_OF_METHOD)
    assert not unknown, f"add these methods and their scopes to SCOPES_OF_METHOD: {unknown}"
    events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert events <= set(SCOPES_OF_EVENT), events - set(SCOPES_OF_EVENT)
    needed = set().union(
        *(SCOPES_OF_METHOD[m] for m in called), *(SCOPES_OF_EVENT[e] for e in events)
    )
    if manifest["features"].get("slash_commands"):
        needed.add("commands")
    declared = set(manifest["oauth_config"]["scopes"]["bot"])
    assert needed - declared == set(), "missing from oauth_config.scopes.bot"
    assert declared - needed == set(), "declared but not needed: least privilege"


# ---------------------------------------------------------------- the listeners


@contextmanager
def _the_bot(database_url: str, **build: Any) -> Iterator[tuple[App, Container, SlackRecorder]]:
    """The Bolt app `tokenbot run` builds (`slack_app`), with every listener on: requests and
    reminders configured, GitLab simulated, Slack's Web API recorded."""
    sim = GitlabSimulator()
    bot_token = seed_acme(sim)
    with SandboxServer(sim) as gitlab, SlackRecorder() as slack:
        settings = Settings(
            database_url=database_url,
            slack_bot_token="xoxb-test-not-a-real-token",
            slack_signing_secret=SIGNING_SECRET,
            slack_api_url=slack.url,
            gitlab_url=gitlab.url,
            gitlab_token=bot_token,
            tokenbot_secret_key="test-only-key-0123456789-abcdefghijklmnop",
            tokenbot_approvals_channel="C0APPROVALS",
            tokenbot_reminders_channel="C0REMINDERS",
            tokenbot_user_map=(f"{ALICE}=alice",),
        )
        container = bootstrap(settings, migrate=False)
        try:
            app = slack_app(settings, container, request_flow(settings, container), **build)
            yield app, container, slack
            _quiet(slack)  # a listener still at work would write to a database being emptied
        finally:
            container.close()


@pytest.fixture
def endpoint(db: Engine, database_url: str) -> Iterator[tuple[WsgiApp, SlackRecorder]]:
    """The bot's WSGI endpoint, as `tokenbot run` serves it under waitress."""
    with _the_bot(database_url) as (app, container, slack):
        yield wsgi_app(app, ready=container.ready), slack


def _quiet(slack: SlackRecorder, *, for_seconds: float = 0.3, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    seen, since = len(slack.calls), time.monotonic()
    while time.monotonic() < deadline and time.monotonic() - since < for_seconds:
        time.sleep(0.05)
        if len(slack.calls) != seen:
            seen, since = len(slack.calls), time.monotonic()


def _deliver(application: WsgiApp, body: str, content_type: str) -> tuple[int, str]:
    """POST `body`, signed as Slack signs it, to the app's endpoint; (status, response body)."""
    raw = body.encode()
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": EVENTS_PATH,
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(raw)),
        "wsgi.input": io.BytesIO(raw),
    }
    for name, value in signed_headers(body, content_type=content_type).items():
        if name != "Content-Type":
            environ["HTTP_" + name.upper().replace("-", "_")] = value
    setup_testing_defaults(environ)
    status: list[str] = []

    def start_response(line: str, _headers: list[tuple[str, str]], *_exc: Any) -> Any:
        status.append(line)
        return lambda _data: None

    answer = b"".join(application(environ, start_response))
    return int(status[0].split()[0]), answer.decode()


def _command(name: str, text: str) -> tuple[str, str]:
    form = {
        "token": "unused",
        "team_id": TEAM_ID,
        "team_domain": "acme",
        "channel_id": "C0GENERAL",
        "channel_name": "general",
        "user_id": ALICE,
        "user_name": "alice",
        "command": name,
        "text": text,
        "api_app_id": "A0TOKENBOT",
        "response_url": "http://127.0.0.1:9/unused",
        "trigger_id": "13345224609.738474920.8088930838d88f008e0",
    }
    return urlencode(form), "application/x-www-form-urlencoded"


def _event(name: str) -> tuple[str, str]:
    """The envelope Slack sends for a bot event subscription `name` (e.g. `message.im`)."""
    kind, _, where = name.partition(".")
    ts = f"{time.time():.6f}"
    event: dict[str, Any] = {
        "type": kind,
        "user": ALICE,
        "channel": "D0ALICE" if where in {"", "im"} else "C0GENERAL",
        "text": f"<@{BOT_USER_ID}> help" if kind == "app_mention" else "help",
        "ts": ts,
        "event_ts": ts,
        "tab": "home",
    }
    if kind == "message":  # message.im, message.channels...: one event type, told by channel
        event["channel_type"] = {"channels": "channel", "groups": "group"}.get(where, where)
    envelope = {
        "token": "unused",
        "team_id": TEAM_ID,
        "api_app_id": "A0TOKENBOT",
        "event": event,
        "type": "event_callback",
        "event_id": f"Ev{ts.replace('.', '')}",
        "event_time": int(float(ts)),
        "authorizations": [
            {
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
    }
    return json.dumps(envelope), "application/json"


def _shortcut(shortcut: dict[str, Any]) -> tuple[str, str]:
    payload: dict[str, Any] = {
        "type": "shortcut" if shortcut["type"] == "global" else "message_action",
        "callback_id": shortcut["callback_id"],
        "team": {"id": TEAM_ID, "domain": "acme"},
        "user": {"id": ALICE, "username": "alice", "team_id": TEAM_ID},
        "api_app_id": "A0TOKENBOT",
        "token": "unused",
        "trigger_id": "12345.98765.abcd",
        "action_ts": f"{time.time():.6f}",
    }
    if shortcut["type"] == "message":
        payload["channel"] = {"id": "C0GENERAL", "name": "general"}
        payload["message"] = {"type": "message", "ts": "1700000000.000100", "text": "hi"}
        payload["response_url"] = "http://127.0.0.1:9/unused"
    return urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"


def _declared() -> dict[str, tuple[str, str]]:
    """A signed-request body for everything the manifest says Slack will send."""
    manifest = _manifest()
    features, settings = manifest.get("features", {}), manifest.get("settings", {})
    requests = {
        f"command {c['command']}": _command(c["command"], "help")
        for c in features.get("slash_commands", [])
    }
    requests |= {
        f"event {e}": _event(e)
        for e in settings.get("event_subscriptions", {}).get("bot_events", [])
    }
    requests |= {
        f"shortcut {s['callback_id']}": _shortcut(s) for s in features.get("shortcuts", [])
    }
    return requests


DECLARED = _declared()


@pytest.mark.parametrize("what", DECLARED.keys())
def test_what_the_manifest_declares_reaches_a_listener(
    endpoint: tuple[WsgiApp, SlackRecorder], what: str
) -> None:
    application, slack = endpoint
    before = len(slack.calls)
    status, answer = _deliver(application, *DECLARED[what])
    assert status == 200, f"{what}: answered {status} {answer}"
    if what.startswith("command"):
        assert answer  # `help` is answered in the acknowledgement
    else:  # acknowledged at once; the listener then talks to Slack
        deadline = time.monotonic() + 10
        while len(slack.calls) == before and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(slack.calls) > before, f"{what}: no listener did anything"


@pytest.mark.parametrize(
    "request_", [_command("/not-ours", "help"), _event("reaction_added")], ids=["command", "event"]
)
def test_what_the_manifest_does_not_declare_reaches_no_listener(
    endpoint: tuple[WsgiApp, SlackRecorder], request_: tuple[str, str]
) -> None:
    """The check above can fail: Bolt answers 404 to what no listener takes."""
    application, _ = endpoint
    status, _answer = _deliver(application, *request_)
    assert status == 404


class RecordingApp(App):
    """Bolt's App, noting what each listener is registered for (Bolt keeps that private)."""

    def __init__(self, **kwargs: Any) -> None:
        self.registered: list[tuple[str, Any]] = []
        super().__init__(**kwargs)

    def _note(self, kind: str, what: Any) -> None:
        self.registered.append((kind, what))

    def command(self, command: Any, *args: Any, **kwargs: Any) -> Any:
        self._note("command", command)
        return super().command(command, *args, **kwargs)

    def event(self, event: Any, *args: Any, **kwargs: Any) -> Any:
        self._note("event", event)
        return super().event(event, *args, **kwargs)

    def message(self, keyword: Any = "", *args: Any, **kwargs: Any) -> Any:
        self._note("event", "message")
        return super().message(keyword, *args, **kwargs)

    def shortcut(self, constraints: Any, *args: Any, **kwargs: Any) -> Any:
        self._note("shortcut", constraints)
        return super().shortcut(constraints, *args, **kwargs)

    def global_shortcut(self, callback_id: Any, *args: Any, **kwargs: Any) -> Any:
        self._note("shortcut", {"type": "shortcut", "callback_id": callback_id})
        return super().global_shortcut(callback_id, *args, **kwargs)

    def message_shortcut(self, callback_id: Any, *args: Any, **kwargs: Any) -> Any:
        self._note("shortcut", {"type": "message_action", "callback_id": callback_id})
        return super().message_shortcut(callback_id, *args, **kwargs)

    def _interactive(self, name: str) -> Callable[..., Any]:
        method = getattr(super(), name)

        def register(constraints: Any, *args: Any, **kwargs: Any) -> Any:
            self._note("interactive", constraints)
            return method(constraints, *args, **kwargs)

        return register

    def action(self, constraints: Any, *args: Any, **kwargs: Any) -> Any:
        return self._interactive("action")(constraints, *args, **kwargs)

    def block_action(self, constraints: Any, *args: Any, **kwargs: Any) -> Any:
        return self._interactive("block_action")(constraints, *args, **kwargs)

    def view(self, constraints: Any, *args: Any, **kwargs: Any) -> Any:
        return self._interactive("view")(constraints, *args, **kwargs)

    def view_submission(self, constraints: Any, *args: Any, **kwargs: Any) -> Any:
        return self._interactive("view_submission")(constraints, *args, **kwargs)

    def view_closed(self, constraints: Any, *args: Any, **kwargs: Any) -> Any:
        return self._interactive("view_closed")(constraints, *args, **kwargs)

    def options(self, constraints: Any, *args: Any, **kwargs: Any) -> Any:
        return self._interactive("options")(constraints, *args, **kwargs)

    def block_suggestion(self, constraints: Any, *args: Any, **kwargs: Any) -> Any:
        return self._interactive("block_suggestion")(constraints, *args, **kwargs)


def undeclared_listeners(registered: list[tuple[str, Any]], manifest: dict[str, Any]) -> list[str]:
    """What the app listens for that Slack would never send it, by `manifest`."""
    features, settings = manifest.get("features", {}), manifest.get("settings", {})
    commands = {c["command"] for c in features.get("slash_commands", [])}
    events = set(settings.get("event_subscriptions", {}).get("bot_events", []))
    shortcuts = {(s["type"], s["callback_id"]) for s in features.get("shortcuts", [])}
    interactive = bool(settings.get("interactivity", {}).get("is_enabled"))
    missing = []
    for kind, what in registered:
        if kind == "command" and what not in commands:
            missing.append(f"command {what}: not in features.slash_commands")
        elif kind == "event":
            name = what.get("type") if isinstance(what, dict) else what
            wanted = {e for e in events if e.split(".")[0] == name}
            if not isinstance(name, str) or not wanted:
                missing.append(f"event {what}: not in settings.event_subscriptions.bot_events")
        elif kind == "shortcut":
            shortcut = what if isinstance(what, dict) else {"callback_id": what}
            kinds = {"shortcut": {"global"}, "message_action": {"message"}}.get(
                str(shortcut.get("type")), {"global", "message"}
            )
            if not {(k, shortcut.get("callback_id")) for k in kinds} & shortcuts:
                missing.append(f"shortcut {what}: not in features.shortcuts")
        elif kind == "interactive" and not interactive:
            missing.append(f"{what}: needs settings.interactivity.is_enabled")
    return missing


def test_the_reverse_check_finds_undeclared_listeners() -> None:
    manifest = _manifest()
    registered = [
        ("command", "/other"),
        ("event", "reaction_added"),
        ("shortcut", "request_token"),
        ("event", "message"),
        ("command", ids.COMMAND),
    ]
    assert len(undeclared_listeners(registered, manifest)) == 3
    manifest["settings"]["interactivity"]["is_enabled"] = False
    assert undeclared_listeners([("interactive", "request.approve")], manifest)


@pytest.mark.skipif(
    "app_class" not in inspect.signature(slack_app).parameters,
    reason="needs slack_app(..., app_class=App) and create_app(..., app_class=App) to see the"
    " listeners without reading Bolt's private state",
)
def test_every_listener_the_app_registers_is_declared(db: Engine, database_url: str) -> None:
    with _the_bot(database_url, app_class=RecordingApp) as (app, _, _):
        assert isinstance(app, RecordingApp)
        registered = app.registered
    assert {kind for kind, _ in registered} >= {"command", "event", "interactive"}
    assert undeclared_listeners(registered, _manifest()) == []


def test_the_app_registers_exactly_the_commands_and_events_the_manifest_declares(
    db: Engine, database_url: str
) -> None:
    """The other direction of the check above, and no shortcuts the manifest lacks."""
    with _the_bot(database_url, app_class=RecordingApp) as (app, _, _):
        assert isinstance(app, RecordingApp)
        registered = app.registered
    manifest = build_manifest()
    commands = {what for kind, what in registered if kind == "command"}
    events = {what for kind, what in registered if kind == "event"}
    assert commands == {c["command"] for c in manifest["features"]["slash_commands"]}
    subscribed = manifest["settings"]["event_subscriptions"]["bot_events"]
    assert events == {e.split(".")[0] for e in subscribed}  # message.im arrives as "message"
    assert not [what for kind, what in registered if kind == "shortcut"]
    assert "shortcuts" not in manifest["features"]
