"""Putting a request before the people who may approve it, in Slack, whichever front end it
came from: the card that names them, a direct message to each with Approve and Deny (the
card's own buttons: the same listeners, the same gate), reminders and escalation, and the
card and messages redrawn after every decision."""

from __future__ import annotations

import logging
from datetime import timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain.approval_notices import SUBTEAM_PREFIX, Nudge, Surface
from bot.domain.requests import MessageRef, RequestState, TokenRequest
from bot.services.approval_nudges import (
    messages_of,
    notice_of,
    record_announcement,
    record_message,
)
from bot.services.approvers import Roster, known_people, roster
from bot.services.gitlab_errors import GitLabError
from bot.services.request_notices import Announced
from bot.services.token_requests import attach_card, withdraw_request
from bot.slack import text as t
from bot.slack.blocks import approvals as b
from bot.slack.blocks.requests import approval_card
from bot.slack.flow import RequestFlow

log = logging.getLogger(__name__)
_SLACK_FAILURES = (SlackApiError, ValueError, OSError)


class SlackApprovals:
    def __init__(self, client: WebClient, flow: RequestFlow) -> None:
        self._client = client
        self._flow = flow

    # ------------------------------------------------------------------ announcing
    def announce(self, request: TokenRequest, *, surface: Surface = Surface.SLACK) -> Announced:
        """The card in the approvals channel, naming who may approve, and their messages."""
        found = self._roster(request)
        asked = self._asked(request, found)
        channel = self._post_card(request, b.asked_line(asked))
        if channel is None:
            return Announced(None)
        requester_chat = self.requester_chat_of(request, surface)
        record_announcement(
            request.id,
            surface=surface,
            requester_chat=requester_chat,
            asked=asked,
            uow=self._flow.deps.uow,
        )
        if found is None:
            return Announced(channel)
        for approver in found.approvers:
            self._ask(request, approver, b.ask_lead(request))
        fallback = self._ask_fallback(request, found, nobody=True) if found.nobody else ()
        return Announced(channel, found.approvers, found.nobody, fallback, found.role)

    def _roster(self, request: TokenRequest) -> Roster | None:
        """Who may approve, decided by the gate; None when GitLab cannot tell now."""
        flow = self._flow
        try:
            people = known_people(
                uow=flow.deps.uow,
                gitlab=flow.deps.gitlab,
                user_map=flow.user_map,
                is_chat_id=t.is_user_id,
            )
            return roster(request, people, gate=flow.deps.gate, fallback=flow.fallback_approvers)
        except GitLabError as exc:
            log.warning("approvers of request %s not resolved: %s", request.id, exc)
            return None

    def _asked(self, request: TokenRequest, found: Roster | None) -> list[str]:
        asked = list(found.approvers) if found is not None else []
        group = self._flow.approver_group(request.draft.target)
        if group is not None:
            asked.append(SUBTEAM_PREFIX + group)
        if found is not None and found.nobody:
            asked += found.fallback
        return asked

    def _post_card(self, request: TokenRequest, asked: str) -> str | None:
        """Post the card; None when it failed and the request was withdrawn (a request
        without a card could only expire, blocking a resubmit)."""
        flow = self._flow
        channel = flow.channel_for(request.draft.target)
        try:
            blocks, text = approval_card(request, asked)
            posted = self._client.chat_postMessage(channel=channel, blocks=blocks, text=text)
        except _SLACK_FAILURES as exc:
            log.error("the approval card of request %s was not posted: %s", request.id, exc)
            withdraw_request(request.id, "the approval card could not be posted", deps=flow.deps)
            return None
        where = MessageRef(str(posted["channel"]), str(posted["ts"]))
        attach_card(request.id, where, deps=flow.deps)
        return channel

    def _ask(self, request: TokenRequest, approver: str, lead: str) -> None:
        blocks, text = b.approver_message(request, lead)
        try:
            posted = self._client.chat_postMessage(channel=approver, blocks=blocks, text=text)
        except _SLACK_FAILURES as exc:
            log.warning("approver %s was not told about request %s: %s", approver, request.id, exc)
            return
        where = MessageRef(str(posted["channel"]), str(posted["ts"]))
        record_message(request.id, approver, where, uow=self._flow.deps.uow)

    def _ask_fallback(
        self, request: TokenRequest, found: Roster, *, nobody: bool
    ) -> tuple[str, ...]:
        """Ask the fallback approvers the gate lets approve; tell the others whom to ask."""
        for approver in found.fallback:
            self._ask(request, approver, b.fallback_lead(request, nobody))
        for refusal in found.refused:
            self._say(refusal.chat_id, b.refused_fallback(request, refusal.reason, found.role))
        return found.fallback

    def _say(self, channel: str, markup: str) -> None:
        try:
            self._client.chat_postMessage(channel=channel, text=markup)
        except _SLACK_FAILURES as exc:
            log.warning("a message to %s was not posted: %s", channel, exc)

    # ------------------------------------------------------------------ the requester
    def requester_chat_of(self, request: TokenRequest, surface: Surface) -> str | None:
        """The requester's Slack user: themself, or for a shell request the Slack user
        linked to the same GitLab user (None if there is none)."""
        if surface is Surface.SLACK:
            return request.requester
        flow = self._flow
        try:
            people = known_people(
                uow=flow.deps.uow,
                gitlab=flow.deps.gitlab,
                user_map=flow.user_map,
                is_chat_id=t.is_user_id,
            )
        except GitLabError:
            return None
        return next((p.chat_id for p in people if p.gitlab_id == request.requester_gitlab_id), None)

    def requester(self, request: TokenRequest) -> tuple[str | None, bool]:
        """Where the requester hears in Slack, and whether they asked in the shell."""
        notice = notice_of(request.id, uow=self._flow.deps.uow)
        if notice is None or notice.surface is Surface.SLACK:
            return request.requester, False
        return notice.requester_chat, True

    def tell_requester(self, request: TokenRequest, markup: str) -> None:
        """A note to the requester in Slack (a shell requester's linked Slack user)."""
        channel, in_shell = self.requester(request)
        if channel is not None:
            self._say(channel, b.shell_decided(request, markup) if in_shell else markup)

    # ------------------------------------------------------------------ after a change
    def redraw(self, request: TokenRequest) -> None:
        """Show the request as it stands on its card and in every approver's message."""
        notice = notice_of(request.id, uow=self._flow.deps.uow)
        asked = b.asked_line(notice.asked) if notice is not None else ""
        if request.card is not None:
            blocks, text = approval_card(request, asked)
            self._update(request.card, blocks, text)
        lead = (
            b.ask_lead(request)
            if request.state is RequestState.PENDING
            else b.decided_lead(request)
        )
        for approver, where in messages_of(request.id, uow=self._flow.deps.uow).items():
            blocks, text = b.approver_message(request, lead)
            self._update(where, blocks, text, who=approver)

    def _update(
        self, where: MessageRef, blocks: list[dict[str, object]], text: str, who: str = ""
    ) -> None:
        try:
            self._client.chat_update(channel=where.channel, ts=where.ts, blocks=blocks, text=text)
        except _SLACK_FAILURES as exc:
            log.warning("a request message %s %s was not updated: %s", who, where.ts, exc)

    # ------------------------------------------------------------------ chasing
    def nudge(self, request: TokenRequest, nudge: Nudge) -> None:
        """A reminder to those who have not acted, or escalation to the fallback approvers."""
        found = self._roster(request)
        waited = self._flow.deps.clock() - request.created_at
        if nudge is Nudge.REMINDER:
            acted = {a.approver for a in request.approvals}
            for approver in found.approvers if found is not None else ():
                if approver not in acted:
                    self._ask(request, approver, b.reminder_lead(request, waited))
            return
        fallback = self._flow.fallback_approvers
        if request.card is not None:
            self._post_in_thread(request.card, b.escalation(request, fallback, waited))
        if found is not None:
            self._ask_fallback(request, found, nobody=found.nobody)

    def _post_in_thread(self, card: MessageRef, markup: str) -> None:
        try:
            self._client.chat_postMessage(
                channel=card.channel, thread_ts=card.ts, reply_broadcast=True, text=markup
            )
        except _SLACK_FAILURES as exc:
            log.warning("escalation under card %s was not posted: %s", card.ts, exc)


def reminder_after(flow: RequestFlow) -> timedelta:
    return timedelta(hours=flow.reminder_hours)
