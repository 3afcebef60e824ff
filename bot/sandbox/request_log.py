"""A secret-free log of served requests, for counting calls and measuring request rates."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from fnmatch import fnmatchcase


@dataclass(frozen=True)
class RequestRecord:
    """One request; `path` excludes the query string, which may carry `private_token`."""

    method: str
    path: str
    status: int
    started: float
    duration: float


class RequestLog:
    """Thread-safe; also tracks how many requests were in flight at once."""

    def __init__(self) -> None:
        self._records: list[RequestRecord] = []
        self._lock = threading.Lock()
        self._in_flight = 0
        self._peak_in_flight = 0

    def begin(self) -> float:
        with self._lock:
            self._in_flight += 1
            self._peak_in_flight = max(self._peak_in_flight, self._in_flight)
        return time.perf_counter()

    def finish(self, method: str, path: str, status: int, started: float) -> None:
        record = RequestRecord(method, path, status, started, time.perf_counter() - started)
        with self._lock:
            self._in_flight -= 1
            self._records.append(record)

    def entries(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._records)

    def count(
        self, *, method: str | None = None, path: str = "*", status: int | None = None
    ) -> int:
        return sum(
            1
            for r in self.entries()
            if (method is None or r.method == method)
            and (status is None or r.status == status)
            and fnmatchcase(r.path, path)
        )

    def peak_rate(self, window_s: float = 1.0) -> float:
        """Most requests started within any `window_s` span, per second."""
        starts = sorted(r.started for r in self.entries())
        best, low = 0, 0
        for high, moment in enumerate(starts):
            while moment - starts[low] > window_s:
                low += 1
            best = max(best, high - low + 1)
        return best / window_s

    @property
    def peak_in_flight(self) -> int:
        with self._lock:
            return self._peak_in_flight

    def clear(self) -> None:
        with self._lock:
            self._records.clear()
            self._peak_in_flight = self._in_flight
