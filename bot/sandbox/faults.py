"""Programmable faults: latency, 429 rate limits, 5xx errors and dropped connections."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import formatdate
from enum import StrEnum
from fnmatch import fnmatchcase

from bot.sandbox.messages import ApiResponse


class FaultKind(StrEnum):
    LATENCY = "latency"
    RATE_LIMIT = "rate_limit"
    ERROR = "error"
    DROP = "drop"


@dataclass
class FaultRule:
    """One rule; `path` is a glob on the request path (`/api/v4/...`), `count=None` is forever."""

    kind: FaultKind
    path: str = "*"
    method: str | None = None
    count: int | None = 1
    status: int = 500
    retry_after: int = 1
    min_ms: float = 0.0
    max_ms: float = 0.0
    # True: the request is carried out first (its state change made and committed), and only
    # then does the rule act on the answer: an error or drop loses it, a latency delays it.
    # GitLab did the work and the client never hears (or hears too late, after its own
    # timeout): the case that makes retrying a POST unsafe.
    after: bool = False

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method.upper() != method:
            return False
        return fnmatchcase(path, self.path)


@dataclass(frozen=True)
class FaultPlan:
    """What to do to one request: sleep, do the work (unless failing first), sleep, answer."""

    delay_s: float
    failure: FaultRule | None
    # Slept after the request was carried out, before its answer (or its failure) is sent.
    late_delay_s: float = 0.0


class FaultInjector:
    """Thread-safe rule list, changeable while the server runs."""

    def __init__(self, *, seed: int | None = None) -> None:
        self._rules: list[FaultRule] = []
        self._lock = threading.Lock()
        self._random = random.Random(seed)  # noqa: S311 - latency jitter, not secrets

    def add(self, rule: FaultRule) -> FaultRule:
        with self._lock:
            self._rules.append(rule)
        return rule

    def latency(
        self,
        ms: float = 0.0,
        *,
        max_ms: float | None = None,
        path: str = "*",
        method: str | None = None,
        count: int | None = None,
        after: bool = False,
    ) -> FaultRule:
        """Fixed latency `ms`, or uniform random in [ms, max_ms].

        `after=False` sleeps before the request is looked at (nothing is done until the delay
        is over). `after=True` carries the request out first, state change committed, and
        sleeps before sending the answer: "done, but slower than the client waits".
        """
        high = ms if max_ms is None else max_ms
        rule = FaultRule(
            FaultKind.LATENCY, path, method, count, min_ms=ms, max_ms=high, after=after
        )
        return self.add(rule)

    def rate_limit(
        self,
        *,
        path: str = "*",
        method: str | None = None,
        count: int | None = 1,
        retry_after: int = 1,
    ) -> FaultRule:
        return self.add(
            FaultRule(FaultKind.RATE_LIMIT, path, method, count, retry_after=retry_after)
        )

    def error(
        self,
        status: int = 500,
        *,
        path: str = "*",
        method: str | None = None,
        count: int | None = 1,
        after: bool = False,
    ) -> FaultRule:
        return self.add(FaultRule(FaultKind.ERROR, path, method, count, status=status, after=after))

    def drop_connection(
        self,
        *,
        path: str = "*",
        method: str | None = None,
        count: int | None = 1,
        after: bool = False,
    ) -> FaultRule:
        return self.add(FaultRule(FaultKind.DROP, path, method, count, after=after))

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def rules(self) -> list[FaultRule]:
        with self._lock:
            return list(self._rules)

    def plan(self, method: str, path: str) -> FaultPlan:
        """Consume the first matching rule of each sort: latency before the work, latency
        after it, and failure."""
        with self._lock:
            early = self._take(method, path, lambda r: _is_latency(r, after=False))
            late = self._take(method, path, lambda r: _is_latency(r, after=True))
            failure = self._take(method, path, lambda r: r.kind is not FaultKind.LATENCY)
            return FaultPlan(self._seconds(early), failure, late_delay_s=self._seconds(late))

    def _seconds(self, rule: FaultRule | None) -> float:
        if rule is None:
            return 0.0
        return self._random.uniform(rule.min_ms, rule.max_ms) / 1000

    def _take(
        self, method: str, path: str, wanted: Callable[[FaultRule], bool]
    ) -> FaultRule | None:
        for rule in self._rules:
            if not wanted(rule) or not rule.matches(method, path):
                continue
            if rule.count is not None:
                rule.count -= 1
                if rule.count <= 0:
                    self._rules.remove(rule)
            return rule
        return None


def _is_latency(rule: FaultRule, *, after: bool) -> bool:
    return rule.kind is FaultKind.LATENCY and rule.after is after


def failure_response(rule: FaultRule) -> ApiResponse:
    """The response a failure rule produces (drops are handled by the server)."""
    if rule.kind is FaultKind.RATE_LIMIT:
        return rate_limited(rule.retry_after)
    if rule.status == 500:
        return ApiResponse(500, {"message": "500 Internal Server Error"})
    # 502/503/504 come from the proxy in front of Rails, as HTML.
    return ApiResponse(
        rule.status,
        headers={"Content-Type": "text/html; charset=utf-8"},
        text=f"<html><body><h1>{rule.status}</h1></body></html>\n",
    )


def rate_limited(retry_after: int, *, limit: int = 2000) -> ApiResponse:
    reset = int(time.time()) + retry_after
    return ApiResponse(
        429,
        headers={
            "Content-Type": "text/plain",
            "Retry-After": str(retry_after),
            "RateLimit-Name": "throttle_authenticated_api",
            "RateLimit-Limit": str(limit),
            "RateLimit-Observed": str(limit + 1),
            "RateLimit-Remaining": "0",
            "RateLimit-Reset": str(reset),
            "RateLimit-ResetTime": formatdate(reset, usegmt=True),
        },
        text="Retry later\n",
    )
