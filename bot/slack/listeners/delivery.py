"""After approval: provisioning, telling the requester where the secret is, reveal, rotate."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain.credentials import Secret
from bot.domain.requests import Delivery, RequestError, RequestState, TokenRequest
from bot.services.credential_usage import usage_of
from bot.services.gitlab_errors import GitLabError
from bot.services.identity import IdentityError
from bot.services.provisioning import Provisioning, provision_request
from bot.services.request_deps import RequestDeps
from bot.services.request_handoff import hand_off_request_token
from bot.services.request_rotation import rotate_request_token
from bot.services.reveal import GONE, reveal_secret
from bot.slack import ids
from bot.slack.after_ack import after_ack
from bot.slack.approvals import SlackApprovals
from bot.slack.blocks import handoffs, notices
from bot.slack.blocks.approvals import shell_ready
from bot.slack.blocks.requests import approval_card, ready_message, reveal_modal, rotate_offer
from bot.slack.blocks.usage import in_variable_message
from bot.slack.flow import RequestFlow, person, silent_logger, tell
from bot.slack.listeners.home import publish_home
from bot.slack.parse import action_value, trigger_id, user_id
from bot.slack.work import WorkQueue


def register(app: App, flow: RequestFlow, work: WorkQueue) -> None:
    @app.action(ids.REQUEST_REVEAL)
    @after_ack(work)
    def handle_reveal(body: Mapping[str, Any], client: WebClient, _: BoltContext) -> None:
        request_id, user = clicked(body)
        quiet = WebClient(
            token=client.token,
            base_url=client.base_url,
            logger=silent_logger(),
            retry_handlers=client.retry_handlers,
        )

        def show(request: TokenRequest, secret: Secret) -> None:
            view = reveal_modal(request, secret, usage_of(request, deps=flow.deps))
            quiet.views_open(trigger_id=trigger_id(body), view=view)

        try:
            who = person(flow, client, user)
            request = reveal_secret(request_id, who, show=show, deps=flow.deps)
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
                "Slack did not open the window with the secret, so it is still here: click"
                " Reveal token again.",
            )
            return
        blocks, text = rotate_offer(request, notices.revealed(request.draft))
        replace_clicked_message(client, body, text, blocks)

    app.action(ids.REQUEST_ROTATE)(_rotate_handler(flow, work, in_place=False))
    app.action(ids.REQUEST_ROTATE_IN_PLACE)(_rotate_handler(flow, work, in_place=True))


def _rotate_handler(flow: RequestFlow, work: WorkQueue, *, in_place: bool) -> Callable[..., None]:
    """Rotate token: by hand-off where it can (unless `in_place`), else GitLab's rotation."""

    @after_ack(work)
    def handle(body: Mapping[str, Any], client: WebClient, _: BoltContext) -> None:
        request_id, user = clicked(body)
        try:
            who = person(flow, client, user)
            handed = (
                None
                if in_place
                else hand_off_request_token(request_id, who, deps=flow.renew_deps())
            )
            if handed is not None:  # a successor beside the live token (docs/handoff.md)
                _hand_off(flow, client, body, handed)
                return
            rotation = rotate_request_token(request_id, who, deps=flow.deps)
        except (RequestError, IdentityError, GitLabError) as exc:
            tell(client, body, f"Not rotated: {exc}")
            return
        if not rotation.rotated:
            tell(client, body, f"Not rotated (the old secret still works): {rotation.problem}")
            return
        deliver(client, rotation.request, deps=flow.deps, problem=rotation.problem)
        after_click(flow, client, body)

    return handle


def _hand_off(
    flow: RequestFlow, client: WebClient, body: Mapping[str, Any], renewal: TokenRequest
) -> None:
    if renewal.state is RequestState.APPROVED:
        provision_and_deliver(flow, client, renewal.id)
    else:
        tell(client, body, "Your rotation waits for approval; its new secret then comes to you.")
    after_click(flow, client, body)


def provision_and_deliver(
    flow: RequestFlow, client: WebClient, request_id: str
) -> TokenRequest | None:
    """Create (or, for a renewal, rotate) the approved token and tell its requester.

    None when another click or process is on it (the request as it stands is not changed).
    """
    outcome = provision_request(request_id, deps=flow.deps)
    if not outcome.started:
        return None
    return finish_delivery(flow, client, outcome)


