"""Telling a hand-off's owner what the sync job did: the new token seen in use, the old one
revoked. A `HandoffNotifier` (bot/services/handoffs.py) on the bot's Web API client."""

from __future__ import annotations

from slack_sdk import WebClient

from bot.domain.handoff import Handoff
from bot.slack.blocks import handoffs


class SlackHandoffNotifier:
    def __init__(self, client: WebClient) -> None:
        self._client = client

    def successor_used(self, handoff: Handoff) -> None:
        self._client.chat_postMessage(channel=handoff.owner, text=handoffs.successor_used(handoff))

    def old_revoked(self, handoff: Handoff) -> None:
        self._client.chat_postMessage(channel=handoff.owner, text=handoffs.old_revoked(handoff))

    def successor_gone(self, handoff: Handoff) -> None:
        self._client.chat_postMessage(channel=handoff.owner, text=handoffs.successor_gone(handoff))
