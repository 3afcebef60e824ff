"""Block Kit for GitLab sign-in: the "Link your GitLab account" button and what it means."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import ActionsBlock, ButtonElement

from bot.slack import ids
from bot.slack.blocks import parts

LINK_BUTTON = "Link your GitLab account"
WHY = (
    "tokenbot needs to know who you are in GitLab to check your role for requests and"
    " approvals. Sign in to GitLab once to link your account: the button works once, within"
    " 10 minutes, and tokenbot keeps only which GitLab user you are, no GitLab token."
)


def link_button(url: str) -> ButtonElement:
    return ButtonElement(
        text=LINK_BUTTON, action_id=ids.LINK_OPEN, url=url, style="primary", value="link"
    )


def link_prompt(url: str) -> tuple[list[dict[str, Any]], str]:
    """The direct message with the button, and its notification text."""
    blocks = [parts.section(WHY), ActionsBlock(elements=[link_button(url)])]
    return [b.to_dict() for b in blocks], f"{LINK_BUTTON}: {WHY}"


def linked_note(gitlab_username: str) -> str:
    return f"You are linked to GitLab user @{gitlab_username}."
