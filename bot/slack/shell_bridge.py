"""Slack as the shell's other half (`RequestNotices`): a request made in `tokenbot shell`
gets its card and approvers' messages in Slack, and what is decided in the shell shows there.
What is decided in Slack the shell reads from the database."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain.approval_notices import Surface
from bot.domain.requests import TokenRequest
from bot.services.provisioning import Provisioning
from bot.services.request_notices import Announced
from bot.slack.approvals import SlackApprovals
from bot.slack.blocks import notices
from bot.slack.flow import RequestFlow
from bot.slack.listeners.delivery import finish_delivery

log = logging.getLogger(__name__)
T = TypeVar("T")


class SlackRequestNotices:
    def __init__(self, client: WebClient, flow: RequestFlow) -> None:
        self._client = client
        self._flow = flow
        self._approvals = SlackApprovals(client, flow)

    def submitted(self, request: TokenRequest) -> tuple[Announced | None, str | None]:
        return _guarded(lambda: self._approvals.announce(request, surface=Surface.SHELL))

    def changed(self, request: TokenRequest) -> str | None:
        return _guarded(lambda: self._approvals.redraw(request))[1]

    def denied(self, request: TokenRequest, by: str) -> str | None:
        def tell() -> None:
            self._approvals.redraw(request)
            self._approvals.tell_requester(request, notices.denied(request, by))

        return _guarded(tell)[1]

    def provisioned(self, outcome: Provisioning) -> str | None:
        return _guarded(lambda: finish_delivery(self._flow, self._client, outcome))[1]


def _guarded(step: Callable[[], T]) -> tuple[T | None, str | None]:
    """Slack being unwell must not stop the shell: the problem is said there instead."""
    try:
        return step(), None
    except (SlackApiError, OSError, ValueError) as exc:
        log.warning("Slack was not updated: %s", exc)
        reason = exc.response.get("error") if isinstance(exc, SlackApiError) else None
        return None, f"Slack was not updated ({reason or exc.__class__.__name__})"
