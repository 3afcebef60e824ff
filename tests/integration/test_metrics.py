"""Metrics: the database collector on a real database, `/metrics`, and the API error counts.

GitLab errors are counted through real python-gitlab calls to the GitLab simulator, Slack
errors through real Web API calls to the Slack recorder.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from wsgiref.util import setup_testing_defaults

import gitlab
import pytest
import requests
import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families
from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.db.tables import ReminderPostRow, TrackedTokenRow
from bot.db.unit_of_work import SqlUnitOfWork
from bot.domain.requests import Delivery, RequestDraft, RequestState, TokenRequest
from bot.domain.tokens import AccessLevel, Scope, TokenType
from bot.gitlab.client import ClientOptions, build_client
from bot.gitlab.http import RetryPolicy
from bot.observability.metrics import (
    DatabaseCollector,
    Metrics,
    MetricsService,
    expiry_bucket,
    start_metrics,
)
from bot.observability.slack import instrument_app
from bot.sandbox import AccessLevel as GitLabRole
from bot.sandbox import GitlabSimulator, SandboxServer, add_personal_token
from bot.slack.app import create_client
from bot.slack.server import wsgi_app
from tests.support.slack_api import SlackRecorder

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
TODAY = NOW.date()
FAST = RetryPolicy(total_seconds=1.0, max_attempts=2, first_backoff=0.01, max_backoff=0.02)


def _clock() -> datetime:
    return NOW


@pytest.fixture
def metrics() -> Metrics:
    return Metrics()


@pytest.fixture
def service(db: Engine, metrics: Metrics) -> Iterator[MetricsService]:
    started = start_metrics(engine=db, clock=_clock, metrics=metrics)
    yield started
    started.close()


def value(metrics: Metrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, labels)


def _request(request_id: str, state: RequestState) -> TokenRequest:
    draft = RequestDraft(
        TokenType.PROJECT_ACCESS_TOKEN,
        "acme/api",
        f"token-{request_id}",
        (Scope.READ_API,),
        AccessLevel.REPORTER,
        TODAY + timedelta(days=30),
        "release notes",
        Delivery.REVEAL,
    )
    return TokenRequest(request_id, "U0ADA", 11, draft, state, NOW, NOW + timedelta(days=7), 1, ())


def _tracked(
    key: str, expires_on: date | None, *, owner: str | None, status: str = "active"
) -> TrackedTokenRow:
    return TrackedTokenRow(
        key=key,
        token_type="project_access_token",
        gitlab_id=int(key.rsplit(":", 1)[-1]),
        name=key,
        place_key="project:1",
        namespace_kind="project",
        namespace_id=1,
        namespace_path="acme/api",
        scopes=["read_api"],
        expires_on=expires_on,
        status=status,
        owner=owner,
        first_seen_at=NOW,
        updated_at=NOW,
    )


def _posted(key: str, level: int, state: str = "posted") -> ReminderPostRow:
    return ReminderPostRow(
        token_key=key,
        expires_on=TODAY + timedelta(days=level),
        level=level,
        state=state,
        claimed_at=NOW,
    )


def _fill(db: Engine) -> None:
    states = [
        RequestState.PENDING,
        RequestState.PENDING,
        RequestState.PROVISIONED,
        RequestState.FAILED,
    ]
    with SqlUnitOfWork(db) as uow:
        for n, state in enumerate(states):
            uow.requests.add(_request(f"r{n}", state))
        uow.commit()

    def days(n: int) -> date:
        return TODAY + timedelta(days=n)

    with Session(db) as session:
        session.add_all(
            [
                _tracked("pat:1", days(-3), owner=None),  # expired
                _tracked("pat:2", TODAY, owner="U0ADA"),  # expires today: expired
                _tracked("pat:3", days(1), owner=None),  # 0-1
                _tracked("pat:4", days(5), owner=None),  # 2-7
                _tracked("pat:5", days(7), owner="U0ADA"),  # 2-7
                _tracked("pat:6", days(8), owner=None),  # 8-30
                _tracked("pat:7", days(90), owner="U0BEN"),  # 31-90
                _tracked("pat:8", days(400), owner=None),  # >90
                _tracked("pat:9", None, owner=None),  # never
                _tracked("pat:10", days(3), owner=None, status="revoked"),  # not counted
                _tracked("pat:11", days(3), owner=None, status="gone"),  # not counted
                _posted("pat:3", 1),
                _posted("pat:4", 7),
                _posted("pat:5", 7),
                _posted("pat:6", 30, state="claimed"),  # not posted (yet)
            ]
        )
        session.commit()


def test_the_collector_reads_requests_tokens_and_reminders_from_the_database(
    db: Engine, metrics: Metrics, service: MetricsService
) -> None:
    _fill(db)
    assert value(metrics, "tokenbot_database_up") == 1
    assert value(metrics, "tokenbot_requests", state="pending") == 2
    assert value(metrics, "tokenbot_requests", state="provisioned") == 1
    assert value(metrics, "tokenbot_requests", state="failed") == 1
    assert value(metrics, "tokenbot_requests", state="approved") == 0  # every state, even at 0

    def tracked(bucket: str, owned: bool) -> float | None:
        return value(
            metrics, "tokenbot_tracked_tokens", days_to_expiry=bucket, owned=str(owned).lower()
        )

    assert tracked("expired", owned=False) == 1
    assert tracked("expired", owned=True) == 1
    assert tracked("0-1", owned=False) == 1
    assert tracked("2-7", owned=False) == 1
    assert tracked("2-7", owned=True) == 1
    assert tracked("8-30", owned=False) == 1
    assert tracked("31-90", owned=True) == 1
    assert tracked(">90", owned=False) == 1
    assert tracked("never", owned=False) == 1
    assert tracked("31-90", owned=False) == 0
    assert value(metrics, "tokenbot_reminders_posted_total", level="7") == 2
    assert value(metrics, "tokenbot_reminders_posted_total", level="1") == 1
    assert value(metrics, "tokenbot_reminders_posted_total", level="30") is None  # only claimed


def test_an_empty_database_reports_zeros(metrics: Metrics, service: MetricsService) -> None:
    assert value(metrics, "tokenbot_requests", state="pending") == 0
    assert value(metrics, "tokenbot_tracked_tokens", days_to_expiry="2-7", owned="false") == 0


def test_a_database_that_does_not_answer_is_reported_not_raised(tmp_path: Path) -> None:
    broken = sa.create_engine(f"sqlite:///{tmp_path / 'no-such-dir' / 'tokenbot.db'}")
    metrics = Metrics()
    metrics.registry.register(DatabaseCollector(broken, _clock))
    assert value(metrics, "tokenbot_database_up") == 0
    assert value(metrics, "tokenbot_requests", state="pending") is None
    assert value(metrics, "tokenbot_provisioning_failures_total") == 0  # the rest still works


@pytest.mark.parametrize(
    ("days", "bucket"),
    [
        *[(None, "never"), (-1, "expired"), (0, "expired"), (1, "0-1"), (2, "2-7"), (7, "2-7")],
        *[(8, "8-30"), (30, "8-30"), (31, "31-90"), (90, "31-90"), (91, ">90")],
    ],
)
def test_expiry_buckets(days: int | None, bucket: str) -> None:
    expires = None if days is None else TODAY + timedelta(days=days)
    assert expiry_bucket(expires, TODAY) == bucket


def test_provisioning_outcomes_and_durations_are_recorded(metrics: Metrics) -> None:
    metrics.record_provisioning(True, 0.4)
    metrics.record_provisioning(True, 3.0)
    metrics.record_provisioning(False, 12.0)
    count = "tokenbot_provisioning_seconds_count"
    assert value(metrics, count, outcome="provisioned") == 2
    assert value(metrics, count, outcome="failed") == 1
    assert (
        value(metrics, "tokenbot_provisioning_seconds_bucket", outcome="provisioned", le="0.5") == 1
    )
    assert value(metrics, "tokenbot_provisioning_failures_total") == 1


# ---------------------------------------------------------------- /metrics over HTTP


@pytest.fixture
def slack() -> Iterator[SlackRecorder]:
    with SlackRecorder() as recorder:
        yield recorder


@pytest.fixture
def app(slack: SlackRecorder, metrics: Metrics) -> App:
    bolt = App(client=create_client(token="xoxb-test", api_url=slack.url), signing_secret="s")
    instrument_app(bolt, metrics)
    return bolt


def _get(application: Callable[..., Any], path: str) -> tuple[str, str]:
    environ: dict[str, Any] = {"PATH_INFO": path, "REQUEST_METHOD": "GET"}
    setup_testing_defaults(environ)
    environ["wsgi.input"] = io.BytesIO()
    status: list[str] = []
    body = b"".join(application(environ, lambda s, _h, _e=None: status.append(s)))
    return status[0], body.decode()


FAMILIES = {
    "tokenbot_database_up",
    "tokenbot_requests",
    "tokenbot_tracked_tokens",
    "tokenbot_reminders_posted",
    "tokenbot_provisioning_seconds",
    "tokenbot_provisioning_failures",
    "tokenbot_gitlab_api_errors",
    "tokenbot_slack_api_errors",
}


def test_metrics_are_served_beside_slacks_endpoint(
    app: App, metrics: Metrics, service: MetricsService, db: Engine
) -> None:
    _fill(db)
    assert service.app_registry is metrics.registry
    application = wsgi_app(app, ready=lambda: True, metrics=service.app_registry)
    status, text = _get(application, "/metrics")
    assert status.startswith("200")
    families = {f.name: f for f in text_string_to_metric_families(text)}
    assert set(families) >= FAMILIES
    pending = [s for s in families["tokenbot_requests"].samples if s.labels["state"] == "pending"]
    assert pending[0].value == 2
    assert not {n for n in families if not n.startswith("tokenbot_")}  # only tokenbot's registry
    assert _get(application, "/healthz") == ("200 OK", "ok\n")


def test_without_a_registry_there_is_no_metrics_endpoint(app: App) -> None:
    status, _ = _get(wsgi_app(app, ready=lambda: True), "/metrics")
    assert status.startswith("404")


def test_a_metrics_port_serves_them_on_a_server_of_their_own(db: Engine) -> None:
    metrics = Metrics()
    started = start_metrics(engine=db, clock=_clock, port=0, host="127.0.0.1", metrics=metrics)
    try:
        assert started.app_registry is None  # not beside Slack's endpoint as well
        assert started.url is not None
        text = requests.get(started.url, timeout=5).text
        assert {f.name for f in text_string_to_metric_families(text)} >= FAMILIES
    finally:
        started.close()
    with pytest.raises(requests.ConnectionError):
        requests.get(started.url, timeout=2)


# ---------------------------------------------------------------- API errors


@pytest.fixture
def gitlab_url() -> Iterator[tuple[str, str]]:
    sim = GitlabSimulator()
    ada = sim.state.add_user("ada", name="Ada")
    acme = sim.state.add_group("acme")
    sim.state.add_project("api", group=acme)
    sim.state.add_member(ada, acme, GitLabRole.MAINTAINER)
    _, token = add_personal_token(sim.state, ada, scopes=("api",), expires_at=TODAY + timedelta(60))
    with SandboxServer(sim) as server:
        yield server.url, token


def test_a_gitlab_404_is_counted_by_status(
    gitlab_url: tuple[str, str], metrics: Metrics, service: MetricsService
) -> None:
    url, token = gitlab_url
    client, _ = build_client(ClientOptions(url, token, retry=FAST))
    client.projects.get("acme/api")  # found: not an error
    with pytest.raises(gitlab.GitlabGetError):
        client.projects.get("acme/nothing-here")
    assert value(metrics, "tokenbot_gitlab_api_errors_total", status="404") == 1
    assert value(metrics, "tokenbot_gitlab_api_errors_total", status="200") is None
    service.close()  # stops observing
    with pytest.raises(gitlab.GitlabGetError):
        client.projects.get("acme/nothing-here")
    assert value(metrics, "tokenbot_gitlab_api_errors_total", status="404") == 1


def test_a_gitlab_that_cannot_be_reached_is_counted_once_after_retries(
    metrics: Metrics, service: MetricsService
) -> None:
    client, _ = build_client(ClientOptions("http://127.0.0.1:9", "glpat-unused", retry=FAST))
    with pytest.raises(requests.ConnectionError):
        client.projects.get("acme/api")
    assert value(metrics, "tokenbot_gitlab_api_errors_total", status="connection_error") == 1


def test_slack_errors_are_counted_by_method_and_error(
    app: App, slack: SlackRecorder, metrics: Metrics
) -> None:
    slack.fail_next("chat.postMessage", error="channel_not_found")
    with pytest.raises(SlackApiError):
        app.client.chat_postMessage(channel="C0NOWHERE", text="hi")
    app.client.chat_postMessage(channel="C0GENERAL", text="hi")  # fine: not counted
    errors = "tokenbot_slack_api_errors_total"
    assert value(metrics, errors, method="chat.postMessage", error="channel_not_found") == 1
    # Bolt hands each listener a client with a copy of the app client's retry handlers.
    per_request = WebClient(
        token="xoxb-test",
        base_url=app.client.base_url,
        retry_handlers=app.client.retry_handlers.copy(),
    )
    slack.fail_next("views.open", status=500, error="fatal")
    with pytest.raises(SlackApiError):
        per_request.views_open(trigger_id="1.2.3", view={"type": "modal"})
    assert value(metrics, errors, method="views.open", error="fatal") == 1


def test_a_rate_limit_waited_out_is_not_an_error(
    app: App, slack: SlackRecorder, metrics: Metrics
) -> None:
    slack.fail_next("chat.postMessage", status=429, retry_after=0)
    app.client.chat_postMessage(channel="C0GENERAL", text="hi")
    assert len(slack.calls_to("chat.postMessage")) == 2
    assert (
        value(
            metrics,
            "tokenbot_slack_api_errors_total",
            method="chat.postMessage",
            error="ratelimited",
        )
        is None
    )


def test_instrumenting_twice_counts_once(app: App, slack: SlackRecorder, metrics: Metrics) -> None:
    instrument_app(app, metrics)
    slack.fail_next("chat.update", error="message_not_found")
    with pytest.raises(SlackApiError):
        app.client.chat_update(channel="C0GENERAL", ts="1.2", text="hi")
    assert (
        value(
            metrics,
            "tokenbot_slack_api_errors_total",
            method="chat.update",
            error="message_not_found",
        )
        == 1
    )
