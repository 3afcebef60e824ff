"""The buttons on expiry reminders.

Claim, Let it expire, Revoke now (after a confirmation) act on the tracked token. Rotate (after
a confirmation) and Renew (a form: new expiry date and reason) become token requests that
rotate the token: see `renewals`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.domain.expiry import days_left
from bot.domain.reminders import Reminder, TrackedStatus, TrackedToken
from bot.domain.requests import RequestError
from bot.services.gitlab_errors import GitLabError
from bot.services.identity import IdentityError
from bot.services.reminder_actions import claim_token, let_expire, revoke_now
from bot.services.token_requests import Person
from bot.slack import ids
from bot.slack.after_ack import after_ack
from bot.slack.blocks import notices
from bot.slack.blocks.reminders import reminder_message
from bot.slack.flow import ReminderFlow, tell
from bot.slack.listeners import renewals
from bot.slack.parse import action_value, user_id
from bot.slack.work import WorkQueue

Action = Callable[[str, Person], TrackedToken]


def register(app: App, flow: ReminderFlow, work: WorkQueue) -> None:
    deps = flow.actions

    def on_click(action: Action, done: Callable[[TrackedToken, str], str | None]) -> Any:
        @after_ack(work)
        def handle(body: Mapping[str, Any], client: WebClient, _: BoltContext) -> None:
            key, user = action_value(body), user_id(body)
            try:
                token = action(key, flow.person(client, user))
            except (RequestError, IdentityError, GitLabError) as exc:
                tell(client, body, f"Nothing changed: {exc}")
                return
            _show(client, body, token, done(token, user), flow)

        return handle

    app.action(ids.REMINDER_CLAIM)(
        on_click(lambda key, p: claim_token(key, p, deps=deps), lambda t, u: None)
    )
    app.action(ids.REMINDER_LET_EXPIRE)(
        on_click(
            lambda key, p: let_expire(key, p, deps=deps),
            lambda t, u: notices.let_expire_by(u),
        )
    )
    app.action(ids.REMINDER_REVOKE)(
        on_click(
            lambda key, p: revoke_now(key, p, deps=deps),
            lambda t, u: notices.revoked_by(u),
        )
    )
    if flow.requests is not None:
        renewals.register(app, flow, flow.requests, work)


def _show(
    client: WebClient,
    body: Mapping[str, Any],
    token: TrackedToken,
    note: str | None,
    flow: ReminderFlow,
) -> None:
    """Redraw the reminder: with the new owner, or with what was done instead of buttons."""
    container = body.get("container") or {}
    if container.get("type") != "message":
        return
    today = flow.actions.clock().astimezone(UTC).date()
    left = days_left(token.expires_on, today) or 0
    if note is None and (token.muted or token.status is not TrackedStatus.ACTIVE):
        note = "Nothing more to do here."
    blocks, text = reminder_message(
        Reminder(token, 0, left, str(container["channel_id"])),
        note=note,
        renewals=flow.requests is not None,
    )
    client.chat_update(
        channel=str(container["channel_id"]),
        ts=str(container["message_ts"]),
        blocks=blocks,
        text=text,
    )
