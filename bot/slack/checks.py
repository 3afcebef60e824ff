"""The Slack side of `tokenbot check`: `auth.test`, and `conversations.info` per channel.

`conversations.info` needs the `channels:read` scope for public channels and `groups:read` for
private ones; without them Slack answers `missing_scope` and the check says so.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web import SlackResponse

from bot.services.checks import SLACK_UNREACHABLE, SlackChannel, SlackIdentity, SlackProblemError


class SlackWebProbe:
    """`SlackProbe` on the Web API client the bot itself uses."""

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
        raise SlackProblemError(SLACK_UNREACHABLE, detail=exc.__class__.__name__) from None


def _text(value: Any) -> str:
    return str(value) if value is not None else ""
