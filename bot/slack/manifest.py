"""The Slack app manifest, built from what the app declares here: commands, events, scopes.

`manifest.yml` is `render_yaml(build_manifest())`, Socket Mode; `tokenbot manifest --http-url`
prints the HTTP-mode one. The listeners register the same commands and events (a test drives
the real app to check both directions), and each scope is here because a Web API method the
code calls, an event or a command needs it (tests/integration/test_manifest.py checks that too).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import SplitResult, urlsplit

from bot.slack import ids
from bot.slack.manifest_yaml import to_yaml
from bot.slack.server import EVENTS_PATH

APP_NAME = "tokenbot"
DESCRIPTION = "Helps you choose, request and keep track of the right GitLab access token."
BACKGROUND_COLOR = "#2f2a6b"


@dataclass(frozen=True)
class SlashCommand:
    command: str
    description: str
    usage_hint: str


SLASH_COMMANDS = (
    SlashCommand(
        ids.COMMAND,
        "Choose, request and track GitLab tokens",
        "which | request | mine | pending | job-access | breakglass | help",
    ),
)

# The bot events Slack sends the app, and which listener wants each.
BOT_EVENTS: dict[str, str] = {
    "app_home_opened": "the Home tab is rebuilt each time it is opened",
    "app_mention": "@tokenbot in a channel, answered in a thread",
    "message.im": "direct messages to the bot",
}

# The bot scopes, and why each: least privilege, so nothing without a reason here.
BOT_SCOPES: dict[str, str] = {
    "app_mentions:read": "the app_mention event",
    "channels:read": "tokenbot check: is the bot in a public channel (conversations.info)",
    "chat:write": "post and update messages, cards and ephemeral notes",
    "commands": "the /token command",
    "files:write": "upload the weekly hygiene digest's chart (files.getUploadURLExternal)",
    "groups:read": "tokenbot check: ... and in a private one",
    "im:history": "the message.im event",
    "im:write": "conversations.open, to start a direct message",
    "users:read": "users.info, to find a person's GitLab user by e-mail address",
    "users:read.email": "... which users.info shows only with this scope",
}

_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})
_LONGEST_URL = 3000  # Slack's limit for a slash command's url (the request URLs allow 3500)


class RequestUrlError(ValueError):
    """A public URL Slack could not, or should not, send requests to; the message says why."""


def events_url(public_url: str) -> str:
    """The URL of tokenbot's `/slack/events` under `public_url` (its origin, maybe a path).

    https only, except http to this machine (a tunnel or a test); no user name, password,
    query or fragment, which Slack would send along or drop.
    """
    parts = _url_parts(public_url.strip())
    path = parts.path.rstrip("/")
    if not path.endswith(EVENTS_PATH):
        path += EVENTS_PATH
    full = f"{parts.scheme.lower()}://{parts.netloc}{path}"
    if len(full) > _LONGEST_URL:
        raise RequestUrlError(f"the URL is too long for Slack (over {_LONGEST_URL} characters)")
    return full


def _url_parts(url: str) -> SplitResult:
    try:
        parts = urlsplit(url)
    except ValueError:  # an unclosed [IPv6] bracket
        parts = None
    if parts is not None and "@" in parts.netloc:
        raise RequestUrlError("the URL must not contain a user name or password")  # may be secret
    shown = json.dumps(url[:80])
    if not url or any(c.isspace() or not c.isprintable() for c in url):
        raise RequestUrlError(f"{shown} is not a URL (no spaces or control characters)")
    if parts is None or not _has_valid_port(parts):
        raise RequestUrlError(f"{shown} is not a URL (a port from 0 to 65535, [IPv6] in brackets)")
    scheme, host = parts.scheme.lower(), (parts.hostname or "")
    if scheme not in {"https", "http"} or not host:
        raise RequestUrlError(f"{shown} must start with https:// and a host name")
    if scheme == "http" and host not in _LOOPBACK:
        raise RequestUrlError(
            f"{shown} must use https:// (http:// only for localhost and 127.0.0.1)"
        )
    if parts.query or parts.fragment or url.endswith(("?", "#")):
        raise RequestUrlError(f"{shown} must not have a query (?) or fragment (#)")
    return parts


def _has_valid_port(parts: SplitResult) -> bool:
    try:
        parts.port  # noqa: B018 - reading it checks it
    except ValueError:
        return False
    return True


def build_manifest(request_url: str | None = None) -> dict[str, Any]:
    """The manifest: Socket Mode without `request_url`, else HTTP mode with Slack sending
    events, commands and clicks to `request_url` (from `events_url`)."""
    return {
        "_metadata": {"major_version": 1, "minor_version": 1},
        "display_information": {
            "name": APP_NAME,
            "description": DESCRIPTION,
            "background_color": BACKGROUND_COLOR,
        },
        "features": {
            "app_home": {
                "home_tab_enabled": "app_home_opened" in BOT_EVENTS,
                "messages_tab_enabled": "message.im" in BOT_EVENTS,
                "messages_tab_read_only_enabled": False,
            },
            "bot_user": {"display_name": APP_NAME, "always_online": True},
            "slash_commands": [_slash_command(c, request_url) for c in SLASH_COMMANDS],
        },
        # No redirect_urls: the app is installed from its config page, not by Slack OAuth.
        "oauth_config": {"scopes": {"bot": sorted(BOT_SCOPES)}},
        "settings": {
            "event_subscriptions": _with_url(request_url, bot_events=sorted(BOT_EVENTS)),
            # Buttons, menus and modals: every Block Kit action and view submission.
            "interactivity": {"is_enabled": True, **_with_url(request_url)},
            "org_deploy_enabled": False,
            "socket_mode_enabled": request_url is None,
            "token_rotation_enabled": False,
        },
    }


def render_yaml(manifest: dict[str, Any]) -> str:
    """`manifest` as YAML, with a header saying which mode it is and each scope's reason."""
    url = manifest["settings"].get("event_subscriptions", {}).get("request_url")
    notes: dict[tuple[str, ...], Mapping[str, str]] = {
        ("oauth_config", "scopes", "bot"): BOT_SCOPES,
        ("settings", "event_subscriptions", "bot_events"): BOT_EVENTS,
    }
    return to_yaml(manifest, header=_header(url), notes=notes)


