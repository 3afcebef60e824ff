"""Telling people what the reconciler did: the request's card, its requester, orphans."""

from __future__ import annotations

from slack_sdk import WebClient

from bot.domain.requests import TokenRequest
from bot.services.provisioning import Provisioning
from bot.services.reconciler import Orphan
from bot.slack.blocks import notices
from bot.slack.blocks.orphans import orphan_report
from bot.slack.blocks.requests import rotate_offer
from bot.slack.flow import RequestFlow
from bot.slack.listeners.delivery import finish_delivery


class SlackReconcileNotifier:
    """A `ReconcileNotifier` that posts through the bot's Web API client."""

    def __init__(self, client: WebClient, flow: RequestFlow) -> None:
        self._client = client
        self._flow = flow

    def finished(self, outcome: Provisioning) -> None:
        finish_delivery(self._flow, self._client, outcome)

    def orphan(self, orphan: Orphan) -> None:
        blocks, text = orphan_report(orphan)
        channel = self._flow.channel_for(orphan.request.draft.target)
        self._client.chat_postMessage(channel=channel, blocks=blocks, text=text)

    def rotation_interrupted(self, request: TokenRequest) -> None:
        blocks, text = rotate_offer(request, notices.rotation_interrupted(request))
        self._client.chat_postMessage(channel=request.requester, blocks=blocks, text=text)
