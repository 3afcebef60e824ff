"""Token requests in Slack: the approval card and the decisions on it (the form is in
`request_form`)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.domain.requests import RequestError, RequestState, TokenRequest, deny_reason_problem
from bot.services.gitlab_errors import GitLabError
from bot.services.identity import IdentityError
from bot.services.token_requests import (
    approve_request,
    cancel_request,
    check_approver,
    deny_request,
)
from bot.slack import ids
from bot.slack.after_ack import after_ack
from bot.slack.approvals import SlackApprovals
from bot.slack.blocks import notices
from bot.slack.blocks.approvals import nobody_can
from bot.slack.blocks.denials import denied_modal, deny_checking_modal, deny_form_again
from bot.slack.blocks.requests import deny_modal
from bot.slack.flow import RequestFlow, person, tell
from bot.slack.listeners import delivery, orphans, request_form
from bot.slack.listeners.delivery import (
    after_click,
    clicked,
    provision_and_deliver,
    replace_clicked_message,
)
from bot.slack.parse import form_value, trigger_id, user_id, view_of
from bot.slack.submits import ack_then_check, show
from bot.slack.work import WorkQueue

log = logging.getLogger(__name__)


def register(app: App, flow: RequestFlow, work: WorkQueue) -> None:
    request_form.register(app, flow, post_card, work)
    _register_decisions(app, flow, work)
    delivery.register(app, flow, work)
    orphans.register(app, flow, work)


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
    """Put the request before its approvers (bot/slack/approvals.py); the card's channel, or
    None when the card failed and the request was withdrawn. When nobody but the requester
    could approve, the requester is told whom tokenbot asked instead."""
    announced = SlackApprovals(client, flow).announce(request)
    if announced.channel is not None and announced.nobody:
        note = nobody_can(request, announced.role, announced.fallback)
        client.chat_postMessage(channel=request.requester, text=note)
    return announced.channel


def _register_decisions(app: App, flow: RequestFlow, work: WorkQueue) -> None:
    @app.action(ids.REQUEST_APPROVE)
    @after_ack(work)
    def handle_approve(body: Mapping[str, Any], client: WebClient, _: BoltContext) -> None:
        request_id, user = clicked(body)
        try:
            request = approve_request(request_id, person(flow, client, user), deps=flow.deps)
        except (RequestError, IdentityError, GitLabError) as exc:
            tell(client, body, f"Not approved: {exc}")
            return
        SlackApprovals(client, flow).redraw(request)
        if request.state is RequestState.APPROVED:
            provision_and_deliver(flow, client, request_id)
        after_click(flow, client, body)

    @app.action(ids.REQUEST_RETRY)
    @after_ack(work)
    def handle_retry(body: Mapping[str, Any], client: WebClient, _: BoltContext) -> None:
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
    def handle_deny_submit(
        ack: Ack, body: Mapping[str, Any], client: WebClient, context: BoltContext
    ) -> None:
        request_id = str(view_of(body).get("private_metadata") or "")
        reason = form_value(view_of(body), "deny_reason")
        typed = reason if isinstance(reason, str) else ""
        problem = deny_reason_problem(typed)

        def check(body: Mapping[str, Any], client: WebClient, _: BoltContext) -> None:
            _deny(flow, client, body, request_id, typed)

        ack_then_check(
            ack,
            body,
            client,
            context,
            work,
            problems={"deny_reason": problem} if problem else {},
            checking=deny_checking_modal(request_id),
            check=check,
        )

    @app.action(ids.REQUEST_CANCEL)
    @after_ack(work)
    def handle_cancel(body: Mapping[str, Any], client: WebClient, _: BoltContext) -> None:
        request_id, user = clicked(body)
        try:
            request = cancel_request(request_id, user, deps=flow.deps)
        except RequestError as exc:
            tell(client, body, f"Not cancelled: {exc}")
            return
        SlackApprovals(client, flow).redraw(request)
        note = notices.cancelled(request)
        if not replace_clicked_message(client, body, note):
            client.chat_postMessage(channel=user, text=note)
        after_click(flow, client, body)


def _deny(
    flow: RequestFlow, client: WebClient, body: Mapping[str, Any], request_id: str, reason: str
) -> None:
    """After the ack: the gate, then the denial; the form again when it is refused. A second
    arrival of the same denial finds the request denied by this person: the state machine
    denies once, and it is shown the outcome without telling anyone twice."""
    user = user_id(body)
    try:
        request = deny_request(request_id, person(flow, client, user), reason, deps=flow.deps)
    except (RequestError, IdentityError, GitLabError) as exc:
        done = _denied_by(flow, request_id, user)
        if done is not None:
            show(client, body, denied_modal(done), otherwise=f"Denied: {exc}")
            return
        again = deny_form_again(request_id, view_of(body), {"deny_reason": str(exc)})
        show(client, body, again, otherwise=f"Not denied: {exc}")
        return
    show(client, body, denied_modal(request), otherwise="Denied; the requester is told why.")
    approvals = SlackApprovals(client, flow)
    approvals.redraw(request)
    approvals.tell_requester(request, notices.denied(request, user))


def _denied_by(flow: RequestFlow, request_id: str, user: str) -> TokenRequest | None:
    """The request, when `user` denied it already."""
    with flow.deps.uow() as uow:
        request = uow.requests.get(request_id)
    if request is None or request.state is not RequestState.DENIED:
        return None
    return request if request.decided_by == user else None
