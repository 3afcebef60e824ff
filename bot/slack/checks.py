"""The Slack side of `tokenbot check`: `auth.test`, and `conversations.info` per channel.

`conversations.info` needs the `channels:read` scope for public channels and `groups:read` for
private ones; without them Slack answers `missing_scope` and the check says so.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web import SlackResponse

from bot.services.checks import SLACK_UNREACHABLE, SlackChannel, SlackIdentity, SlackProblemError

CHECK_TIMEOUT_SECONDS = 5


def check_client(*, token: str, api_url: str) -> WebClient:
    """A Web API client that asks once: a check says "cannot be reached" at once, without
    the retries (and their log lines) the bot's own client makes."""
    quiet = logging.Logger("bot.slack.check", level=logging.CRITICAL + 1)
    quiet.propagate = False
    return WebClient(
        token=token,
        base_url=api_url,
        timeout=CHECK_TIMEOUT_SECONDS,
        retry_handlers=[],
        logger=quiet,
    )


class SlackWebProbe:
    """`SlackProbe` on a Web API client (`check_client`)."""

    def __init__(self, client: WebClient) -> None:
        self._client = client

    def identity(self) -> SlackIdentity:
        answer = _call(self._client.auth_test)
        return SlackIdentity(
            team=_text(answer.get("team")),
            team_id=_text(answer.get("team_id")),
            user=_text(answer.get("user")),
            user_id=_text(answer.get("user_id")),
        )

    def channel(self, channel_id: str) -> SlackChannel:
        answer = _call(lambda: self._client.conversations_info(channel=channel_id))
        info = answer.get("channel")
        if not isinstance(info, dict):
            raise SlackProblemError("no_channel", detail="Slack's answer named no channel")
        member = info.get("is_member")
        return SlackChannel(
            id=_text(info.get("id")) or channel_id,
            name=_text(info.get("name")),
            is_member=member if isinstance(member, bool) else None,
            is_archived=bool(info.get("is_archived", False)),
            is_private=bool(info.get("is_private", False)),
        )


def _call(operation: Callable[[], SlackResponse]) -> SlackResponse:
    try:
        return operation()
    except SlackApiError as exc:
        response = exc.response
        error = _text(response.get("error")) if response is not None else ""
        needed = _text(response.get("needed")) if response is not None else ""
        raise SlackProblemError(error or "error", needed=needed or None) from None
    except (OSError, SlackClientError) as exc:
        raise SlackProblemError(SLACK_UNREACHABLE, detail=_reason(exc)) from None


def _reason(exc: BaseException) -> str:
    """Why the connection failed, in the system's words ("Connection refused", "timed out")."""
    cause: object = exc.reason if isinstance(exc, URLError) else exc
    if isinstance(cause, OSError) and cause.strerror:
        return cause.strerror
    words = str(cause).strip()
    return words[:200] if words else exc.__class__.__name__


def _text(value: Any) -> str:
    return str(value) if value is not None else ""
