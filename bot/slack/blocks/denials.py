"""The deny form's faces after its submit: checking, the form again, the denial done."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.domain.profiles import PROFILES
from bot.domain.requests import TokenRequest
from bot.slack import ids
from bot.slack import text as t
from bot.slack.blocks.request_forms import DENY_TITLE, deny_modal
from bot.slack.blocks.submitted import checking_view, done_view, refilled

_SHOWN_NAME = 300


def deny_checking_modal(request_id: str) -> dict[str, Any]:
    return checking_view(
        callback_id=ids.DENY_SUBMIT,
        title=DENY_TITLE,
        words="tokenbot checks that you may decide on this request, then denies it.",
        metadata=request_id,
    )


def deny_form_again(
    request_id: str, submitted: Mapping[str, Any], problems: Mapping[str, str]
) -> dict[str, Any]:
    return refilled(deny_modal(request_id), submitted, problems, again="Deny")


def denied_modal(request: TokenRequest) -> dict[str, Any]:
    kind = PROFILES[request.draft.token_type].title
    what = f"{kind} {t.code(request.draft.name, _SHOWN_NAME)}"
    return done_view(
        callback_id=ids.DENY_SUBMIT,
        title=DENY_TITLE,
        markup=f":no_entry_sign: *Denied.* The request for the {what} on"
        f" {t.code(request.draft.target, _SHOWN_NAME)} is closed, and its requester is told why.",
    )
