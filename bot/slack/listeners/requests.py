"""Token requests in Slack: the form, the approval card, provisioning after the ack, reveal."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain.credentials import Secret
from bot.domain.request_policy import REQUESTABLE
from bot.domain.requests import Delivery, MessageRef, RequestError, RequestState, TokenRequest
from bot.domain.tokens import ROLE_BEARING, AccessLevel, Scope, TokenType, valid_scopes
from bot.services.gitlab_errors import GitLabError
from bot.services.identity import IdentityError
from bot.services.provisioning import provision_request
from bot.services.request_rotation import rotate_request_token
from bot.services.reveal import GONE, reveal_secret
from bot.services.token_requests import (
    RequestRejected,
    approve_request,
    attach_card,
    cancel_request,
    check_approver,
    deny_request,
    submit_request,
    withdraw_request,
)
from bot.slack import ids
from bot.slack.blocks.requests import (
    approval_card,
    deny_modal,
    ready_message,
    request_modal,
    reveal_modal,
    rotate_offer,
    waiting_message,
)
from bot.slack.flow import RequestFlow, person, silent_logger, tell
from bot.slack.listeners.home import publish_home
from bot.slack.parse import form_value, subcommand
from bot.slack.request_form import read_draft

log = logging.getLogger(__name__)


def register(app: App, flow: RequestFlow) -> None:
    _register_form(app, flow)
    _register_decisions(app, flow)
    _register_delivery(app, flow)


def form_view(
    flow: RequestFlow,
    *,
    token_type: TokenType | None,
    scopes: tuple[Scope, ...] = (),
    role: AccessLevel | None = None,
    lifetime_days: int | None = None,
) -> dict[str, Any]:
    """The request modal, with the scope choices and role field that fit the type."""
    choices: list[Scope] | None = None
    with_role = True
    if token_type is not None:
        rule = flow.deps.policy.rules.get(token_type)
        allowed = valid_scopes(token_type) & (rule.allowed_scopes if rule else frozenset())
        choices = [s for s in Scope if s in allowed]
        with_role = token_type in ROLE_BEARING
    return request_modal(
        today=flow.today(),
        token_type=token_type,
        scopes=tuple(s for s in scopes if choices is None or s in choices),
        role=role if with_role else None,
        lifetime_days=lifetime_days or flow.lifetime_days,
        scope_choices=choices,
        with_role=with_role,
    )


def _open_form(
    flow: RequestFlow, client: WebClient, trigger_id: str, prefill: Mapping[str, Any]
) -> None:
    token_type = prefill.get("t")
    view = form_view(
        flow,
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

    @app.command(ids.COMMAND, matchers=[lambda command: subcommand(command) == "request"])
    def handle_request_command(ack: Ack, command: Mapping[str, Any], client: WebClient) -> None:
        ack()
        _open_form(flow, client, str(command["trigger_id"]), {})

    @app.action({"block_id": "token_type", "action_id": "value"})
    def handle_type_chosen(ack: Ack, body: Mapping[str, Any], client: WebClient) -> None:
        """Choosing a type narrows the scopes to those it may have (values are kept)."""
        ack()
        view = body["view"]
        chosen = form_value(view, "token_type")
        scopes = form_value(view, "scopes")
        role = form_value(view, "role")
        client.views_update(
            view_id=str(view["id"]),
            hash=str(view.get("hash") or "") or None,
            view=form_view(
                flow,
                token_type=TokenType(chosen) if chosen in REQUESTABLE else None,
                scopes=tuple(Scope(s) for s in scopes) if isinstance(scopes, list) else (),
                role=AccessLevel(int(role)) if isinstance(role, str) else None,
            ),
        )

    @app.view(ids.REQUEST_SUBMIT)
    def handle_request_submit(ack: Ack, body: Mapping[str, Any], client: WebClient) -> None:
        requester = str(body["user"]["id"])
        draft = read_draft(body["view"])
        try:
            if isinstance(draft, list):
                raise RequestRejected(draft)
            request = submit_request(person(flow, client, requester), draft, deps=flow.deps)
        except RequestRejected as exc:
            ack(response_action="errors", errors={p.field: p.message for p in exc.problems})
            return
        except (IdentityError, GitLabError) as exc:
            ack(response_action="errors", errors={"target": str(exc)[:150]})
            return
        ack()
        channel = post_card(flow, client, request)
        if channel is None:
            client.chat_postMessage(
                channel=requester,
                text=(
                    "Your request could not be put before the approvers (Slack refused its"
                    " approval card), so tokenbot withdrew it; nothing was created. Please"
                    " try again, or tell your tokenbot admin."
                ),
            )
            return
        blocks, text = waiting_message(request, channel)
        client.chat_postMessage(channel=requester, blocks=blocks, text=text)


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
        request_id, user = _clicked(body)
        try:
            request = approve_request(request_id, person(flow, client, user), deps=flow.deps)
        except (RequestError, IdentityError, GitLabError) as exc:
            tell(client, body, f"Not approved: {exc}")
            return
        refresh_card(client, request)
        if request.state is RequestState.APPROVED:
            provision_and_deliver(flow, client, request_id)
        _after_click(flow, client, body)

    @app.action(ids.REQUEST_RETRY)
    def handle_retry(ack: Ack, body: Mapping[str, Any], client: WebClient) -> None:
        ack()
        request_id, user = _clicked(body)
        try:
            check_approver(request_id, person(flow, client, user), deps=flow.deps)
        except (RequestError, IdentityError, GitLabError) as exc:
            tell(client, body, f"Not retried: {exc}")
            return
        provision_and_deliver(flow, client, request_id)
        _after_click(flow, client, body)

    @app.action(ids.REQUEST_DENY)
    def handle_deny(ack: Ack, body: Mapping[str, Any], client: WebClient) -> None:
        ack()
        request_id, _user = _clicked(body)
        client.views_open(trigger_id=body["trigger_id"], view=deny_modal(request_id))

    @app.view(ids.DENY_SUBMIT)
    def handle_deny_submit(ack: Ack, body: Mapping[str, Any], client: WebClient) -> None:
        request_id = str(body["view"]["private_metadata"])
        user = str(body["user"]["id"])
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
        client.chat_postMessage(
            channel=request.requester,
            text=(
                f"Your request for '{request.draft.name}' was denied by <@{user}>:"
                f" {request.deny_reason}"
            ),
        )

    @app.action(ids.REQUEST_CANCEL)
    def handle_cancel(ack: Ack, body: Mapping[str, Any], client: WebClient) -> None:
        ack()
        request_id, user = _clicked(body)
        try:
            request = cancel_request(request_id, user, deps=flow.deps)
        except RequestError as exc:
            tell(client, body, f"Not cancelled: {exc}")
            return
        refresh_card(client, request)
        note = f"You cancelled your request for '{request.draft.name}' on `{request.draft.target}`."
        if not _replace_clicked_message(client, body, note):
            client.chat_postMessage(channel=user, text=note)
        _after_click(flow, client, body)


def provision_and_deliver(flow: RequestFlow, client: WebClient, request_id: str) -> None:
    """Create (or, for a renewal, rotate) the approved token and tell its requester."""
    outcome = provision_request(request_id, deps=flow.deps)
    if not outcome.started:
        return  # another click or process is on it
    refresh_card(client, outcome.request)
    request = outcome.request
    renewal = request.renews is not None
    if request.state is not RequestState.PROVISIONED:
        verb = "rotate" if renewal else "create"
        client.chat_postMessage(
            channel=request.requester,
            text=(
                f"Your request for '{request.draft.name}' was approved, but GitLab refused to"
                f" {verb} it: {request.failure}. An approver can retry."
            ),
        )
    else:
        _deliver(
            client,
            request,
            ttl=flow.deps.secret_ttl,
            rotated=renewal,
            problem=outcome.problem,
        )


def _deliver(
    client: WebClient,
    request: TokenRequest,
    *,
    ttl: timedelta,
    rotated: bool,
    problem: str | None = None,
) -> None:
    """Tell the requester where the new secret is: a variable, or behind a Reveal button."""
    draft = request.draft
    if draft.delivery is Delivery.CI_VARIABLE and problem is None:
        verb = "was rotated; the new secret is" if rotated else "is"
        client.chat_postMessage(
            channel=request.requester,
            text=(
                f"Your token '{draft.name}' {verb} in the masked, protected CI/CD"
                f" variable `{draft.variable_key}` of `{draft.variable_project}`."
            ),
        )
        return
    lead = None
    if rotated:
        lead = (
            f"Your token '{draft.name}' on `{draft.target}` was rotated: the old secret no"
            f" longer works. It expires on {draft.expires_on.isoformat()}."
        )
        if problem is not None:
            lead += f" But {problem}: reveal the new secret and set the variable yourself."
    blocks, text = ready_message(request, ttl=ttl, lead=lead)
    client.chat_postMessage(channel=request.requester, blocks=blocks, text=text)


def _register_delivery(app: App, flow: RequestFlow) -> None:
    @app.action(ids.REQUEST_REVEAL)
    def handle_reveal(ack: Ack, body: Mapping[str, Any], client: WebClient) -> None:
        ack()
        request_id, user = _clicked(body)
        quiet = WebClient(
            token=client.token,
            base_url=client.base_url,
            logger=silent_logger(),
            retry_handlers=client.retry_handlers,
        )

        def show(request: TokenRequest, secret: Secret) -> None:
            quiet.views_open(trigger_id=body["trigger_id"], view=reveal_modal(request, secret))

        try:
            request = reveal_secret(
                request_id, person(flow, client, user), show=show, deps=flow.deps
            )
        except RequestError as exc:
            if str(exc) == GONE:
                _offer_rotation(client, body, request_id, flow)
            tell(client, body, str(exc))
            return
        except (IdentityError, GitLabError) as exc:
            tell(client, body, f"Not revealed: {exc}")
            return
        except SlackApiError:
            tell(
                client,
                body,
                "Slack did not open the window with the secret; it is still"
                " here: click Reveal token again.",
            )
            return
        blocks, text = rotate_offer(
            request,
            f"Your token '{request.draft.name}' was revealed. Store it somewhere safe; if you"
            " lose it, rotate the token to get a fresh secret.",
        )
        _replace_clicked_message(client, body, text, blocks)

    @app.action(ids.REQUEST_ROTATE)
    def handle_rotate(ack: Ack, body: Mapping[str, Any], client: WebClient) -> None:
        ack()
        request_id, user = _clicked(body)
        try:
            rotation = rotate_request_token(request_id, person(flow, client, user), deps=flow.deps)
        except (RequestError, IdentityError, GitLabError) as exc:
            tell(client, body, f"Not rotated: {exc}")
            return
        if not rotation.rotated:
            tell(client, body, f"Not rotated (the old secret still works): {rotation.problem}")
            return
        _deliver(
            client,
            rotation.request,
            ttl=flow.deps.secret_ttl,
            rotated=True,
            problem=rotation.problem,
        )
        _after_click(flow, client, body)


def _offer_rotation(
    client: WebClient, body: Mapping[str, Any], request_id: str, flow: RequestFlow
) -> None:
    with flow.deps.uow() as uow:
        request = uow.requests.get(request_id)
    if request is not None and request.state is RequestState.PROVISIONED:
        blocks, text = rotate_offer(
            request,
            f"The secret of '{request.draft.name}' is gone: it was revealed, or nobody revealed"
            " it in time. Rotate the token to get a fresh one.",
        )
        _replace_clicked_message(client, body, text, blocks)


def announce_expired(client: WebClient, request: TokenRequest) -> None:
    """Nobody decided in time: update the card and tell the requester."""
    refresh_card(client, request)
    client.chat_postMessage(
        channel=request.requester,
        text=(
            f"Your request for '{request.draft.name}' on `{request.draft.target}` expired:"
            f" nobody decided on it in time. Use `{ids.COMMAND} request` to ask again."
        ),
    )


def refresh_card(client: WebClient, request: TokenRequest) -> None:
    """Show the request's current state on its approval card."""
    if request.card is None:
        return
    blocks, text = approval_card(request)
    client.chat_update(channel=request.card.channel, ts=request.card.ts, blocks=blocks, text=text)


def _after_click(flow: RequestFlow, client: WebClient, body: Mapping[str, Any]) -> None:
    """A click on the Home tab changes what it shows: publish it again."""
    if (body.get("container") or {}).get("type") == "view":
        publish_home(flow, client, str(body["user"]["id"]))


def _replace_clicked_message(
    client: WebClient,
    body: Mapping[str, Any],
    text: str,
    blocks: list[dict[str, Any]] | None = None,
) -> bool:
    """Rewrite the (non-ephemeral) message that was clicked; False if there is none."""
    container = body.get("container") or {}
    if container.get("type") != "message" or container.get("is_ephemeral"):
        return False
    client.chat_update(
        channel=str(container["channel_id"]),
        ts=str(container["message_ts"]),
        text=text,
        blocks=blocks or [],
    )
    return True


def _clicked(body: Mapping[str, Any]) -> tuple[str, str]:
    return str(body["actions"][0]["value"]), str(body["user"]["id"])
