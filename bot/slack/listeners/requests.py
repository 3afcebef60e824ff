"""Token requests in Slack: the form, the approval card, the decisions on it."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.domain.request_policy import REQUESTABLE
from bot.domain.requests import RequestError, RequestState, TokenRequest
from bot.domain.tokens import AccessLevel, Scope, TokenType
from bot.services.gitlab_errors import GitLabError
from bot.services.identity import IdentityError
from bot.services.token_requests import (
    RequestRejected,
    approve_request,
    cancel_request,
    check_approver,
    deny_request,
    submit_request,
)
from bot.slack import ids
from bot.slack.after_ack import after_ack
from bot.slack.approvals import SlackApprovals
from bot.slack.blocks import notices
from bot.slack.blocks.approvals import nobody_can
from bot.slack.blocks.requests import deny_modal, waiting_message
from bot.slack.flow import RequestFlow, person, tell
from bot.slack.listeners import delivery, orphans
from bot.slack.listeners.delivery import (
    after_click,
    clicked,
    provision_and_deliver,
    replace_clicked_message,
)
from bot.slack.parse import (
    action_value,
    form_value,
    subcommand,
    trigger_id,
    user_id,
    view_of,
)
from bot.slack.request_form import policy_form, read_draft
from bot.slack.work import WorkQueue

log = logging.getLogger(__name__)


def register(app: App, flow: RequestFlow, work: WorkQueue) -> None:
    _register_form(app, flow)
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


def form_view(
    flow: RequestFlow,
    *,
    token_type: TokenType | None,
    scopes: tuple[Scope, ...] = (),
    role: AccessLevel | None = None,
    lifetime_days: int | None = None,
) -> dict[str, Any]:
    """The request modal, with what policy allows for the type (or for any, before one)."""
    return policy_form(
        flow.deps.offered(),
        today=flow.today(),
        default_days=flow.lifetime_days,
        token_type=token_type,
        scopes=scopes,
        role=role,
        lifetime_days=lifetime_days,
    )


def _open_form(
    flow: RequestFlow, client: WebClient, trigger: str, prefill: Mapping[str, Any]
) -> None:
    token_type = prefill.get("t")
    listed = prefill.get("s")
    scopes: list[Any] = listed if isinstance(listed, list) else []
    role = prefill.get("r")
    days = prefill.get("l")
    view = form_view(
        flow,
        token_type=TokenType(token_type) if token_type in REQUESTABLE else None,
        scopes=tuple(Scope(s) for s in scopes if isinstance(s, str) and s in _SCOPE_VALUES),
        role=AccessLevel(role) if isinstance(role, int) and role in _ROLE_VALUES else None,
        lifetime_days=days if isinstance(days, int) and 0 < days <= 3650 else None,
    )
    client.views_open(trigger_id=trigger, view=view)


def _prefill(raw: str) -> Mapping[str, Any]:
    """What the advisor's "Request this token" button carries; anything else prefills nothing."""
    try:
        found = json.loads(raw)
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


_SCOPE_VALUES = frozenset(s.value for s in Scope)
_ROLE_VALUES = frozenset(int(r) for r in AccessLevel)


def _role_of(value: object) -> AccessLevel | None:
    """A role the form's select can hold ("30"); anything else (forged) is no role."""
    if not isinstance(value, str) or not value.isascii() or not value.isdigit():
        return None
    return AccessLevel(int(value)) if int(value) in _ROLE_VALUES else None


def _register_form(app: App, flow: RequestFlow) -> None:
    @app.action(ids.REQUEST_OPEN)
    def handle_request_button(ack: Ack, body: Mapping[str, Any], client: WebClient) -> None:
        ack()
        _open_form(flow, client, trigger_id(body), _prefill(action_value(body)))

    @app.command(ids.COMMAND, matchers=[lambda command: subcommand(command) == "request"])
    def handle_request_command(ack: Ack, command: Mapping[str, Any], client: WebClient) -> None:
        ack()
        _open_form(flow, client, trigger_id(command), {})

    @app.action({"block_id": "token_type", "action_id": "value"})
    def handle_type_chosen(ack: Ack, body: Mapping[str, Any], client: WebClient) -> None:
        """Choosing a type narrows the scopes to those it may have (values are kept)."""
        ack()
        view = view_of(body)
        chosen = form_value(view, "token_type")
        scopes = form_value(view, "scopes")
        role = form_value(view, "role")
        picked = scopes if isinstance(scopes, list) else []
        client.views_update(
            view_id=str(view.get("id") or ""),
            hash=str(view.get("hash") or "") or None,
            view=form_view(
                flow,
                token_type=TokenType(chosen) if chosen in REQUESTABLE else None,
                scopes=tuple(Scope(s) for s in picked if isinstance(s, str) and s in _SCOPE_VALUES),
                role=_role_of(role),
            ),
        )

    @app.view(ids.REQUEST_SUBMIT)
    def handle_request_submit(ack: Ack, body: Mapping[str, Any], client: WebClient) -> None:
        requester = user_id(body)
        draft = read_draft(body["view"])
        try:
            if isinstance(draft, list):
                raise RequestRejected(draft)
            request = submit_request(person(flow, client, requester), draft, deps=flow.deps)
        except RequestRejected as exc:
            ack(response_action="errors", errors={p.field: p.message[:150] for p in exc.problems})
            return
        except (IdentityError, GitLabError) as exc:
            ack(response_action="errors", errors={"target": str(exc)[:150]})
            return
        ack()
        announced = SlackApprovals(client, flow).announce(request)
        if announced.channel is None:
            client.chat_postMessage(channel=requester, text=notices.withdrawn())
            return
        blocks, text = waiting_message(request, announced.channel)
        client.chat_postMessage(channel=requester, blocks=blocks, text=text)
        if announced.nobody:
            note = nobody_can(request, announced.role, announced.fallback)
            client.chat_postMessage(channel=requester, text=note)


def post_card(flow: RequestFlow, client: WebClient, request: TokenRequest) -> str | None:
    """Put the request before its approvers (bot/slack/approvals.py); the card's channel, or
    None when the card failed and the request was withdrawn."""
    return SlackApprovals(client, flow).announce(request).channel


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
        approvals = SlackApprovals(client, flow)
        approvals.redraw(request)
        approvals.tell_requester(request, notices.denied(request, user))

    @app.action(ids.REQUEST_CANCEL)
    def handle_cancel(ack: Ack, body: Mapping[str, Any], client: WebClient) -> None:
        ack()
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
