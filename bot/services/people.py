"""Someone acting through the bot, and the refusal when they may not do what they asked."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.requests import RequestError


@dataclass(frozen=True, slots=True)
class Person:
    """Someone acting through the bot: their chat id and their linked GitLab user."""

    chat_id: str
    gitlab_id: int


class NotAllowedError(RequestError):
    """The person may not do this (the authorization decision said no)."""
