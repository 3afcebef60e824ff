"""What the request listeners share: the wiring, who the clicker is in GitLab, replies."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain.routing import channel_for
from bot.services.identity import link_person
from bot.services.reminder_actions import ActionDeps
from bot.services.renewals import RenewApproval, RenewDeps
from bot.services.token_requests import Person, RequestDeps
from bot.slack.blocks import notices
from bot.slack.parse import user_id


@dataclass(frozen=True, slots=True)
class RequestFlow:
    deps: RequestDeps
    approvals_channel: str
    user_map: Mapping[str, str]
    lifetime_days: int
    approvals_routes: Mapping[str, str] = field(default_factory=dict)
    provisioning_timeout_seconds: int = 300  # when the reconciler takes a stuck request over

    def channel_for(self, target: str) -> str:
        """The approvals channel of the target's namespace (TOKENBOT_APPROVALS_ROUTES)."""
        return channel_for(target, self.approvals_routes, self.approvals_channel)

    def today(self) -> date:
        return self.deps.clock().astimezone(UTC).date()


@dataclass(frozen=True, slots=True)
class ReminderFlow:
    """What the reminder buttons need: the actions' dependencies and identity overrides.

    With token requests on (`requests`), Rotate and Renew become requests that rotate.
    """

    actions: ActionDeps
    user_map: Mapping[str, str]
    requests: RequestFlow | None = None
    renew_approval: RenewApproval = RenewApproval.RISKY

    def renew_deps(self) -> RenewDeps | None:
        if self.requests is None:
            return None
        return RenewDeps(self.actions, self.requests.deps, self.renew_approval)

    def person(self, client: WebClient, chat_id: str) -> Person:
        """The Slack user linked to their GitLab user (IdentityError says why not)."""
        return link_person(
            chat_id,
            directory=SlackDirectory(client),
            gitlab=self.actions.gitlab,
            overrides=self.user_map,
        )


class SlackDirectory:
    """E-mail addresses from `users.info` (needs users:read and users:read.email)."""

    def __init__(self, client: WebClient) -> None:
        self._client = client

    def email_of(self, chat_id: str) -> str | None:
        """None when Slack knows no such user or shares no address (`user_not_found`)."""
        try:
            user = self._client.users_info(user=chat_id).get("user")
        except (SlackApiError, UnicodeError):
            return None
        profile = user.get("profile") if isinstance(user, dict) else None
        email = profile.get("email") if isinstance(profile, dict) else None
        return str(email) if email else None


def person(flow: RequestFlow, client: WebClient, chat_id: str) -> Person:
    """The Slack user linked to their GitLab user (IdentityError says why not)."""
    return link_person(
        chat_id, directory=SlackDirectory(client), gitlab=flow.deps.gitlab, overrides=flow.user_map
    )


def tell(client: WebClient, body: Mapping[str, Any], words: str) -> None:
    """A note only the clicker sees: ephemeral beside a message, else a DM (Home tab, modal).

    `words` are plain words (a refusal, an error that may quote names): they are escaped.
    """
    text = notices.said(words)
    user = user_id(body)
    container = body.get("container")
    container = container if isinstance(container, Mapping) else {}
    where = body.get("channel")
    channel = container.get("channel_id") or (
        where.get("id") if isinstance(where, Mapping) else None
    )
    if container.get("type") == "message" and channel:
        client.chat_postEphemeral(channel=str(channel), user=user, text=text)
    else:
        client.chat_postMessage(channel=user, text=text)


def silent_logger() -> logging.Logger:
    """A logger outside the logging tree: no configuration can make it print a secret.

    slack_sdk logs request bodies at DEBUG, and the reveal's body carries the secret.
    """
    silent = logging.Logger("bot.slack.reveal", level=logging.CRITICAL + 1)
    silent.propagate = False
    return silent
