"""Rotate and Renew on an expiry reminder: each becomes a token request that rotates the
token (bot/services/renewals.py), so the new secret reaches its owner as a requested one does.

The Renew form's submit acks at once: a date that is not one and a reason the policy cannot
take are said in the ack; the rest (the gate, the policy for this person, GitLab) runs on the
work queue and the form comes back with its problems, or says what was asked. The same submit
again renews once (`renewal_once`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, timedelta
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.domain.expiry import days_left
from bot.domain.reminders import Reminder, TrackedToken
from bot.domain.request_policy import reason_problems
from bot.domain.requests import RequestError, RequestState, TokenRequest
from bot.services.gitlab_errors import GitLabError
from bot.services.identity import IdentityError
from bot.services.renewals import rotate_tracked_token
from bot.services.submissions import renewal_once
from bot.services.token_requests import RequestRejected
from bot.slack import ids
from bot.slack.after_ack import after_ack
from bot.slack.blocks import notices
from bot.slack.blocks.reminders import reminder_message, renew_modal
from bot.slack.blocks.renewals import (
    renew_checking_modal,
    renew_form_again,
    renew_gone_modal,
    renew_sent_modal,
)
from bot.slack.flow import ReminderFlow, RequestFlow, tell
from bot.slack.listeners.delivery import provision_and_deliver
from bot.slack.listeners.request_form import submission_key
from bot.slack.listeners.requests import post_card
from bot.slack.parse import action_value, form_value, trigger_id, user_id, view_of
from bot.slack.submits import ack_then_check, by_field, show
from bot.slack.work import WorkQueue

NOT_TRACKED = "tokenbot no longer tracks this token."


def register(app: App, flow: ReminderFlow, requests: RequestFlow, work: WorkQueue) -> None:
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
        with deps.uow() as uow:
            token = uow.inventory.get(action_value(body))
        if token is None:
            tell(client, body, NOT_TRACKED)
            return
        where = _message_of(body)
        reminder = f"{where[0]} {where[1]}" if where else ""
        offered, longest = _dates(requests, token)
        view = renew_modal(token, offered=offered, max_date=longest, reminder=reminder)
        client.views_open(trigger_id=trigger_id(body), view=view)

    @app.view(ids.REMINDER_RENEW_SUBMIT)
    def handle_renew_submit(
        ack: Ack, body: Mapping[str, Any], client: WebClient, context: BoltContext
    ) -> None:
        view = view_of(body)
        picked, reason = form_value(view, "expires_on"), form_value(view, "reason")
        typed = reason if isinstance(reason, str) else ""
        expires_on = _date(picked)
        problems = by_field(reason_problems(typed))
        if expires_on is None:
            problems["expires_on"] = "choose a date"
        metadata = str(view.get("private_metadata") or "")

        def check(body: Mapping[str, Any], client: WebClient, _: BoltContext) -> None:
            assert expires_on is not None  # noqa: S101 - checked only with no problems
            _renew(flow, requests, client, body, expires_on=expires_on, reason=typed)

        ack_then_check(
            ack,
            body,
            client,
            context,
            work,
            problems=problems,
            checking=renew_checking_modal(metadata),
            check=check,
        )


def _renew(
    flow: ReminderFlow,
    requests: RequestFlow,
    client: WebClient,
    body: Mapping[str, Any],
    *,
    expires_on: date,
    reason: str,
) -> None:
    """After the ack: the renewal asked once, then rotated or put before approvers."""
    meta = str(view_of(body).get("private_metadata") or "").split()
    key = meta[0] if meta else ""
    renew = flow.renew_deps()
    assert renew is not None  # noqa: S101 - registered only with requests on
    try:
        person = flow.person(client, user_id(body))
        request, new = renewal_once(
            key,
            person,
            expires_on=expires_on,
            reason=reason,
            deps=renew,
            submission=submission_key(body),
        )
    except RequestRejected as exc:
        _form_again(flow, requests, client, body, by_field(exc.problems))
        return
    except (RequestError, IdentityError, GitLabError) as exc:
        _form_again(flow, requests, client, body, {"expires_on": str(exc)})
        return
    show(client, body, renew_sent_modal(request), otherwise="")
    if new:
        message = (meta[1], meta[2]) if len(meta) == 3 else None
        _after_renewal(client, flow, requests, request, message)


def _form_again(
    flow: ReminderFlow,
    requests: RequestFlow,
    client: WebClient,
    body: Mapping[str, Any],
    problems: dict[str, str],
) -> None:
    """The Renew form as it was filled in, every problem under its field."""
    view = view_of(body)
    meta = str(view.get("private_metadata") or "").split()
    with flow.actions.uow() as uow:
        token = uow.inventory.get(meta[0]) if meta else None
    listed = "; ".join(problems.values())
    if token is None:
        show(client, body, renew_gone_modal(NOT_TRACKED), otherwise=NOT_TRACKED)
        return
    offered, longest = _dates(requests, token)
    again = renew_form_again(
        token,
        offered=offered,
        max_date=longest,
        reminder=" ".join(meta[1:3]),
        submitted=view,
        problems=problems,
    )
    show(client, body, again, otherwise=f"Not renewed: {listed}")


def _date(picked: object) -> date | None:
    try:
        return date.fromisoformat(str(picked or ""))
    except ValueError:
        return None


def _dates(requests: RequestFlow, token: TrackedToken) -> tuple[date, date | None]:
    """The date the form offers, and the latest the policy allows for the token's type."""
    today = requests.today()
    rule = requests.deps.policy.rules.get(token.token_type)
    longest = today + timedelta(days=rule.max_lifetime_days) if rule else None
    offered = today + timedelta(days=requests.lifetime_days)
    return (min(offered, longest) if longest is not None else offered), longest


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
