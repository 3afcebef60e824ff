"""The hand-off buttons: "Revoke the old one now" and "Cancel hand-off" (one service call each;
who may is the gate's, through bot/services/handoffs.py)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.domain.handoff import Handoff, HandoffError
from bot.services.gitlab_errors import GitLabError
from bot.services.handoff_cancel import cancel_handoff
from bot.services.handoffs import HandoffDeps, revoke_old_now
from bot.services.identity import IdentityError
from bot.services.people import NotAllowedError, Person
from bot.slack import ids
from bot.slack.after_ack import after_ack
from bot.slack.blocks import handoffs
from bot.slack.flow import RequestFlow, person, tell
from bot.slack.listeners.delivery import after_click, replace_clicked_message
from bot.slack.parse import action_value, user_id
from bot.slack.work import WorkQueue


def register(app: App, flow: RequestFlow, work: WorkQueue) -> None:
    deps = HandoffDeps(flow.deps)
    app.action(ids.HANDOFF_REVOKE_OLD)(
        _on_click(
            flow, lambda rid, who: revoke_old_now(rid, who, deps=deps), handoffs.old_revoked, work
        )
    )
    app.action(ids.HANDOFF_CANCEL)(
        _on_click(
            flow, lambda rid, who: cancel_handoff(rid, who, deps=deps), handoffs.cancelled, work
        )
    )


def _on_click(
    flow: RequestFlow,
    act: Callable[[str, Person], Handoff],
    says: Callable[[Handoff], str],
    work: WorkQueue,
) -> Callable[..., None]:
    @after_ack(work)
    def handle(body: Mapping[str, Any], client: WebClient, _: BoltContext) -> None:
        request_id, user = action_value(body), user_id(body)
        try:
            done = act(request_id, person(flow, client, user))
        except (HandoffError, NotAllowedError, IdentityError, GitLabError) as exc:
            tell(client, body, f"Nothing changed: {exc}")
            return
        text = says(done)
        if not replace_clicked_message(client, body, text):
            client.chat_postMessage(channel=user, text=text)
        if done.owner != user:
            client.chat_postMessage(channel=done.owner, text=text)
        after_click(flow, client, body)

    return handle
