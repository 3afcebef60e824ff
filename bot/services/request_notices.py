"""The port through which one front end tells another about a request: the shell, with
Slack configured, puts its requests before Slack's approvers and shows its decisions there."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.domain.requests import TokenRequest
from bot.domain.tokens import AccessLevel
from bot.services.provisioning import Provisioning


@dataclass(frozen=True, slots=True)
class Announced:
    """What became of putting a request before its approvers."""

    channel: str | None  # where its card is; None: not posted, and the request withdrawn
    approvers: tuple[str, ...] = ()  # the people asked by direct message
    nobody: bool = False  # nobody but the requester could approve it
    fallback: tuple[str, ...] = ()  # the fallback approvers asked (nobody else could)
    role: AccessLevel = AccessLevel.MAINTAINER  # the GitLab role that may approve it


class RequestNotices(Protocol):
    """Each returns a problem to show (the chat could not be told), or None."""

    def submitted(self, request: TokenRequest) -> tuple[Announced | None, str | None]:
        """Its card and the approvers' messages."""

    def changed(self, request: TokenRequest) -> str | None:
        """Approved, cancelled: the card and messages redrawn."""

    def denied(self, request: TokenRequest, by: str) -> str | None:
        """Redrawn, and the requester told why."""

    def provisioned(self, outcome: Provisioning) -> str | None:
        """Redrawn, and the requester told where the secret is."""
