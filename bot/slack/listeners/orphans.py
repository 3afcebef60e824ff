"""Revoke on a credential the reconciler reported in the approvals channel."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.domain.requests import RequestError
from bot.domain.tokens import TokenType
from bot.services.gitlab_errors import GitLabError
from bot.services.identity import IdentityError
from bot.services.orphans import revoke_orphan
from bot.services.people import NotAllowedError
from bot.slack import ids
from bot.slack import text as t
from bot.slack.after_ack import after_ack
from bot.slack.flow import RequestFlow, person, tell
from bot.slack.listeners.delivery import replace_clicked_message
from bot.slack.parse import MalformedPayload, action_value, user_id
from bot.slack.work import WorkQueue


def register(app: App, flow: RequestFlow, work: WorkQueue) -> None:
    @app.action(ids.ORPHAN_REVOKE)
    @after_ack(work)
    def handle_orphan_revoke(body: Mapping[str, Any], client: WebClient, _: BoltContext) -> None:
        request_id, token_type, gitlab_id = _read(action_value(body))
        clicker = user_id(body)
        try:
            who = person(flow, client, clicker)
            revoke_orphan(request_id, token_type, gitlab_id, who, deps=flow.deps)
        except (RequestError, NotAllowedError, IdentityError, GitLabError) as exc:
            tell(client, body, f"Not revoked: {exc}")
            return
        words = (
            f"{t.mention(clicker)} revoked the credential with GitLab id {gitlab_id} that"
            " tokenbot could not account for (if GitLab did not confirm it yet, tokenbot keeps"
            " trying)."
        )
        replace_clicked_message(client, body, words)


def _read(value: str) -> tuple[str, TokenType, int]:
    """`<request id>|<token type>|<GitLab id>`, as orphan_value() wrote it."""
    parts = value.split("|")
    if len(parts) != 3 or not parts[2].isdigit() or len(parts[2]) > 18:
        raise MalformedPayload("not a reported credential")
    try:
        return parts[0], TokenType(parts[1]), int(parts[2])
    except ValueError:
        raise MalformedPayload("not a reported credential") from None
