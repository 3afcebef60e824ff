"""Break-glass in Slack: `/token breakglass`, its form, the announcement and review card in
the approvals channel, Acknowledge on the card; and the sweep's notices."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain.breakglass import BreakGlassReview, ReviewError
from bot.domain.requests import RequestDraft, RequestError, TokenRequest
from bot.services.breakglass import (
    acknowledge_review,
    attach_review_card,
    known_problems,
    may_break_glass,
    review_of,
)
from bot.services.gitlab_errors import GitLabError
from bot.services.identity import IdentityError
from bot.services.people import NotAllowedError
from bot.services.request_deps import RequestRejected, load_request
from bot.services.submissions import break_glass_once
from bot.slack import ids
from bot.slack.after_ack import after_ack, queue
from bot.slack.blocks import breakglass as blocks
from bot.slack.blocks import notices
from bot.slack.breakglass_form import breakglass_form, field_errors, read_breakglass_draft
from bot.slack.flow import RequestFlow, person, tell
from bot.slack.listeners.delivery import clicked, provision_and_deliver
from bot.slack.listeners.request_form import submission_key
from bot.slack.parse import subcommand, trigger_id, user_id, view_of
from bot.slack.submits import ack_then_check, by_field, show
from bot.slack.work import WorkQueue

log = logging.getLogger(__name__)
REFUSED = (
    "Break-glass is not for you here: only members of the break-glass groups"
    " (TOKENBOT_BREAKGLASS_GROUPS) may use it. Ask for the token with `/token request`;"
    " approvers are told at once."
)


def register(app: App, flow: RequestFlow, work: WorkQueue) -> None:
    """Listeners ack on Bolt's pool and leave GitLab's questions to the work queue."""

    @app.command(
        ids.COMMAND, matchers=[lambda command: subcommand(command) == ids.BREAKGLASS_COMMAND]
    )
    def handle_breakglass_command(
        ack: Ack, command: Mapping[str, Any], client: WebClient, context: BoltContext
    ) -> None:
        ack()
        # The trigger lasts 3 s: open the modal now, and ask GitLab on the work queue.
        opened = client.views_open(trigger_id=trigger_id(command), view=blocks.checking_modal())
        shown = opened.get("view")
        view_id = str(shown.get("id") or "") if isinstance(shown, Mapping) else ""

        def offer(body: Mapping[str, Any], client: WebClient, context: BoltContext) -> None:
            _offer_form(flow, client, context, str(body["user_id"]), view_id)

        queue(work, offer, command, client, context)

    @app.view(ids.BREAKGLASS_SUBMIT)
    def handle_breakglass_submit(
        ack: Ack, body: Mapping[str, Any], client: WebClient, context: BoltContext
    ) -> None:
        try:
            draft = read_breakglass_draft(view_of(body))
        except RequestRejected as exc:
            ack(response_action="errors", errors=field_errors(exc.problems))
            return

        def check(body: Mapping[str, Any], client: WebClient, _: BoltContext) -> None:
            _break_glass(flow, client, body, draft)

        ack_then_check(
            ack,
            body,
            client,
            context,
            work,
            problems=field_errors(known_problems(draft, deps=flow.deps)),
            checking=blocks.submit_checking_modal(),
            check=check,
        )

    @app.action(ids.BREAKGLASS_ACKNOWLEDGE)
    @after_ack(work)
    def handle_acknowledge(body: Mapping[str, Any], client: WebClient, _: BoltContext) -> None:
        request_id, user = clicked(body)
        try:
            acknowledge_review(request_id, person(flow, client, user), deps=flow.deps)
        except (RequestError, ReviewError, IdentityError, GitLabError) as exc:
            tell(client, body, f"Not acknowledged: {exc}")
            return
        refresh_review_card(client, flow, request_id)


def _break_glass(
    flow: RequestFlow, client: WebClient, body: Mapping[str, Any], draft: RequestDraft
) -> None:
    """After the ack: the gate and GitLab, then the token made and announced; the form again
    with its problems, or the refusal for someone the policy does not allow. The same submit
    again breaks glass once (`break_glass_once`)."""
    try:
        who = person(flow, client, user_id(body))
        request, new = break_glass_once(who, draft, deps=flow.deps, submission=submission_key(body))
    except NotAllowedError as exc:
        words = f"No break-glass: {exc}"
        show(client, body, blocks.refused_modal(words), otherwise=words)
        return
    except RequestRejected as exc:
        _form_again(flow, client, body, by_field(exc.problems))
        return
    except (RequestError, IdentityError, GitLabError) as exc:
        _form_again(flow, client, body, {"target": str(exc)})
        return
    show(client, body, blocks.made_modal(request), otherwise="")
    if new:
        done = provision_and_deliver(flow, client, request.id)
        announce(flow, client, done or load_request(request.id, flow.deps))


def _form_again(
    flow: RequestFlow, client: WebClient, body: Mapping[str, Any], problems: dict[str, str]
) -> None:
    form = breakglass_form(flow.deps.offered(), hours=flow.deps.breakglass.hours)
    again = blocks.form_again(form, view_of(body), problems)
    listed = "; ".join(problems.values())
    show(client, body, again, otherwise=f"No break-glass: {listed}")


def _offer_form(
    flow: RequestFlow, client: WebClient, context: BoltContext, user: str, view_id: str
) -> None:
    """The break-glass form in the opened modal, or the refusal in its place."""
    respond = context.respond
    try:
        allowed = may_break_glass(person(flow, client, user), deps=flow.deps)
    except (IdentityError, GitLabError) as exc:
        _refuse(client, respond, view_id, f"No break-glass: {exc}")
        return
    if not allowed:
        _refuse(client, respond, view_id, REFUSED)
        return
    view = breakglass_form(flow.deps.offered(), hours=flow.deps.breakglass.hours)
    client.views_update(view_id=view_id, view=view)


def _refuse(client: WebClient, respond: Respond | None, view_id: str, words: str) -> None:
    """The refusal, privately where the command was typed, and in place of the form."""
    if respond is not None:
        respond(text=notices.said(words))
    client.views_update(view_id=view_id, view=blocks.refused_modal(words))


def announce(flow: RequestFlow, client: WebClient, request: TokenRequest) -> None:
    """The loud announcement, then the review card (kept, to be redrawn), in the approvals
    channel of the target. A failed post is logged: the review escalates regardless."""
    review = review_of(request.id, deps=flow.deps)
    if review is None:
        return
    channel = flow.channel_for(request.draft.target)
    try:
        said, text = blocks.announcement(request, review)
        client.chat_postMessage(channel=channel, blocks=said, text=text)
        card, text = blocks.review_card(request, review)
        posted = client.chat_postMessage(channel=channel, blocks=card, text=text)
    except (SlackApiError, OSError) as exc:
        log.error("break-glass %s was not announced: %s", request.id, exc)
        return
    attach_review_card(request.id, str(posted["channel"]), str(posted["ts"]), deps=flow.deps)


def refresh_review_card(client: WebClient, flow: RequestFlow, request_id: str) -> None:
    review = review_of(request_id, deps=flow.deps)
    if review is None or review.card_channel is None or review.card_ts is None:
        return
    request = load_request(request_id, flow.deps)
    card, text = blocks.review_card(request, review)
    client.chat_update(channel=review.card_channel, ts=review.card_ts, blocks=card, text=text)


class SlackBreakGlassNotifier:
    """The sweep's news in Slack: the escalation in the review's channel, with mentions of
    TOKENBOT_APPROVERS (else @channel); the end of its lifetime to the requester."""

    def __init__(self, client: WebClient, flow: RequestFlow) -> None:
        self._client = client
        self._flow = flow

    def escalate(self, review: BreakGlassReview, request: TokenRequest) -> None:
        channel = review.card_channel or self._flow.channel_for(request.draft.target)
        approvers = self._flow.deps.policy.approvers
        text = blocks.escalation(request, review, approvers)
        self._client.chat_postMessage(channel=channel, text=text)
        refresh_review_card(self._client, self._flow, review.request_id)

    def ended(self, review: BreakGlassReview, request: TokenRequest) -> None:
        self._client.chat_postMessage(channel=request.requester, text=blocks.ended(request))
