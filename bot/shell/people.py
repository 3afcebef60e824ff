"""Who a shell user is in GitLab: their user name, unless TOKENBOT_USER_MAP maps it."""

from __future__ import annotations

from collections.abc import Mapping

from bot.services.gitlab_port import GitLabGateway
from bot.services.identity import IdentityError, link_person
from bot.services.token_requests import Person


class NoDirectory:
    """A terminal has no directory of e-mail addresses; people are linked by username."""

    def email_of(self, chat_id: str) -> str | None:
        return None


def gitlab_username(user: str, user_map: Mapping[str, str]) -> str:
    return user_map.get(user, user)


def shell_person(user: str, *, gitlab: GitLabGateway, user_map: Mapping[str, str]) -> Person:
    """The person behind the shell user name, or IdentityError saying how to fix it."""
    username = gitlab_username(user, user_map)
    try:
        return link_person(user, directory=NoDirectory(), gitlab=gitlab, overrides={user: username})
    except IdentityError:
        if user in user_map:
            raise  # the mapping is wrong: the use case's message says so
        raise IdentityError(
            f"There is no GitLab user '{username}'. The shell takes your user name as your"
            " GitLab username: type as NAME to be someone else, or ask an admin to map"
            f" '{user}' in TOKENBOT_USER_MAP."
        ) from None
