"""`/token`, direct messages and mentions: where people start talking to tokenbot."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.services.conversations import ConversationDeps
from bot.services.intents import Intent, recognise
from bot.slack import ids
from bot.slack.blocks import notices
from bot.slack.listeners.advisor import begin_advice
from bot.slack.parse import subcommand

HELP = (
    "I help you choose the right GitLab credential, with the least scopes and role.\n"
    f"• `{ids.COMMAND} which`: I ask you a few questions in a direct message\n"
    f"• `{ids.COMMAND} request`: request a token; approvers decide in Slack\n"
    f"• `{ids.COMMAND} mine`: your tokens and open requests\n"
    f"• `{ids.COMMAND} pending`: requests waiting for your decision\n"
    f"• `{ids.COMMAND} {ids.JOB_ACCESS_COMMAND}`: CI/CD job token access you asked for or"
    " manage, with Remove access\n"
    f"• `{ids.COMMAND} {ids.BREAKGLASS_COMMAND}`: in an emergency, and if the break-glass"
    " policy allows you, a token for at most a day at once, announced and reviewed afterwards\n"
    f"• `{ids.COMMAND} link` / `{ids.COMMAND} unlink`: link your GitLab account by signing"
    " in to GitLab (where set up), or undo it\n"
    f"• `{ids.COMMAND} help`: this message\n"
    '• Or write to me directly, or mention me in a channel: "which token should I use?"\n'
    "• My Home tab shows your tokens, your requests and what waits for you"
)
NO_REQUESTS = (
    "Token requests are not set up here yet: an admin needs to configure GITLAB_URL,"
    " GITLAB_TOKEN, TOKENBOT_APPROVALS_CHANNEL and TOKENBOT_SECRET_KEY."
)
DM_STARTED = "I've sent you a direct message with a few questions."


def register(app: App, deps: ConversationDeps) -> None:
    @app.command(ids.COMMAND)
    def handle_token_command(ack: Ack, command: Mapping[str, Any], client: WebClient) -> None:
        sub = subcommand(command) or "help"
        if sub == "which":
            ack(DM_STARTED)
            channel = client.conversations_open(users=command["user_id"])["channel"]["id"]
            begin_advice(
                client,
                deps,
                team_id=str(command["team_id"]),
                channel=str(channel),
                owner=str(command["user_id"]),
            )
        elif sub == "help":
            ack(HELP)
        elif sub in {"request", "mine", "pending", ids.JOB_ACCESS_COMMAND, ids.BREAKGLASS_COMMAND}:
            ack(NO_REQUESTS)  # reached only when the request listeners are not registered
        else:
            ack(notices.unknown_subcommand(sub, HELP))

    @app.event("message")
    def handle_direct_message(
        ack: Ack, event: Mapping[str, Any], body: Mapping[str, Any], client: WebClient
    ) -> None:
        ack()  # at once: Bolt would ack the event only when this returns (acked_dispatch.py)
        if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
            return
        _reply(client, deps, body, event, thread_ts=None)

    @app.event("app_mention")
    def handle_mention(
        ack: Ack, event: Mapping[str, Any], body: Mapping[str, Any], client: WebClient
    ) -> None:
        ack()
        _reply(client, deps, body, event, thread_ts=str(event.get("thread_ts") or event["ts"]))


def _reply(
    client: WebClient,
    deps: ConversationDeps,
    body: Mapping[str, Any],
    event: Mapping[str, Any],
    *,
    thread_ts: str | None,
) -> None:
    intent = recognise(str(event.get("text") or ""))
    if intent in {Intent.ADVISE, Intent.START_OVER}:
        begin_advice(
            client,
            deps,
            team_id=str(body.get("team_id") or ""),
            channel=str(event["channel"]),
            owner=str(event["user"]),
            thread_ts=thread_ts,
        )
    else:
        client.chat_postMessage(channel=str(event["channel"]), thread_ts=thread_ts, text=HELP)
