"""The request modal's other faces: nothing to request, checking with GitLab, sent."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import SectionBlock
from slack_sdk.models.views import View

from bot.domain.profiles import PROFILES
from bot.domain.requests import TokenRequest
from bot.slack import ids
from bot.slack import text as t
from bot.slack.blocks import parts
from bot.slack.blocks.submitted import checking_view

TITLE = "Request a GitLab token"
NOTHING_TO_REQUEST = (
    "Nothing can be requested here: the request policy (TOKENBOT_POLICY) allows no token type"
    " that this GitLab can make. Ask the people who run tokenbot; `tokenbot check` lists what"
    " this GitLab can do."
)
_SHOWN_NAME = 300


def nothing_to_request_modal() -> dict[str, Any]:
    """In place of the form when no type may be requested: a select needs options."""
    view = View(
        type="modal",
        callback_id=ids.REQUEST_SUBMIT,
        title=TITLE,
        close="Close",
        blocks=[SectionBlock(text=NOTHING_TO_REQUEST)],
    )
    return view.to_dict()


def checking_modal(metadata: str) -> dict[str, Any]:
    """What the submit's ack shows while GitLab is asked: the form comes back if anything
    needs fixing, or this becomes the confirmation. `metadata` is kept for that form."""
    return checking_view(
        callback_id=ids.REQUEST_SUBMIT,
        title=TITLE,
        words="The form comes back here if anything needs fixing. Nothing is sent to the"
        " approvers until GitLab agrees.",
        metadata=metadata,
    )


def sent_modal(request: TokenRequest, channel: str | None) -> dict[str, Any]:
    """The confirmation: where the request waits (or why it could not be sent)."""
    kind = PROFILES[request.draft.token_type].title
    what = f"{kind} {t.code(request.draft.name, _SHOWN_NAME)}"
    where = t.code(request.draft.target, _SHOWN_NAME)
    if channel is None:
        words = (
            f"Your request for the {what} on {where} was stored, but its approval card could"
            " not be posted, so it was withdrawn. Try again later."
        )
    else:
        words = (
            f":white_check_mark: *Request sent.* The {what} on {where} waits for approval in"
            f" {t.channel_link(channel)}. You get a direct message when it is decided."
        )
    view = View(
        type="modal",
        callback_id=ids.REQUEST_SUBMIT,
        title=TITLE,
        close="Done",
        blocks=[parts.section(words)],
    )
    return view.to_dict()
