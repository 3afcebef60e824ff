"""`create_app`: the Bolt app with its Web API client and every listener registered."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace

from slack_bolt import App, BoltResponse
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)

from bot.gitlab.read_memo import open_interaction_reads
from bot.observability.context import ContextExecutor
from bot.observability.slack import instrument_app
from bot.services.conversations import ConversationDeps
from bot.slack.errors import install_error_handler
from bot.slack.flow import ReminderFlow, RequestFlow
from bot.slack.hygiene_flow import HygieneFlow
from bot.slack.listeners import advisor, handoffs, home, links, messages
from bot.slack.listeners import breakglass as breakglass_listeners
from bot.slack.listeners import hygiene as hygiene_listeners
from bot.slack.listeners import job_token as job_token_listeners
from bot.slack.listeners import reminders as reminder_listeners
from bot.slack.listeners import requests as request_listeners
from bot.slack.work import WorkQueue

log = logging.getLogger(__name__)


def create_client(*, token: str, api_url: str) -> WebClient:
    """A Web API client on SLACK_API_URL that waits out 429s (honouring Retry-After)."""
    return WebClient(
        token=token,
        base_url=api_url,
        timeout=10,
        retry_handlers=[
            RateLimitErrorRetryHandler(max_retry_count=3),
            ConnectionErrorRetryHandler(max_retry_count=2),
        ],
    )


def _one_read_memo_per_interaction(next_: Callable[[], BoltResponse]) -> BoltResponse:
    """A global middleware: the interaction's GitLab reads, on any thread, share one memo.

    Not undone on the way out: Bolt runs the listener after the middleware has returned. Each
    request runs in a context of its own (server.py), and the listener and work pools copy
    the context, so the memo is the interaction's, before and after the ack.
    """
    open_interaction_reads()
    return next_()


def create_app(
    *,
    client: WebClient,
    signing_secret: str,
    deps: ConversationDeps,
    requests: RequestFlow | None = None,
    reminders: ReminderFlow | None = None,
    hygiene: HygieneFlow | None = None,
    listener_threads: int = 32,
    work: WorkQueue | None = None,
    app_class: type[App] = App,
) -> App:
    """Calls auth.test once (Bolt checks the token at construction), then registers listeners.

    Without a request flow (GitLab or the approvals channel not configured) the advisor still
    works and `/token request` says what is missing.
    """
    # Bolt runs each listener, ack included, on this pool: only acks and quick Slack-only
    # replies run here. Whatever waits on GitLab goes to `work` after the ack (after_ack.py),
    # so GitLab's latency or the request budget never holds a thread an ack needs (see
    # docs/architecture.md, "Acks and the work queue"). Both pools carry the request id.
    work = work or WorkQueue()
    app = app_class(  # a subclass in tests, to see what is registered
        client=client,
        signing_secret=signing_secret,
        process_before_response=True,  # answered at the ack all the same: acked_dispatch.py
        listener_executor=ContextExecutor(
            max_workers=listener_threads, thread_name_prefix="slack-listener"
        ),
    )
    instrument_app(app)  # request ids, one log line per interaction, Slack API error counts
    app.use(_one_read_memo_per_interaction)
    install_error_handler(app)  # a listener that fails acks at once, with a reference id
    links.register(app, requests.linking if requests is not None else None)
    if requests is not None and hygiene is not None:
        requests = replace(requests, home_findings=hygiene.own_findings)
    if requests is not None:
        request_listeners.register(app, requests, work)  # before the generic /token listener
        handoffs.register(app, requests, work)
        job_token_listeners.register(app, requests, work)
        breakglass_listeners.register(app, requests, work)
    findings = hygiene.own_findings if hygiene is not None else None
    home.register(app, deps, requests, work, findings)  # also before the generic /token one
    if reminders is not None:
        reminder_listeners.register(app, reminders, work)
    if hygiene is not None:
        hygiene_listeners.register(app, hygiene, work)
    advisor.register(app, deps, can_request=requests is not None)
    messages.register(app, deps)
    return app
