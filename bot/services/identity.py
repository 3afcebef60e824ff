"""Who a chat user is in GitLab, from the first source that knows:

1. the explicit map (TOKENBOT_USER_MAP: Slack id → GitLab username);
2. the link the person made by signing in to GitLab (bot/services/linking.py);
3. their e-mail address, only if the chat workspace confirmed it, matched exactly against a
   GitLab user's e-mail (GitLab shows private addresses to administrators only; anyone else's
   token finds public e-mail addresses);
4. otherwise: NotLinkedError, and, with GitLab sign-in on, a "Link your GitLab account" button.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol

from bot.services.gitlab_port import GitLabGateway
from bot.services.token_requests import Person

LinkedUser = Callable[[str], int | None]
"""The GitLab user id a chat user linked by signing in, or None."""


class ChatDirectory(Protocol):
    def email_of(self, chat_id: str) -> str | None:
        """The person's e-mail address, only if the chat workspace confirmed it."""


class IdentityError(LookupError):
    """Who this is in GitLab could not be told; the message says how to fix it."""


class NotLinkedError(IdentityError):
    """No source knows this person; `can_link` when they may link by GitLab sign-in."""

    def __init__(self, message: str, *, can_link: bool) -> None:
        super().__init__(message)
        self.can_link = can_link


def link_person(
    chat_id: str,
    *,
    directory: ChatDirectory,
    gitlab: GitLabGateway,
    overrides: Mapping[str, str],
    linked: LinkedUser | None = None,
) -> Person:
    """The person with their GitLab user id, or IdentityError saying why not.

    `linked` is given when GitLab sign-in is on: it is asked after the map and before e-mail.
    """
    username = overrides.get(chat_id)
    if username is not None:
        user = gitlab.find_user(username=username)
        if user is None:
            raise IdentityError(
                f"TOKENBOT_USER_MAP links you to GitLab user '{username}',"
                " who does not exist; ask an admin to correct the mapping."
            )
        return Person(chat_id, user.id)
    if linked is not None:
        gitlab_id = linked(chat_id)
        if gitlab_id is not None:
            return Person(chat_id, gitlab_id)
    email = directory.email_of(chat_id)
    user = gitlab.find_user(email=email) if email else None
    if user is not None:
        return Person(chat_id, user.id)
    raise _unknown(email, can_link=linked is not None)


def _unknown(email: str | None, *, can_link: bool) -> NotLinkedError:
    if can_link:
        return NotLinkedError(
            "tokenbot does not know who you are in GitLab yet: link your GitLab account (sign"
            " in to GitLab once), then try again.",
            can_link=True,
        )
    if not email:
        return NotLinkedError(
            "I cannot see a confirmed e-mail address of yours in Slack, so I cannot find you"
            " in GitLab; ask an admin to add you to TOKENBOT_USER_MAP.",
            can_link=False,
        )
    return NotLinkedError(
        f"No GitLab user has the e-mail address {email} (tokenbot finds public GitLab"
        " e-mail addresses only, unless its token is an administrator's). Make it your public"
        " e-mail in GitLab, or ask an admin to add you to TOKENBOT_USER_MAP.",
        can_link=False,
    )
