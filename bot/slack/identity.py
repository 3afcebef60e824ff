"""Who a Slack user is in GitLab (bot/services/identity.py), and the link button if nobody
knows yet."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.services.gitlab_port import GitLabGateway
from bot.services.identity import NotLinkedError, link_person
from bot.services.linking import LinkDeps, begin_link, linked_gitlab_user, offered_recently
from bot.services.people import Person
from bot.slack.blocks.links import link_prompt

OFFER_AGAIN_AFTER = timedelta(minutes=1)  # one DM with a link button per click burst
LINK_SENT = (
    "tokenbot does not know who you are in GitLab yet. I have sent you a direct message with"
    " a button to link your GitLab account (you sign in to GitLab once); then try again."
)


class SlackDirectory:
    """The person as `users.info` shows them (needs users:read and users:read.email)."""

    def __init__(self, client: WebClient) -> None:
        self._client = client
        self._users: dict[str, dict[str, Any]] = {}

    def email_of(self, chat_id: str) -> str | None:
        """Their address only if Slack confirmed it (`is_email_confirmed`); None when Slack
        knows no such user (`user_not_found`) or shares no address."""
        user = self._user(chat_id)
        if user.get("is_email_confirmed") is not True:
            return None
        profile = user.get("profile")
        email = profile.get("email") if isinstance(profile, dict) else None
        return str(email) if email else None

    def name_of(self, chat_id: str) -> str:
        user = self._user(chat_id)
        profile = user.get("profile")
        profile = profile if isinstance(profile, dict) else {}
        for name in (profile.get("real_name"), profile.get("display_name"), user.get("name")):
            if isinstance(name, str) and name.strip():
                return name.strip()
        return chat_id

    def team_of(self, chat_id: str) -> str:
        team = self._user(chat_id).get("team_id")
        return str(team) if team else ""

    def _user(self, chat_id: str) -> dict[str, Any]:
        if chat_id not in self._users:
            try:
                found = self._client.users_info(user=chat_id).get("user")
            except (SlackApiError, UnicodeError):
                found = None
            self._users[chat_id] = found if isinstance(found, dict) else {}
        return self._users[chat_id]


def identify(
    client: WebClient,
    chat_id: str,
    *,
    gitlab: GitLabGateway,
    user_map: dict[str, str] | Any,
    linking: LinkDeps | None,
    offer: bool = True,
) -> Person:
    """The person, or IdentityError; with GitLab sign-in on, someone nobody knows gets a
    direct message with the link button (once a minute at most) and NotLinkedError."""
    directory = SlackDirectory(client)
    linked = None
    if linking is not None:
        uow = linking.uow

        def linked(person: str) -> int | None:
            return linked_gitlab_user(person, uow=uow)

    try:
        return link_person(
            chat_id, directory=directory, gitlab=gitlab, overrides=user_map, linked=linked
        )
    except NotLinkedError as exc:
        if linking is None or not exc.can_link or not offer:
            raise
        if not offered_recently(chat_id, deps=linking, within=OFFER_AGAIN_AFTER):
            send_link_prompt(client, chat_id, linking, directory)
        raise NotLinkedError(LINK_SENT, can_link=True) from None


def link_url(
    client: WebClient, chat_id: str, linking: LinkDeps, directory: SlackDirectory | None = None
) -> str:
    """A fresh one-time GitLab sign-in URL for this Slack user."""
    people = directory or SlackDirectory(client)
    return begin_link(chat_id, people.team_of(chat_id), people.name_of(chat_id), deps=linking)


def send_link_prompt(
    client: WebClient, chat_id: str, linking: LinkDeps, directory: SlackDirectory | None = None
) -> None:
    blocks, text = link_prompt(link_url(client, chat_id, linking, directory))
    client.chat_postMessage(channel=chat_id, blocks=blocks, text=text)
