"""CI/CD job token access in Slack: the form, the approvers' card, Remove, `/token job-access`.

Listeners ack, read, call one use case of `bot.services.job_token_access` and render; the use
cases ask the gate.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain import job_token_access as jta
from bot.domain.job_token_access import JobAccessDraft, JobTokenAccess, SourceKind
from bot.domain.request_policy import Problem
from bot.domain.requests import MessageRef, RequestError
from bot.services.gitlab_errors import GitLabError
from bot.services.identity import IdentityError
from bot.services.job_token_access import (
    approve_job_access,
    attach_job_card,
    deny_job_access,
    fine_grained_verdict,
    job_access_for,
    remove_job_access,
    withdraw_job_access,
)
from bot.services.request_deps import RequestRejected
from bot.services.submissions import job_access_once
from bot.slack import ids
from bot.slack.after_ack import after_ack
from bot.slack.blocks import notices
from bot.slack.blocks.job_token import (
    job_access_card,
    job_access_checking_modal,
    job_access_form_again,
    job_access_list,
    job_access_modal,
    job_access_note,
    job_access_sent_modal,
)
from bot.slack.flow import RequestFlow, person, tell
from bot.slack.listeners.delivery import clicked
from bot.slack.listeners.request_form import submission_key
from bot.slack.parse import form_value, subcommand, trigger_id, user_id, view_of
from bot.slack.submits import ack_then_check, by_field, field_errors, show
from bot.slack.work import WorkQueue

log = logging.getLogger(__name__)
_KINDS = {k.value: k for k in SourceKind}


def register(app: App, flow: RequestFlow, work: WorkQueue) -> None:
    @app.action(ids.JOB_ACCESS_OPEN)
    def handle_job_access_button(ack: Ack, body: Mapping[str, Any], client: WebClient) -> None:
        ack()
        view = job_access_modal(fine_grained_verdict(flow.deps))
        client.views_open(trigger_id=trigger_id(body), view=view)

    @app.view(ids.JOB_ACCESS_SUBMIT)
    def handle_job_access_submit(
        ack: Ack, body: Mapping[str, Any], client: WebClient, context: BoltContext
    ) -> None:
        try:
            draft = _draft(view_of(body))
        except RequestRejected as exc:
            ack(
                response_action="errors", errors=field_errors(by_field(exc.problems), view_of(body))
            )
            return

        def check(body: Mapping[str, Any], client: WebClient, _: BoltContext) -> None:
            _submit(flow, client, body, draft)

        ack_then_check(
            ack,
            body,
            client,
            context,
            work,
            problems=jta.draft_problems(draft),
            checking=job_access_checking_modal(),
            check=check,
        )

    @app.action(ids.JOB_ACCESS_APPROVE)
    @after_ack(work)
    def handle_job_access_approve(
        body: Mapping[str, Any], client: WebClient, _: BoltContext
    ) -> None:
        access_id, user = clicked(body)
        try:
            access = approve_job_access(access_id, person(flow, client, user), deps=flow.deps)
        except (RequestError, IdentityError, GitLabError) as exc:
            tell(client, body, f"Not approved: {exc}")
            return
        _after(client, access)

    @app.action(ids.JOB_ACCESS_DENY)
    @after_ack(work)
    def handle_job_access_deny(body: Mapping[str, Any], client: WebClient, _: BoltContext) -> None:
        access_id, user = clicked(body)
        try:
            access = deny_job_access(access_id, person(flow, client, user), deps=flow.deps)
        except (RequestError, IdentityError, GitLabError) as exc:
            tell(client, body, f"Not denied: {exc}")
            return
        _after(client, access)

    @app.action(ids.JOB_ACCESS_REMOVE)
    @after_ack(work)
    def handle_job_access_remove(
        body: Mapping[str, Any], client: WebClient, _: BoltContext
    ) -> None:
        access_id, user = clicked(body)
        try:
            access = remove_job_access(access_id, person(flow, client, user), deps=flow.deps)
        except (RequestError, IdentityError, GitLabError) as exc:
            tell(client, body, f"Not removed: {exc}")
            return
        _after(client, access)
        tell(client, body, f"Job token access {access.state.value}.")

    @app.command(
        ids.COMMAND, matchers=[lambda command: subcommand(command) == ids.JOB_ACCESS_COMMAND]
    )
    @after_ack(work)  # asking GitLab who manages each target can take longer than Slack waits
    def handle_job_access_list(
        command: Mapping[str, Any], client: WebClient, context: BoltContext
    ) -> None:
        respond = context.respond
        assert respond is not None  # noqa: S101 - a command always has a response_url
        try:
            entries = job_access_for(person(flow, client, str(command["user_id"])), deps=flow.deps)
        except (IdentityError, GitLabError) as exc:
            respond(text=notices.said(f"I cannot list job token access: {exc}"))
            return
        blocks, text = job_access_list(entries)
        respond(text=text, blocks=blocks)


def _submit(
    flow: RequestFlow, client: WebClient, body: Mapping[str, Any], draft: JobAccessDraft
) -> None:
    """After the ack: GitLab and the gate, then the card and the confirmation, or the form
    again with its problems. The same submit again finds its request (`job_access_once`)."""
    try:
        someone = person(flow, client, user_id(body))
        access, new = job_access_once(
            someone, draft, deps=flow.deps, submission=submission_key(body)
        )
    except RequestRejected as exc:
        _form_again(flow, client, body, by_field(exc.problems))
        return
    except (IdentityError, GitLabError) as exc:
        _form_again(flow, client, body, {"target": str(exc)})
        return
    if new:
        access = _post_card(flow, client, access)
    note = job_access_note(access)
    show(client, body, job_access_sent_modal(access), otherwise="")
    if new:
        client.chat_postMessage(channel=access.requester, text=note)


def _form_again(
    flow: RequestFlow, client: WebClient, body: Mapping[str, Any], problems: dict[str, str]
) -> None:
    again = job_access_form_again(fine_grained_verdict(flow.deps), view_of(body), problems)
    listed = "; ".join(problems.values())
    show(client, body, again, otherwise=f"Your job token access request was not sent: {listed}")


def _draft(view: Mapping[str, Any]) -> JobAccessDraft:
    """The form's values; a kind the form does not offer (forged) is refused by field."""
    kind = form_value(view, "source_kind")
    if not isinstance(kind, str) or kind not in _KINDS:
        raise RequestRejected([_problem("source_kind", "Choose whose jobs need access.")])
    values = {f: form_value(view, f) for f in ("source", "target", "reason")}
    text = {f: v if isinstance(v, str) else "" for f, v in values.items()}
    chosen = form_value(view, "resources")  # checked against the offered ones by the use case
    if chosen is not None and not isinstance(chosen, list):
        raise RequestRejected([_problem("resources", "Choose the resources from the list.")])
    resources = tuple(chosen or ())
    return JobAccessDraft(
        _KINDS[kind], text["source"], text["target"], text["reason"], resources=resources
    )


