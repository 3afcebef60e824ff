"""Linking a chat user to their GitLab user: an explicit mapping first, else their e-mail."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from bot.services.gitlab_port import GitLabGateway
from bot.services.token_requests import Person


class ChatDirectory(Protocol):
    def email_of(self, chat_id: str) -> str | None:
        """The person's verified e-mail address in the chat workspace, if it shares one."""


class IdentityError(LookupError):
    """Who this is in GitLab could not be told; the message says how to fix it."""


def link_person(
    chat_id: str,
    *,
    directory: ChatDirectory,
    gitlab: GitLabGateway,
    overrides: Mapping[str, str],
) -> Person:
    """The person with their GitLab user id, or IdentityError saying why not."""
    username = overrides.get(chat_id)
    if username is not None:
        user = gitlab.find_user(username=username)
        if user is None:
            raise IdentityError(
                f"TOKENBOT_USER_MAP links you to GitLab user '{username}',"
                " who does not exist; ask an admin to correct the mapping."
            )
        return Person(chat_id, user.id)
    email = directory.email_of(chat_id)
    if not email:
        raise IdentityError(
            "I cannot see your e-mail address in Slack, so I cannot find you"
            " in GitLab; ask an admin to add you to TOKENBOT_USER_MAP."
        )
    user = gitlab.find_user(email=email)
    if user is None:
        raise IdentityError(
            f"No GitLab user has the e-mail address {email}. Use the same"
            " address in both, or ask an admin to add you to TOKENBOT_USER_MAP."
        )
    return Person(chat_id, user.id)