def finish_delivery(flow: RequestFlow, client: WebClient, outcome: Provisioning) -> TokenRequest:
    """After provisioning: redraw the card and messages, tell the requester where it is."""
    approvals = SlackApprovals(client, flow)
    approvals.redraw(outcome.request)
    request = outcome.request
    if request.state is not RequestState.PROVISIONED:
        text = notices.refused_by_gitlab(request, renewal=request.renews is not None)
        approvals.tell_requester(request, text)
        return request
    channel, in_shell = approvals.requester(request)
    if in_shell:  # the secret waits in the shell, where it was asked for
        if channel is not None:
            client.chat_postMessage(
                channel=channel, text=shell_ready(request, flow.deps.secret_ttl)
            )
        return request
    deliver(
        client,
        request,
        deps=flow.deps,
        problem=outcome.problem,
        rotated=rotated_in_place(request),
    )
    announce_handoff(client, flow, request)
    return request


def announce_handoff(client: WebClient, flow: RequestFlow, request: TokenRequest) -> None:
    """After a hand-off's new token was delivered: the DM with what happens next."""
    if request.renews is None or not request.renews.handoff:
        return
    with flow.deps.uow() as uow:
        handoff = uow.handoffs.get(request.id)
    if handoff is None:
        return
    cancellable = request.draft.delivery is not Delivery.CI_VARIABLE
    blocks, text = handoffs.under_way(handoff, cancellable=cancellable)
    for chat_id in dict.fromkeys((request.requester, handoff.owner)):  # the holder, the owner
        client.chat_postMessage(channel=chat_id, blocks=blocks, text=text)


def rotated_in_place(request: TokenRequest) -> bool:
    """Did this request rotate a token (not mint a hand-off's successor beside it)?"""
    return request.renews is not None and not request.renews.handoff


def deliver(
    client: WebClient,
    request: TokenRequest,
    *,
    deps: RequestDeps,
    problem: str | None = None,
    rotated: bool = True,
) -> None:
    """Tell the requester where the new secret is: a variable (with how to use it there), or
    behind a Reveal button."""
    draft, ttl = request.draft, deps.secret_ttl
    if draft.delivery is Delivery.CI_VARIABLE and problem is None:
        usage = usage_of(request, deps=deps, in_variable=True)
        blocks, text = in_variable_message(request, usage, rotated=rotated)
        client.chat_postMessage(channel=request.requester, blocks=blocks, text=text)
        return
    lead = (
        notices.rotated_lead(draft, problem)
        if rotated
        else (notices.not_in_variable(draft, problem) if problem else None)
    )
    blocks, text = ready_message(request, ttl=ttl, lead=lead)
    client.chat_postMessage(channel=request.requester, blocks=blocks, text=text)


def _offer_rotation(
    client: WebClient, body: Mapping[str, Any], request_id: str, flow: RequestFlow
) -> None:
    with flow.deps.uow() as uow:
        request = uow.requests.get(request_id)
    if request is not None and request.state is RequestState.PROVISIONED:
        blocks, text = rotate_offer(request, notices.secret_gone(request.draft))
        replace_clicked_message(client, body, text, blocks)


def announce_expired(
    client: WebClient, request: TokenRequest, flow: RequestFlow | None = None
) -> None:
    """Nobody decided in time: update the card (and the approvers' messages) and tell the
    requester."""
    if flow is None:
        refresh_card(client, request)
        client.chat_postMessage(channel=request.requester, text=notices.expired(request.draft))
        return
    approvals = SlackApprovals(client, flow)
    approvals.redraw(request)
    approvals.tell_requester(request, notices.expired(request.draft))


def refresh_card(client: WebClient, request: TokenRequest) -> None:
    """Show the request's current state on its approval card."""
    if request.card is None:
        return
    blocks, text = approval_card(request)
    client.chat_update(channel=request.card.channel, ts=request.card.ts, blocks=blocks, text=text)


def after_click(flow: RequestFlow, client: WebClient, body: Mapping[str, Any]) -> None:
    """A click on the Home tab changes what it shows: publish it again."""
    if (body.get("container") or {}).get("type") == "view":
        publish_home(flow, client, user_id(body))


def replace_clicked_message(
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


def clicked(body: Mapping[str, Any]) -> tuple[str, str]:
    return action_value(body), user_id(body)
