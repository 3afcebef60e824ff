"""The Home tab, `/token mine` and `/token pending`: what is mine and what waits for me."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.services.conversations import ConversationDeps
from bot.services.gitlab_errors import GitLabError
from bot.services.identity import IdentityError, NotLinkedError
from bot.services.token_requests import requests_of, waiting_for
from bot.slack import ids
from bot.slack.after_ack import BUSY, after_ack, queue
from bot.slack.blocks import notices
from bot.slack.blocks.home import home_view, mine_message, pending_message
from bot.slack.flow import Findings, RequestFlow, known_person, person
from bot.slack.identity import link_url
from bot.slack.listeners.advisor import begin_advice
from bot.slack.parse import MalformedPayload, subcommand, user_id
from bot.slack.work import Job, WorkQueue

log = logging.getLogger(__name__)


def publish_home(
    flow: RequestFlow | None,
    client: WebClient,
    user: str,
    *,
    today: date | None = None,
    job: Job | None = None,
    findings: Findings | None = None,
) -> None:
    """Build and publish one person's Home tab from the database and live GitLab.

    With `job` (on the work queue) the last publish goes through it, so a "still asking
    GitLab" view published meanwhile can never replace the finished one.
    """
    if findings is None and flow is not None:
        findings = flow.home_findings  # a redraw after a click shows them too
    mine, total = findings(user) if findings is not None else (None, None)
    if flow is None:
        day = today or datetime.now(UTC).date()
        view = home_view(
            requests=(),
            waiting=(),
            today=day,
            can_request=False,
            findings=mine,
            findings_total=total,
        )
        client.views_publish(user_id=user, view=view)
        return
    waiting: list[Any] | str
    link = None
    try:
        waiting = waiting_for(known_person(flow, client, user), deps=flow.deps)
    except NotLinkedError as exc:
        waiting = str(exc)
        link = _link_for(flow, client, user, exc)
    except IdentityError as exc:
        waiting = str(exc)
    except GitLabError as exc:
        waiting = f"GitLab could not be asked just now: {exc}"
    view = home_view(
        requests=requests_of(user, deps=flow.deps),
        waiting=waiting,
        today=flow.today(),
        link_url=link,
        findings=mine,
        findings_total=total,
    )
    if job is None:
        client.views_publish(user_id=user, view=view)
    else:
        job.finish(lambda: client.views_publish(user_id=user, view=view))


class HomeNotices:
    """While the Home tab waits for GitLab, it says so (from the database, no GitLab)."""

    def __init__(self, flow: RequestFlow, client: WebClient, user: str) -> None:
        self._flow, self._client, self._user = flow, client, user

    def busy(self) -> None:
        self._publish(f"{BUSY} (Open the Home tab again to retry.)")

    def still_working(self) -> None:
        self._publish("Still asking GitLab what waits for you; this tab updates when it answers.")

    def _publish(self, words: str) -> None:
        flow = self._flow
        view = home_view(
            requests=requests_of(self._user, deps=flow.deps), waiting=words, today=flow.today()
        )
        self._client.views_publish(user_id=self._user, view=view)


def _link_for(flow: RequestFlow, client: WebClient, user: str, exc: NotLinkedError) -> str | None:
    """A fresh sign-in URL for the link button, when GitLab sign-in can help this person."""
    if flow.linking is None or not exc.can_link:
        return None
    return link_url(client, user, flow.linking)


def register(
    app: App,
    deps: ConversationDeps,
    flow: RequestFlow | None,
    work: WorkQueue,
    findings: Findings | None = None,
) -> None:
    """`findings`: the Home tab shows the person's own hygiene findings (with their buttons)."""

    @app.event("app_home_opened")
    def handle_home_opened(ack: Ack, event: Mapping[str, Any], client: WebClient) -> None:
        ack()  # at once: Bolt would ack the event only when this returns (acked_dispatch.py)
        if event.get("tab") != "home":
            return
        user = str(event["user"])
        if flow is None:  # nothing to ask GitLab
            day = deps.clock().astimezone(UTC).date()
            publish_home(None, client, user, today=day, findings=findings)
            return
        work.submit(
            lambda job: publish_home(flow, client, user, job=job, findings=findings),
            HomeNotices(flow, client, user),
        )

    @app.action(ids.HOME_ADVISE)
    def handle_home_advise(ack: Ack, body: Mapping[str, Any], client: WebClient) -> None:
        ack()
        user = user_id(body)
        channel = client.conversations_open(users=user)["channel"]["id"]
        begin_advice(
            client,
            deps,
            team_id=str((body.get("team") or {}).get("id") or ""),
            channel=str(channel),
            owner=user,
        )

    if flow is None:
        return

    @app.command(ids.COMMAND, matchers=[lambda command: subcommand(command) == "mine"])
    def handle_mine(
        ack: Ack, command: Mapping[str, Any], client: WebClient, context: BoltContext
    ) -> None:
        user = str(command["user_id"])
        if flow.linking is None:
            blocks, text = mine_message(requests_of(user, deps=flow.deps), flow.today())
            ack(text=text, blocks=blocks)
            return
        ack()  # who this is may take a look-up in Slack and GitLab: answer after the ack
        queue(work, _mine_after_ack, command, client, context)

    def _mine_after_ack(
        command: Mapping[str, Any], client: WebClient, context: BoltContext
    ) -> None:
        user = str(command["user_id"])
        link = None
        try:
            known_person(flow, client, user)
        except NotLinkedError as exc:
            link = _link_for(flow, client, user, exc)
        except (IdentityError, GitLabError):
            link = None  # the list is still theirs; who they are matters only to act
        mine = requests_of(user, deps=flow.deps)
        blocks, text = mine_message(mine, flow.today(), link_url=link)
        _respond(context)(text=text, blocks=blocks)

    @app.command(ids.COMMAND, matchers=[lambda command: subcommand(command) == "pending"])
    @after_ack(work)  # asking GitLab who may decide can take longer than Slack waits
    def handle_pending(command: Mapping[str, Any], client: WebClient, context: BoltContext) -> None:
        respond = _respond(context)
        try:
            waiting = waiting_for(person(flow, client, str(command["user_id"])), deps=flow.deps)
        except (IdentityError, GitLabError) as exc:
            respond(text=notices.said(f"I cannot tell what waits for you: {exc}"))
            return
        blocks, text = pending_message(waiting)
        respond(text=text, blocks=blocks)


def _respond(context: BoltContext) -> Respond:
    respond = context.respond
    if respond is None:  # a command always carries a response_url
        raise MalformedPayload("a command without a response_url")
    return respond
