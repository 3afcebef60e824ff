"""Token requests in Slack: the approval card and the decisions on it (the form is in
`request_form`)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain.requests import MessageRef, RequestError, RequestState, TokenRequest
from bot.services.gitlab_errors import GitLabError
from bot.services.identity import IdentityError
from bot.services.token_requests import (
    approve_request,
    attach_card,
    cancel_request,
    check_approver,
    deny_request,
    withdraw_request,
)
from bot.slack import ids
from bot.slack.blocks import notices
from bot.slack.blocks.requests import approval_card, deny_modal
from bot.slack.flow import RequestFlow, person, tell
from bot.slack.listeners import delivery, orphans, request_form
from bot.slack.listeners.delivery import (
    after_click,
    clicked,
    provision_and_deliver,
    refresh_card,
    replace_clicked_message,
)
from bot.slack.parse import (
    form_value,
    trigger_id,
    user_id,
)

log = logging.getLogger(__name__)


def register(app: App, flow: RequestFlow) -> None:
    request_form.register(app, flow, post_card)
    _register_decisions(app, flow)
    delivery.register(app, flow)
    orphans.register(app, flow)


def _not_retried(
    flow: RequestFlow, client: WebClient, body: Mapping[str, Any], request_id: str
) -> None:
    """Say why a Retry did nothing: someone is on it, or it is in no state to retry."""
    with flow.deps.uow() as uow:
        request = uow.requests.get(request_id)
    if request is None:
        return
    if request.state is RequestState.PROVISIONING:
        minutes = max(1, round(flow.provisioning_timeout_seconds / 60))
        tell(
            client,
            body,
            "Not retried: tokenbot is creating this token right now. If that stopped, tokenbot"
            f" finishes or rolls it back within {minutes} minute(s) of its start, and you can"
            " retry then.",
        )
        return
    tell(client, body, f"Not retried: this request is {request.state.value}.")


def post_card(flow: RequestFlow, client: WebClient, request: TokenRequest) -> str | None:
    """Post the approval card; the channel, or None when it failed and the request was
    withdrawn (a request without a card could only expire, blocking a resubmit)."""
    channel = flow.channel_for(request.draft.target)
    try:
        blocks, text = approval_card(request)
        posted = client.chat_postMessage(channel=channel, blocks=blocks, text=text)
    except (SlackApiError, ValueError, OSError) as exc:
        log.error("the approval card of request %s was not posted: %s", request.id, exc)
        withdraw_request(request.id, "the approval card could not be posted", deps=flow.deps)
        return None
    attach_card(request.id, MessageRef(str(posted["channel"]), str(posted["ts"])), deps=flow.deps)
    return channel


def _register_decisions(app: App, flow: RequestFlow) -> None:
    @app.action(ids.REQUEST_APPROVE)
    def handle_approve(ack: Ack, body: Mapping[str, Any], client: WebClient) -> None:
        ack()
        request_id, user = clicked(body)
        try:
            request = approve_request(request_id, person(flow, client, user), deps=flow.deps)
        except (RequestError, IdentityError, GitLabError) as exc:
            tell(client, body, f"Not approved: {exc}")
            return
        refresh_card(client, request)
        if request.state is RequestState.APPROVED:
            provision_and_deliver(flow, client, request_id)
        after_click(flow, client, body)

    @app.action(ids.REQUEST_RETRY)
    def handle_retry(ack: Ack, body: Mapping[str, Any], client: WebClient) -> None:
        ack()
        request_id, user = clicked(body)
        try:
            check_approver(request_id, person(flow, client, user), deps=flow.deps)
        except (RequestError, IdentityError, GitLabError) as exc:
            tell(client, body, f"Not retried: {exc}")
            return
        if provision_and_deliver(flow, client, request_id) is None:
            _not_retried(flow, client, body, request_id)
            return
        after_click(flow, client, body)

    @app.action(ids.REQUEST_DENY)
    def handle_deny(ack: Ack, body: Mapping[str, Any], client: WebClient) -> None:
        ack()
        request_id, _user = clicked(body)
        client.views_open(trigger_id=trigger_id(body), view=deny_modal(request_id))

    @app.view(ids.DENY_SUBMIT)
    def handle_deny_submit(ack: Ack, body: Mapping[str, Any], client: WebClient) -> None:
        request_id = str(body["view"]["private_metadata"])
        user = user_id(body)
        reason = form_value(body["view"], "deny_reason")
        try:
            request = deny_request(
                request_id, person(flow, client, user), str(reason or ""), deps=flow.deps
            )
        except (RequestError, IdentityError, GitLabError) as exc:
            ack(response_action="errors", errors={"deny_reason": str(exc)[:150]})
            return
        ack()
        refresh_card(client, request)
        client.chat_postMessage(channel=request.requester, text=notices.denied(request, user))

    @app.action(ids.REQUEST_CANCEL)
    def handle_cancel(ack: Ack, body: Mapping[str, Any], client: WebClient) -> None:
        ack()
        request_id, user = clicked(body)
        try:
            request = cancel_request(request_id, user, deps=flow.deps)
        except RequestError as exc:
            tell(client, body, f"Not cancelled: {exc}")
            return
        refresh_card(client, request)
        note = notices.cancelled(request)
        if not replace_clicked_message(client, body, note):
            client.chat_postMessage(channel=user, text=note)
        after_click(flow, client, body)
