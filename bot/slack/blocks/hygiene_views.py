"""The small modals of the hygiene buttons: checking, refused, kept."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.views import View

from bot.slack import text as t
from bot.slack.blocks import notices, parts

CHECKING = "Checking with GitLab…"


def checking_view(title: str) -> dict[str, Any]:
    """Shown at once (the trigger expires in 3 seconds); replaced when GitLab has answered."""
    return _modal(title, f"*{CHECKING}*")


def refused_view(title: str, words: str) -> dict[str, Any]:
    """`words` are plain (an error may quote names from GitLab): escaped here."""
    return _modal(title, notices.said(words))


def kept_view(finding: str) -> dict[str, Any]:
    return _modal(
        "Keep",
        f":white_check_mark: Kept: tokenbot no longer flags this credential for"
        f" *{t.prose(finding, 80)}*. Your reason is in the audit log.",
    )


def _modal(title: str, markup: str) -> dict[str, Any]:
    view = View(
        type="modal",
        title=t.plain(title, t.MODAL_TITLE),
        close="Close",
        blocks=[parts.section(markup)],
    )
    return view.to_dict()
