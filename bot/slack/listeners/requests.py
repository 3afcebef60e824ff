"""Token requests in Slack: the form, the approval card, provisioning after the ack, reveal."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.domain.request_policy import REQUESTABLE
from bot.domain.requests import RequestError, RequestState, TokenRequest
from bot.domain.tokens import AccessLevel, Scope, TokenType
from bot.services.gitlab_errors import GitLabError
from bot.services.identity import IdentityError, link_person
from bot.services.provisioning import provision_request, reveal_secret
from bot.services.token_requests import (
    Person,
    RequestDeps,
    RequestRejected,
    approve_request,
    check_approver,
    deny_request,
    submit_request,
)
from bot.slack import ids
from bot.slack.blocks.requests import (
    approval_card,
    deny_modal,
    ready_message,
    request_modal,
    reveal_modal,
)
from bot.slack.parse import form_value
from bot.slack.request_form import read_draft

log = logging.getLogger(__name__)
# The reveal goes out through a client with a logger of its own: slack_sdk logs request bodies
# at DEBUG, and this one body carries the secret.


def _silent_logger() -> logging.Logger:
    """A logger outside the logging tree: no configuration can make it print the secret."""
    silent = logging.Logger("bot.slack.reveal", level=logging.CRITICAL + 1)
    silent.propagate = False
    return silent


@dataclass(frozen=True, slots=True)
class RequestFlow:
    deps: RequestDeps
    approvals_channel: str
    user_map: Mapping[str, str]
    lifetime_days: int


class SlackDirectory:
    """E-mail addresses from `users.info` (needs users:read and users:read.email)."""

    def __init__(self, client: WebClient) -> None:
        self._client = client

    def email_of(self, chat_id: str) -> str | None:
        profile = self._client.users_info(user=chat_id)["user"].get("profile") or {}
        email = profile.get("email")
        return str(email) if email else None


def register(app: App, flow: RequestFlow) -> None:
    _register_form(app, flow)
    _register_decisions(app, flow)
    _register_reveal(app, flow)


def _person(flow: RequestFlow, client: WebClient, chat_id: str) -> Person:
    return link_person(
        chat_id, directory=SlackDirectory(client), gitlab=flow.deps.gitlab, overrides=flow.user_map
    )


def _open_form(
    flow: RequestFlow, client: WebClient, trigger_id: str, prefill: Mapping[str, Any]
) -> None:
    today = flow.deps.clock().astimezone(UTC).date()
    token_type = prefill.get("t")
    view = request_modal(
        today=today,
        token_type=TokenType(token_type) if token_type in REQUESTABLE else None,
        scopes=tuple(Scope(s) for s in prefill.get("s", ())),
        role=AccessLevel(prefill["r"]) if prefill.get("r") else None,
        lifetime_days=int(prefill.get("l") or flow.lifetime_days),
    )
    client.views_open(trigger_id=trigger_id, view=view)


def _register_form(app: App, flow: RequestFlow) -> None:
    @app.action(ids.REQUEST_OPEN)
    def handle_request_button(ack: Ack, body: Mapping[str, Any], client: WebClient) -> None:
        ack()
        _open_form(flow, client, str(body["trigger_id"]), json.loads(body["actions"][0]["value"]))

    @app.command(ids.COMMAND, matchers=[lambda command: _sub(command) == "request"])
    def handle_request_command(ack: Ack, command: Mapping[str, Any], client: WebClient) -> None:
        ack()
        _open_form(flow, client, str(command["trigger_id"]), {})

    @app.view(ids.REQUEST_SUBMIT)
    def handle_request_submit(ack: Ack, body: Mapping[str, Any], client: WebClient) -> None:
        requester = str(body["user"]["id"])
        draft = read_draft(body["view"])
        try:
            if isinstance(draft, list):
                raise RequestRejected(draft)
            request = submit_request(_person(flow, client, requester), draft, deps=flow.deps)
        except RequestRejected as exc:
            ack(response_action="errors", errors={p.field: p.message for p in exc.problems})
            return
        except (IdentityError, GitLabError) as exc:
            ack(response_action="errors", errors={"target": str(exc)[:150]})
            return
        ack()
        blocks, text = approval_card(request)
        client.chat_postMessage(channel=flow.approvals_channel, blocks=blocks, text=text)
        client.chat_postMessage(
            channel=requester,
            text=(
                f"Your request for '{request.draft.name}' on `{request.draft.target}` is waiting"
                f" for approval in <#{flow.approvals_channel}>."
            ),
        )


def _register_decisions(app: App, flow: RequestFlow) -> None:
    @app.action(ids.REQUEST_APPROVE)
    def handle_approve(ack: Ack, body: Mapping[str, Any], client: WebClient) -> None:
        ack()
        request_id, user, channel = _clicked(body)
        try:
            request = approve_request(request_id, _person(flow, client, user), deps=flow.deps)
        except (RequestError, IdentityError, GitLabError) as exc:
            client.chat_postEphemeral(channel=channel, user=user, text=f"Not approved: {exc}")
            return
        _show(client, body, request)
        if request.state is RequestState.APPROVED:
            _provision(flow, client, body, request_id)

    @app.action(ids.REQUEST_RETRY)
    def handle_retry(ack: Ack, body: Mapping[str, Any], client: WebClient) -> None:
        ack()
        request_id, user, channel = _clicked(body)
        try:
            check_approver(request_id, _person(flow, client, user), deps=flow.deps)
        except (RequestError, IdentityError, GitLabError) as exc:
            client.chat_postEphemeral(channel=channel, user=user, text=f"Not retried: {exc}")
            return
        _provision(flow, client, body, request_id)

    @app.action(ids.REQUEST_DENY)
    def handle_deny(ack: Ack, body: Mapping[str, Any], client: WebClient) -> None:
        ack()
        request_id, _user, channel = _clicked(body)
        client.views_open(
            trigger_id=body["trigger_id"],
            view=deny_modal(request_id, channel, str(body["container"]["message_ts"])),
        )

    @app.view(ids.DENY_SUBMIT)
    def handle_deny_submit(ack: Ack, body: Mapping[str, Any], client: WebClient) -> None:
        request_id, channel, ts = str(body["view"]["private_metadata"]).split("|")
        user = str(body["user"]["id"])
        reason = form_value(body["view"], "deny_reason")
        try:
            request = deny_request(
                request_id, _person(flow, client, user), str(reason or ""), deps=flow.deps
            )
        except (RequestError, IdentityError, GitLabError) as exc:
            ack(response_action="errors", errors={"deny_reason": str(exc)[:150]})
            return
        ack()
        blocks, text = approval_card(request)
        client.chat_update(channel=channel, ts=ts, blocks=blocks, text=text)
        client.chat_postMessage(
            channel=request.requester,
            text=(
                f"Your request for '{request.draft.name}' was denied by <@{user}>:"
                f" {request.deny_reason}"
            ),
        )


def _provision(
    flow: RequestFlow, client: WebClient, body: Mapping[str, Any], request_id: str
) -> None:
    outcome = provision_request(request_id, deps=flow.deps)
    if not outcome.started:
        return  # another click or process is on it
    _show(client, body, outcome.request)
    request = outcome.request
    if request.state is not RequestState.PROVISIONED:
        client.chat_postMessage(
            channel=request.requester,
            text=(
                f"Your request for '{request.draft.name}' was approved, but GitLab refused to"
                f" create it: {request.failure}. An approver can retry."
            ),
        )
    elif request.draft.variable_key:
        client.chat_postMessage(
            channel=request.requester,
            text=(
                f"Your token '{request.draft.name}' is in the masked, protected CI/CD variable"
                f" `{request.draft.variable_key}` of `{request.draft.variable_project}`."
            ),
        )
    else:
        blocks, text = ready_message(request)
        client.chat_postMessage(channel=request.requester, blocks=blocks, text=text)


def _register_reveal(app: App, flow: RequestFlow) -> None:
    @app.action(ids.REQUEST_REVEAL)
    def handle_reveal(ack: Ack, body: Mapping[str, Any], client: WebClient) -> None:
        ack()
        request_id, user, channel = _clicked(body)
        try:
            request, secret = reveal_secret(request_id, user, deps=flow.deps)
        except RequestError as exc:
            client.chat_postEphemeral(channel=channel, user=user, text=str(exc))
            return
        quiet = WebClient(
            token=client.token,
            base_url=client.base_url,
            logger=_silent_logger(),
            retry_handlers=client.retry_handlers,
        )
        quiet.views_open(trigger_id=body["trigger_id"], view=reveal_modal(request, secret))
        client.chat_update(
            channel=channel,
            ts=str(body["container"]["message_ts"]),
            text=f"Your token '{request.draft.name}' was revealed. Store it"
            " somewhere safe; to get a fresh one, ask for a rotation.",
        )


def _sub(command: Mapping[str, Any]) -> str:
    words = str(command.get("text") or "").split()
    return words[0].lower() if words else ""


def _clicked(body: Mapping[str, Any]) -> tuple[str, str, str]:
    action = body["actions"][0]
    channel = (body.get("container") or {}).get("channel_id") or body["channel"]["id"]
    return str(action["value"]), str(body["user"]["id"]), str(channel)


def _show(client: WebClient, body: Mapping[str, Any], request: TokenRequest) -> None:
    blocks, text = approval_card(request)
    container = body.get("container") or {}
    client.chat_update(
        channel=str(container.get("channel_id")),
        ts=str(container.get("message_ts")),
        blocks=blocks,
        text=text,
    )