def render_json(manifest: dict[str, Any]) -> str:
    """`manifest` as JSON, which Slack accepts as well (without the comments)."""
    return json.dumps(manifest, indent=2) + "\n"


def _slash_command(command: SlashCommand, request_url: str | None) -> dict[str, Any]:
    return {
        "command": command.command,
        **_with_url(request_url, key="url"),
        "description": command.description,
        "usage_hint": command.usage_hint,
        "should_escape": False,
    }


def _with_url(request_url: str | None, *, key: str = "request_url", **rest: Any) -> dict[str, Any]:
    return ({key: request_url} if request_url is not None else {}) | rest


def _header(request_url: str | None) -> list[str]:
    made = "Written by `tokenbot manifest"
    if request_url is None:
        return [
            "Slack app manifest for tokenbot. Create the app from it at api.slack.com/apps",
            '("From an app manifest"). Socket Mode is on: no public URL is needed, and tokenbot',
            "connects out with SLACK_APP_TOKEN. For HTTP mode instead, print one with",
            "`tokenbot manifest --http-url https://your.host` (docs/slack.md).",
            f"{made} > manifest.yml`: change bot/slack/manifest.py, not this file.",
        ]
    return [
        "Slack app manifest for tokenbot, HTTP mode: Slack sends events, commands and clicks to",
        request_url,
        "and signs them with the app's Signing Secret: set SLACK_SIGNING_SECRET, not",
        f"SLACK_APP_TOKEN. {made} --http-url URL`; create the app from it",
        'at api.slack.com/apps ("From an app manifest").',
    ]
