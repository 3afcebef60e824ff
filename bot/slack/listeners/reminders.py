"""The buttons on expiry reminders.

Claim, Let it expire, Revoke now (after a confirmation) act on the tracked token. Rotate (after
a confirmation) and Renew (a form: new expiry date and reason) become token requests that
rotate the token, so the new secret reaches its owner the way a requested token does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, timedelta
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.domain.expiry import days_left
from bot.domain.reminders import Reminder, TrackedStatus, TrackedToken
from bot.domain.requests import RequestError, RequestState, TokenRequest
from bot.services.gitlab_errors import GitLabError
from bot.services.identity import IdentityError
from bot.services.reminder_actions import claim_token, let_expire, revoke_now
from bot.services.renewals import renew_tracked_token, rotate_tracked_token
from bot.services.token_requests import Person, RequestRejected
from bot.slack import ids
from bot.slack.after_ack import after_ack
from bot.slack.blocks import notices
from bot.slack.blocks.reminders import reminder_message, renew_modal
from bot.slack.flow import ReminderFlow, RequestFlow, tell
from bot.slack.listeners.delivery import provision_and_deliver
from bot.slack.listeners.requests import post_card
from bot.slack.parse import action_value, form_value, trigger_id, user_id, view_of
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
        _register_renewals(app, flow, flow.requests, work)


def _register_renewals(
    app: App, flow: ReminderFlow, requests: RequestFlow, work: WorkQueue
) -> None:
    deps = flow.actions

    @app.action(ids.REMINDER_ROTATE)
    @after_ack(work)
    def handle_rotate(body: Mapping[str, Any], client: WebClient, _: BoltContext) -> None:
        key, user = action_value(body), user_id(body)
        renew = flow.renew_deps()
        assert renew is not None  # noqa: S101 - registered only with requests on
        try:
            request = rotate_tracked_token(key, flow.person(client, user), deps=renew)
        except (RequestError, IdentityError, GitLabError) as exc:
            tell(client, body, f"Not rotated: {exc}")
            return
        _after_renewal(client, flow, requests, request, _message_of(body))

    @app.action(ids.REMINDER_RENEW)
    def handle_renew(ack: Ack, body: Mapping[str, Any], client: WebClient) -> None:
        ack()
        key = action_value(body)
        with deps.uow() as uow:
            token = uow.inventory.get(key)
        if token is None:
            tell(client, body, "tokenbot no longer tracks this token.")
            return
        today = requests.today()
        rule = requests.deps.policy.rules.get(token.token_type)
        longest = today + timedelta(days=rule.max_lifetime_days) if rule else None
        offered = today + timedelta(days=requests.lifetime_days)
        if longest is not None:
            offered = min(offered, longest)
        where = _message_of(body)
        view = renew_modal(
            token,
            offered=offered,
            max_date=longest,
            reminder=f"{where[0]} {where[1]}" if where else "",
        )
        client.views_open(trigger_id=trigger_id(body), view=view)

    @app.view(ids.REMINDER_RENEW_SUBMIT)
    def handle_renew_submit(ack: Ack, body: Mapping[str, Any], client: WebClient) -> None:
        user, view = user_id(body), view_of(body)
        meta = str(view.get("private_metadata") or "").split()
        key = meta[0] if meta else ""
        picked = form_value(view, "expires_on")
        reason = form_value(view, "reason")
        try:
            expires_on = date.fromisoformat(str(picked or ""))
        except ValueError:
            ack(response_action="errors", errors={"expires_on": "choose a date"})
            return
        renew = flow.renew_deps()
        assert renew is not None  # noqa: S101 - registered only with requests on
        try:
            request = renew_tracked_token(
                key,
                flow.person(client, user),
                expires_on=expires_on,
                reason=reason if isinstance(reason, str) else "",
                deps=renew,
            )
        except RequestRejected as exc:
            ack(response_action="errors", errors=_form_errors(exc))
            return
        except (RequestError, IdentityError, GitLabError) as exc:
            ack(response_action="errors", errors={"expires_on": str(exc)[:150]})
            return
        ack()
        message = (meta[1], meta[2]) if len(meta) == 3 else None
        _after_renewal(client, flow, requests, request, message)


def _after_renewal(
    client: WebClient,
    flow: ReminderFlow,
    requests: RequestFlow,
    request: TokenRequest,
    message: tuple[str, str] | None,
) -> None:
    """Approved at once: rotate and deliver. Else: an approval card, and a word to the clicker.

    The clicker gets the new secret; an owner who did not click is told where their token went.
    """
    key = request.renews.key if request.renews else ""
    with flow.actions.uow() as uow:
        before = uow.inventory.get(key)
    by = request.requester
    if request.state is RequestState.APPROVED:
        provision_and_deliver(requests, client, request.id)
        with requests.deps.uow() as uow:
            done = uow.requests.get(request.id)
        if done is None or done.state is not RequestState.PROVISIONED:
            note = notices.rotation_refused(by)
        else:
            note = notices.rotated_by(by, request)
            if before is not None and before.owner not in {None, by}:
                text = notices.rotated_for_someone_else(request)
                client.chat_postMessage(channel=str(before.owner), text=text)
    else:
        channel = post_card(requests, client, request)
        if channel is None:
            client.chat_postMessage(channel=by, text=notices.withdrawn())
            return
        note = notices.renewal_asked(by, request, channel)
        client.chat_postMessage(channel=by, text=notices.renewal_waits(request, channel))
    if message is not None:
        _redraw(client, flow, key, message, note)


def _redraw(
    client: WebClient, flow: ReminderFlow, key: str, message: tuple[str, str], note: str
) -> None:
    with flow.actions.uow() as uow:
        token = uow.inventory.get(key)
    if token is None:
        return
    today = flow.actions.clock().astimezone(UTC).date()
    left = days_left(token.expires_on, today) or 0
    blocks, text = reminder_message(Reminder(token, 0, left, message[0]), note=note)
    client.chat_update(channel=message[0], ts=message[1], blocks=blocks, text=text)


def _message_of(body: Mapping[str, Any]) -> tuple[str, str] | None:
    container = body.get("container") or {}
    if container.get("type") != "message":
        return None
    return str(container["channel_id"]), str(container["message_ts"])


def _form_errors(exc: RequestRejected) -> dict[str, str]:
    """The form has two fields; a problem with anything else is shown on the date."""
    errors: dict[str, str] = {}
    for problem in exc.problems:
        field = problem.field if problem.field in {"expires_on", "reason"} else "expires_on"
        errors[field] = "; ".join(filter(None, [errors.get(field), problem.message]))[:150]
    return errors


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
