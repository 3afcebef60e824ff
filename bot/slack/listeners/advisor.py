"""The advisor in Slack: started from a DM, a mention or `/token which`; driven by buttons."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.domain.walk import AnswerError
from bot.services.advisor import advise
from bot.services.conversations import (
    ConversationDeps,
    Turn,
    answer_question,
    go_back,
    open_conversation,
    start_over,
)
from bot.slack import ids
from bot.slack.blocks import notices
from bot.slack.blocks.advisor import FirstQuestions, conversation_message
from bot.slack.parse import ActionContext, action_context, conversation_key

log = logging.getLogger(__name__)
_FIRST = FirstQuestions()  # the first question, drawn once (2 ms of CPU a message)


def begin_advice(
    client: WebClient,
    deps: ConversationDeps,
    *,
    team_id: str,
    channel: str,
    owner: str,
    thread_ts: str | None = None,
) -> str:
    """Post the first question and start the conversation keyed by that message."""
    first = Turn("", advise({}, context=deps.context), ())
    blocks, text = _FIRST.message(deps.context, first, owner=owner)
    posted = client.chat_postMessage(channel=channel, thread_ts=thread_ts, blocks=blocks, text=text)
    key = conversation_key(team_id, str(posted["channel"]), str(posted["ts"]))
    open_conversation(key, deps=deps)
    return key


def register(app: App, deps: ConversationDeps, *, can_request: bool = False) -> None:
    def on_click(step: Callable[[ActionContext], Turn]) -> Callable[..., None]:
        def handle(ack: Ack, body: Mapping[str, Any], client: WebClient) -> None:
            ack()
            context = action_context(body)
            if not _owner_clicked(client, context):
                return
            try:
                turn = step(context)
            except AnswerError as exc:
                _tell(client, context, notices.said(f"That answer doesn't fit: {exc}"))
                return
            blocks, text = conversation_message(
                turn, owner=context.user_id, can_request=can_request
            )
            client.chat_update(
                channel=context.channel_id, ts=context.message_ts, blocks=blocks, text=text
            )

        return handle

    def answer(context: ActionContext) -> Turn:
        assert context.button is not None  # noqa: S101 - every advisor button has a value
        return answer_question(
            context.conversation_key, context.button.question_id, context.button.value, deps=deps
        )

    def capabilities(context: ActionContext) -> Turn:
        if not context.selected:
            raise AnswerError(
                "pick at least one thing the token must do, then Continue",
                question_id="capabilities",
                valid=(),
            )
        assert context.button is not None  # noqa: S101
        return answer_question(
            context.conversation_key,
            context.button.question_id,
            ",".join(context.selected),
            deps=deps,
        )

    app.action(ids.ANSWER_PATTERN)(on_click(answer))
    app.action(ids.CAPABILITIES_DONE)(on_click(capabilities))
    app.action(ids.BACK)(on_click(lambda c: go_back(c.conversation_key, deps=deps)))
    app.action(ids.START_OVER)(on_click(lambda c: start_over(c.conversation_key, deps=deps)))

    @app.action(ids.CAPABILITIES_SELECT)
    def handle_capability_choice(ack: Ack) -> None:
        ack()  # the choice is read from the message state when Continue is clicked


def _owner_clicked(client: WebClient, context: ActionContext) -> bool:
    owner = context.button.owner if context.button else context.user_id
    if owner == context.user_id:
        return True
    _tell(client, context, notices.not_yours(owner))
    return False


def _tell(client: WebClient, context: ActionContext, text: str) -> None:
    client.chat_postEphemeral(channel=context.channel_id, user=context.user_id, text=text)
