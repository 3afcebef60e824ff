"""The buttons on hygiene findings (the weekly digest and the Home tab).

Revoke is the reminder's Revoke now (`revoke_now`: the same gate, the same refusals).
Replace with a narrower token checks that the clicker may rotate the old token, then opens
the request form filled in with the advisor's narrower choice for the same target; the
request it sends hands the old token off once the new one is made (where its type can).
Keep, it is right asks for a reason and silences that finding for that token (`keep_finding`,
gate-decided and audited). Each acks at once; what asks GitLab runs after the ack.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.domain.requests import RequestError
from bot.services.gitlab_errors import GitLabError
from bot.services.hygiene import flagged_credential, keep_finding
from bot.services.hygiene_replacement import check_may_replace
from bot.services.identity import IdentityError
from bot.services.reminder_actions import revoke_now
from bot.slack import ids
from bot.slack.after_ack import after_ack, queue
from bot.slack.blocks import notices
from bot.slack.blocks.hygiene import keep_modal, label, read_keep_value
from bot.slack.blocks.hygiene_views import checking_view, kept_view, refused_view
from bot.slack.flow import tell
from bot.slack.hygiene_flow import HygieneFlow
from bot.slack.hygiene_replace import replacement_form
from bot.slack.listeners.home import publish_home
from bot.slack.parse import action_value, form_value, trigger_id, user_id, view_of
from bot.slack.work import WorkQueue

_REFUSED = (RequestError, IdentityError, GitLabError)


def register(app: App, flow: HygieneFlow, work: WorkQueue) -> None:
    @app.action(ids.HYGIENE_REVOKE)
    @after_ack(work)
    def handle_hygiene_revoke(body: Mapping[str, Any], client: WebClient, _: BoltContext) -> None:
        key, user = action_value(body), user_id(body)
        try:
            token = revoke_now(key, flow.reminders.person(client, user), deps=flow.actions)
        except _REFUSED as exc:
            tell(client, body, f"Nothing changed: {exc}")
            return
        tell(client, body, f"Revoked {token.name} in {token.namespace.path}.")
        _thread_note(client, body, notices.revoked_by(user))
        if (body.get("container") or {}).get("type") == "view":  # the Home tab: redraw it
            publish_home(flow.requests, client, user, findings=flow.own_findings)

    @app.action(ids.HYGIENE_REPLACE)
    def handle_hygiene_replace(
        ack: Ack, body: Mapping[str, Any], client: WebClient, context: BoltContext
    ) -> None:
        ack()
        opened = client.views_open(trigger_id=trigger_id(body), view=checking_view("Replace"))
        view_id = str((opened.get("view") or {}).get("id") or "")
        queue(work, lambda b, c, _: _replace(flow, b, c, view_id), body, client, context)

    @app.action(ids.HYGIENE_KEEP)
    def handle_hygiene_keep(ack: Ack, body: Mapping[str, Any], client: WebClient) -> None:
        ack()
        key, kind = read_keep_value(action_value(body))
        item = flagged_credential(key, deps=flow.hygiene) if kind is not None else None
        if item is None or kind is None or not item.findings:
            tell(client, body, "This credential has no such finding any more; nothing to keep.")
            return
        client.views_open(trigger_id=trigger_id(body), view=keep_modal(item, kind))

    @app.view(ids.HYGIENE_KEEP_SUBMIT)
    def handle_hygiene_keep_submit(
        ack: Ack, body: Mapping[str, Any], client: WebClient, context: BoltContext
    ) -> None:
        view = view_of(body)
        reason = form_value(view, "reason")
        if not isinstance(reason, str) or not reason.strip():
            ack(response_action="errors", errors={"reason": "say why it is right"})
            return
        ack(response_action="update", view=checking_view("Keep"))
        queue(work, lambda b, c, _: _keep(flow, b, c, reason.strip()), body, client, context)


def _replace(flow: HygieneFlow, body: Mapping[str, Any], client: WebClient, view_id: str) -> None:
    """May the clicker rotate the old token? Then the form, with the narrower choice."""
    key, _kind = read_keep_value(action_value(body))
    requests = flow.requests
    try:
        if requests is None:
            raise RequestError("token requests are not set up in this workspace")
        person = flow.reminders.person(client, user_id(body))
        token = check_may_replace(key, person, deps=flow.actions)
        view = replacement_form(requests, token, person)
    except _REFUSED as exc:
        client.views_update(view_id=view_id, view=refused_view("Replace", f"Not replaced: {exc}"))
        return
    client.views_update(view_id=view_id, view=view)


def _keep(flow: HygieneFlow, body: Mapping[str, Any], client: WebClient, reason: str) -> None:
    view = view_of(body)
    key = str(view.get("private_metadata") or "")
    chosen = form_value(view, "kind")
    _, kind = read_keep_value(f"{chosen} {key}")
    view_id = str(view.get("id") or "")
    try:
        if kind is None:
            raise RequestError("choose one of the findings")
        person = flow.reminders.person(client, user_id(body))
        keep_finding(key, kind, reason, person, deps=flow.hygiene)
    except _REFUSED as exc:
        client.views_update(view_id=view_id, view=refused_view("Keep", f"Not kept: {exc}"))
        return
    client.views_update(view_id=view_id, view=kept_view(label(kind)))


def _thread_note(client: WebClient, body: Mapping[str, Any], text: str) -> None:
    """Who did what, in the digest's thread (a click on the Home tab has no thread)."""
    container = body.get("container") or {}
    if container.get("type") != "message":
        return
    client.chat_postMessage(
        channel=str(container["channel_id"]), thread_ts=str(container["message_ts"]), text=text
    )
