"""Telling people what the reconciler did: the request's card, its requester, orphans."""

from __future__ import annotations

from slack_sdk import WebClient

from bot.domain.requests import RequestState, TokenRequest
from bot.services.provisioning import Provisioning
from bot.services.reconciler import Orphan
from bot.slack.blocks import notices
from bot.slack.blocks.orphans import orphan_report
from bot.slack.blocks.requests import rotate_offer
from bot.slack.flow import RequestFlow
from bot.slack.listeners.delivery import (
    announce_handoff,
    deliver,
    refresh_card,
    rotated_in_place,
)


class SlackReconcileNotifier:
    """A `ReconcileNotifier` that posts through the bot's Web API client."""

    def __init__(self, client: WebClient, flow: RequestFlow) -> None:
        self._client = client
        self._flow = flow

    def finished(self, outcome: Provisioning) -> None:
        request = outcome.request
        refresh_card(self._client, request)
        if request.state is RequestState.PROVISIONED:
            deliver(
                self._client,
                request,
                deps=self._flow.deps,
                problem=outcome.problem,
                rotated=rotated_in_place(request),
            )
            announce_handoff(self._client, self._flow, request)
            return
        text = notices.refused_by_gitlab(request, renewal=request.renews is not None)
        self._client.chat_postMessage(channel=request.requester, text=text)

    def orphan(self, orphan: Orphan) -> None:
        blocks, text = orphan_report(orphan)
        channel = self._flow.channel_for(orphan.request.draft.target)
        self._client.chat_postMessage(channel=channel, blocks=blocks, text=text)

    def rotation_interrupted(self, request: TokenRequest) -> None:
        blocks, text = rotate_offer(request, notices.rotation_interrupted(request))
        self._client.chat_postMessage(channel=request.requester, blocks=blocks, text=text)
