"""What the request listeners share: the wiring, who the clicker is in GitLab, replies."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date
from typing import Any

from slack_sdk import WebClient

from bot.domain.hygiene_report import FlaggedCredential
from bot.domain.routing import channel_for
from bot.services.linking import LinkDeps
from bot.services.reminder_actions import ActionDeps
from bot.services.renewals import RenewApproval, RenewDeps
from bot.services.token_requests import Person, RequestDeps
from bot.slack.blocks import notices
from bot.slack.identity import identify
from bot.slack.parse import user_id

# A person's own flagged credentials (at most a Home tab's worth) and how many in all.
Findings = Callable[[str], tuple[Sequence[FlaggedCredential], int]]


@dataclass(frozen=True, slots=True)
class RequestFlow:
    deps: RequestDeps
    approvals_channel: str
    user_map: Mapping[str, str]
    lifetime_days: int
    approvals_routes: Mapping[str, str] = field(default_factory=dict)
    provisioning_timeout_seconds: int = 300  # when the reconciler takes a stuck request over
    linking: LinkDeps | None = None  # GitLab sign-in, when TOKENBOT_GITLAB_OAUTH_* are set
    renew_approval: RenewApproval = RenewApproval.RISKY  # TOKENBOT_RENEW_NEEDS_APPROVAL
    fallback_approvers: tuple[str, ...] = ()  # TOKENBOT_FALLBACK_APPROVERS
    approver_groups: Mapping[str, str] = field(default_factory=dict)  # path -> user group
    reminder_hours: int = 24  # TOKENBOT_APPROVAL_REMINDER_HOURS
    home_findings: Findings | None = None  # what every Home tab it redraws shows (hygiene)

    def renew_deps(self) -> RenewDeps:
        """Rotate on a requested token is a renewal request, as on a reminder."""
        return RenewDeps(self.actions(), self.deps, self.renew_approval)

    def actions(self) -> ActionDeps:
        """What acting on a tracked token needs (Replace with a narrower token checks it)."""
        deps = self.deps
        return ActionDeps(deps.uow, deps.gitlab, deps.clock, gate=deps.gate)

    def channel_for(self, target: str) -> str:
        """The approvals channel of the target's namespace (TOKENBOT_APPROVALS_ROUTES)."""
        return channel_for(target, self.approvals_routes, self.approvals_channel)

    def approver_group(self, target: str) -> str | None:
        """The Slack user group to mention for the target (TOKENBOT_APPROVER_GROUPS)."""
        return channel_for(target, self.approver_groups, "") or None

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
        linking = self.requests.linking if self.requests is not None else None
        return identify(
            client, chat_id, gitlab=self.actions.gitlab, user_map=self.user_map, linking=linking
        )


def known_person(flow: RequestFlow, client: WebClient, chat_id: str) -> Person:
    """Like `person`, but sends nothing: for views that show the link button themselves."""
    return identify(
        client,
        chat_id,
        gitlab=flow.deps.gitlab,
        user_map=flow.user_map,
        linking=flow.linking,
        offer=False,
    )


def person(flow: RequestFlow, client: WebClient, chat_id: str) -> Person:
    """The Slack user linked to their GitLab user (IdentityError says why not; with GitLab
    sign-in on, someone nobody knows is sent the link button)."""
    return identify(
        client, chat_id, gitlab=flow.deps.gitlab, user_map=flow.user_map, linking=flow.linking
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
