"""`/token link`, `/token unlink` and the "Link your GitLab account" button."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.services.linking import LinkDeps, unlink
from bot.slack import ids
from bot.slack.blocks.links import link_prompt
from bot.slack.identity import link_url
from bot.slack.parse import subcommand

NOT_ON = (
    "GitLab sign-in is not set up here: an admin links people with TOKENBOT_USER_MAP, or"
    " sets TOKENBOT_GITLAB_OAUTH_CLIENT_ID, TOKENBOT_GITLAB_OAUTH_CLIENT_SECRET and"
    " TOKENBOT_PUBLIC_URL."
)


def register(app: App, linking: LinkDeps | None) -> None:
    @app.action(ids.LINK_OPEN)
    def handle_link_opened(ack: Ack) -> None:
        ack()  # a URL button: Slack opens the page itself and tells the app; nothing to do

    @app.command(ids.COMMAND, matchers=[lambda command: subcommand(command) == "link"])
    def handle_link(ack: Ack, command: Mapping[str, Any], client: WebClient) -> None:
        if linking is None:
            ack(NOT_ON)
            return
        blocks, text = link_prompt(link_url(client, str(command["user_id"]), linking))
        ack(text=text, blocks=blocks)

    @app.command(ids.COMMAND, matchers=[lambda command: subcommand(command) == "unlink"])
    def handle_unlink(ack: Ack, command: Mapping[str, Any]) -> None:
        if linking is None:
            ack(NOT_ON)
            return
        user = str(command["user_id"])
        if unlink(user, by=user, deps_uow=linking.uow, clock=linking.clock):
            ack(
                "Unlinked: tokenbot no longer knows you as a GitLab user. `/token link` links"
                " you again."
            )
        else:
            ack("You were not linked by GitLab sign-in; nothing changed.")
