"""The Renew form's faces after its submit: checking, the form again, the renewal asked."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from bot.domain.expiry import shown_expiry
from bot.domain.reminders import TrackedToken
from bot.domain.requests import RequestState, TokenRequest
from bot.slack import ids
from bot.slack import text as t
from bot.slack.blocks.reminders import renew_modal
from bot.slack.blocks.submitted import checking_view, done_view, refilled

TITLE = "Renew token"
_SHOWN_NAME = 300


def renew_checking_modal(metadata: str) -> dict[str, Any]:
    return checking_view(
        callback_id=ids.REMINDER_RENEW_SUBMIT,
        title=TITLE,
        words="The form comes back here if anything needs fixing; nothing changes until"
        " GitLab and the policy agree.",
        metadata=metadata,
    )


def renew_form_again(
    token: TrackedToken,
    *,
    offered: date,
    max_date: date | None,
    reminder: str,
    submitted: Mapping[str, Any],
    problems: Mapping[str, str],
) -> dict[str, Any]:
    form = renew_modal(token, offered=offered, max_date=max_date, reminder=reminder)
    return refilled(form, submitted, problems, again="Renew")


def renew_gone_modal(words: str) -> dict[str, Any]:
    """When there is no form to come back to (tokenbot no longer tracks the token)."""
    return done_view(
        callback_id=ids.REMINDER_RENEW_SUBMIT, title=TITLE, markup=t.prose(words, 2000)
    )


def renew_sent_modal(request: TokenRequest) -> dict[str, Any]:
    """Renewed at once (the new secret follows by DM), or waiting for approval."""
    name = t.code(request.draft.name, _SHOWN_NAME)
    until = shown_expiry(request.draft.expires_on)
    if request.state is RequestState.PENDING:
        markup = (
            f":hourglass: *Renewal asked.* The renewal of {name} until {until} waits for"
            " approval; you get a direct message when it is decided."
        )
    else:
        markup = (
            f":white_check_mark: *Renewing.* tokenbot gives {name} a new secret, valid until"
            f" {until}; it comes to you in a direct message."
        )
    return done_view(callback_id=ids.REMINDER_RENEW_SUBMIT, title=TITLE, markup=markup)
