"""Prometheus metrics in tokenbot's own registry (never prometheus_client's global one).

Two kinds:

- Counted by this process as things happen: provisioning latency and failures, GitLab and
  Slack API errors. Each replica counts its own; Prometheus sums them (`sum(rate(...))`).
- Read from the database at scrape time (`DatabaseCollector`): requests by state, tracked
  tokens by days to expiry, reminders posted. Every replica reports the same database-wide
  numbers, so aggregate them with `max`, not `sum`.

`process_metrics()` is the process's one set; the Slack front end and `start_metrics` report
to it. Tests make their own `Metrics()`.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from wsgiref.simple_server import WSGIServer

import sqlalchemy as sa
from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import col

from bot.db.tables import ReminderPostRow, TokenRequestRow, TrackedTokenRow
from bot.domain.expiry import days_left
from bot.domain.reminders import TrackedStatus
from bot.domain.requests import RequestState
from bot.gitlab.http import observe_outcomes

log = logging.getLogger(__name__)

PROVISIONING_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
EXPIRY_BUCKETS = ("expired", "0-1", "2-7", "8-30", "31-90", ">90", "never")
_LABEL_VALUE = re.compile(r"[^A-Za-z0-9_.\-]")


class Metrics:
    """The metrics this process counts, in a registry of their own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.provisioning_seconds = Histogram(
            "tokenbot_provisioning_seconds",
            "Time from claiming an approved request to the token existing (or failing),"
            " by outcome: provisioned or failed.",
            ["outcome"],
            buckets=PROVISIONING_BUCKETS,
            registry=self.registry,
        )
        self.provisioning_failures = Counter(
            "tokenbot_provisioning_failures",
            "Approved requests whose token GitLab did not create (the request is failed).",
            registry=self.registry,
        )
        self.gitlab_api_errors = Counter(
            "tokenbot_gitlab_api_errors",
            "GitLab API requests that ended in an error after retries, by HTTP status"
            " (or timeout, connection_error).",
            ["status"],
            registry=self.registry,
        )
        self.slack_api_errors = Counter(
            "tokenbot_slack_api_errors",
            "Slack Web API calls that ended in an error after retries, by method and Slack's"
            " error code (http_NNN without one, the exception's name when there was no answer).",
            ["method", "error"],
            registry=self.registry,
        )
        for outcome in ("provisioned", "failed"):
            self.provisioning_seconds.labels(outcome)

    def record_provisioning(self, created: bool, seconds: float) -> None:
        """The provisioning port's observer: one attempt, its outcome and duration."""
        self.provisioning_seconds.labels("provisioned" if created else "failed").observe(seconds)
        if not created:
            self.provisioning_failures.inc()

    def gitlab_outcome(self, _method: str, outcome: str) -> None:
        """The GitLab adapter's observer: counts the outcomes that are errors."""
        if not outcome.isdigit() or int(outcome) >= 400:
            self.gitlab_api_errors.labels(_label(outcome)).inc()

    def slack_error(self, method: str, error: str) -> None:
        self.slack_api_errors.labels(_label(method), _label(error)).inc()


def _label(value: str) -> str:
    """A bounded, printable label value (Slack error codes and method names already are)."""
    return _LABEL_VALUE.sub("_", value)[:64] or "unknown"