def _problem(field: str, message: str) -> Problem:
    return Problem(field, message)


def _post_card(flow: RequestFlow, client: WebClient, access: JobTokenAccess) -> JobTokenAccess:
    """Post the approvers' card; if Slack refuses it, the request is withdrawn (else it would
    wait for ever and block a new one)."""
    channel = flow.channel_for(access.target.path)
    blocks, text = job_access_card(access)
    try:
        posted = client.chat_postMessage(channel=channel, blocks=blocks, text=text)
    except (SlackApiError, ValueError, OSError) as exc:
        log.error("the card of job token access %s was not posted: %s", access.id, exc)
        return withdraw_job_access(
            access.id, "the approval card could not be posted", deps=flow.deps
        )
    ref = MessageRef(str(posted["channel"]), str(posted["ts"]))
    return attach_job_card(access.id, ref, deps=flow.deps)


def _after(client: WebClient, access: JobTokenAccess) -> None:
    """Show the new state on the card and tell the requester."""
    if access.card is not None:
        blocks, text = job_access_card(access)
        try:
            client.chat_update(
                channel=access.card.channel, ts=access.card.ts, blocks=blocks, text=text
            )
        except SlackApiError as exc:
            log.warning("the card of job token access %s was not updated: %s", access.id, exc)
    client.chat_postMessage(channel=access.requester, text=job_access_note(access))