@functools.cache
def process_metrics() -> Metrics:
    """The metrics of this process: one registry, whoever reports or serves them."""
    return Metrics()


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What the database says at one scrape."""

    requests: dict[str, int]
    tracked: dict[tuple[str, bool], int]  # (days-to-expiry bucket, owned) -> tokens
    reminders: dict[int, int]  # level (days before expiry, 0: expiry day) -> posted


def expiry_bucket(expires_on: date | None, today: date) -> str:
    """`expired`, `0-1` ... `>90`, or `never`, by whole UTC days left (as reminders count).

    A token stops working at 00:00 UTC on its expiry date: one expiring tomorrow has 1 day
    left (the rest of today) and is in `0-1`; one expiring today is `expired`.
    """
    left = days_left(expires_on, today)
    if left is None:
        return "never"
    if left <= 0:
        return "expired"
    for upper, bucket in ((1, "0-1"), (7, "2-7"), (30, "8-30"), (90, "31-90")):
        if left <= upper:
            return bucket
    return ">90"


def read_snapshot(engine: Engine, today: date, *, timeout_ms: int = 2000) -> Snapshot:
    """Three grouped counts in one short read-only transaction."""
    state = col(TokenRequestRow.state)
    expires = col(TrackedTokenRow.expires_on)
    owned = col(TrackedTokenRow.owner).is_not(None).label("owned")
    level = col(ReminderPostRow.level)
    count = sa.func.count()
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text(f"SET LOCAL statement_timeout = {int(timeout_ms)}"))
        requests = {
            str(s): int(n) for s, n in conn.execute(sa.select(state, count).group_by(state))
        }
        tracked: dict[tuple[str, bool], int] = {}
        rows = conn.execute(
            sa.select(expires, owned, count)
            .where(col(TrackedTokenRow.status) == TrackedStatus.ACTIVE.value)
            .group_by(expires, owned)
        )
        for expires_on, is_owned, n in rows:
            key = (expiry_bucket(expires_on, today), bool(is_owned))
            tracked[key] = tracked.get(key, 0) + int(n)
        reminders = {
            int(lv): int(n)
            for lv, n in conn.execute(
                sa.select(level, count)
                .where(col(ReminderPostRow.state) == "posted")
                .group_by(level)
            )
        }
        conn.rollback()
    return Snapshot(requests, tracked, reminders)


def utc_now() -> datetime:
    return datetime.now(UTC)


class DatabaseCollector:
    """Gauges read from the database at each scrape, so every replica reports the same truth.

    `tokenbot_reminders_posted_total` is a counter family although it is read, not counted:
    posted reminders are never deleted (only unposted claims are given back), so the count
    only grows, and `rate()` / `increase()` work on it across restarts and replicas.
    """

    def __init__(
        self,
        engine: Engine,
        clock: Callable[[], datetime] = utc_now,
        *,
        timeout_ms: int = 2000,
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._timeout_ms = timeout_ms

    def describe(self) -> Iterable[Metric]:
        return list(self._families(None, describing=True))

    def collect(self) -> Iterable[Metric]:
        try:
            snapshot = read_snapshot(
                self._engine, self._clock().astimezone(UTC).date(), timeout_ms=self._timeout_ms
            )
        except SQLAlchemyError as exc:
            log.warning("metrics: the database did not answer: %s", exc.__class__.__name__)
            snapshot = None
        return list(self._families(snapshot))

    def _families(self, snapshot: Snapshot | None, *, describing: bool = False) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "tokenbot_database_up",
            "1 when this scrape could read the database (the tokenbot_requests,"
            " tokenbot_tracked_tokens and tokenbot_reminders_posted families need it).",
        )
        requests = GaugeMetricFamily(
            "tokenbot_requests", "Token requests in the database, by state.", labels=["state"]
        )
        tracked = GaugeMetricFamily(
            "tokenbot_tracked_tokens",
            "Active credentials in the watched groups, by whole UTC days to expiry"
            " (expired, 0-1, 2-7, 8-30, 31-90, >90, never) and whether someone owns them.",
            labels=["days_to_expiry", "owned"],
        )
        reminders = CounterMetricFamily(
            "tokenbot_reminders_posted",
            "Expiry reminders posted to Slack, by level (days before expiry; 0: the expiry"
            " day or the expired notice). Read from the database: the same on every replica.",
            labels=["level"],
        )
        if snapshot is not None:
            up.add_metric([], 1)
            states = [s.value for s in RequestState] + sorted(
                set(snapshot.requests) - {s.value for s in RequestState}
            )
            for state in states:
                requests.add_metric([state], snapshot.requests.get(state, 0))
            for bucket in EXPIRY_BUCKETS:
                for is_owned in (True, False):
                    count = snapshot.tracked.get((bucket, is_owned), 0)
                    tracked.add_metric([bucket, str(is_owned).lower()], count)
            for level_, count in sorted(snapshot.reminders.items()):
                reminders.add_metric([str(level_)], count)
        elif not describing:
            up.add_metric([], 0)
        yield up
        yield requests
        yield tracked
        yield reminders


@dataclass
class MetricsService:
    """What `start_metrics` set up; `close()` undoes it."""

    metrics: Metrics
    app_registry: CollectorRegistry | None  # serve at /metrics of the Slack HTTP server
    url: str | None = None  # of the separate metrics server, when TOKENBOT_METRICS_PORT is set
    _undo: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        while self._undo:
            self._undo.pop()()


def start_metrics(
    *,
    engine: Engine,
    clock: Callable[[], datetime] = utc_now,
    port: int | None = None,
    host: str = "0.0.0.0",  # noqa: S104 - a server's metrics are scraped from elsewhere
    socket_mode: bool = False,
    metrics: Metrics | None = None,
) -> MetricsService:
    """Everything `tokenbot run` needs for metrics, in one call.

    Registers the database collector, counts GitLab API errors, and with `port` serves
    `/metrics` on a server of its own (port 0: any free port). Without `port`, HTTP mode
    serves them at `/metrics` beside Slack's endpoint (pass `app_registry` to `wsgi_app`)
    and Socket Mode does not serve them at all.
    """
    metrics = metrics or process_metrics()
    collector = DatabaseCollector(engine, clock)
    metrics.registry.register(collector)
    service = MetricsService(metrics, metrics.registry if port is None else None)
    service._undo.append(lambda: metrics.registry.unregister(collector))
    service._undo.append(observe_outcomes(metrics.gitlab_outcome))
    if port is not None:
        server, thread = start_http_server(port, addr=host, registry=metrics.registry)
        service.url = f"http://{host}:{server.server_address[1]}/metrics"
        service._undo.append(lambda: _stop_server(server, thread))
        log.info("metrics served on %s", service.url)
    elif socket_mode:
        log.info(
            "metrics are not served: Socket Mode has no HTTP server; set TOKENBOT_METRICS_PORT"
        )
    return service


def _stop_server(server: WSGIServer, thread: threading.Thread) -> None:
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
