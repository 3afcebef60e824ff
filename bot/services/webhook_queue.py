"""One worker thread that refreshes the groups webhooks named, a burst coalesced into one run.

GitLab wants a webhook answered within seconds (it times out at 10 s and disables hooks that
keep failing), so the endpoint only queues; this worker does the GitLab reads. Groups named
while a refresh runs wait for the next one; a refresh that found the sync lease taken is tried
again after `retry_seconds`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable

from bot.services.webhooks import RefreshOutcome, RefreshReport

log = logging.getLogger(__name__)


class RefreshQueue:
    def __init__(
        self,
        refresh: Callable[[tuple[str, ...]], RefreshReport],
        *,
        retry_seconds: float = 30.0,
    ) -> None:
        self._refresh = refresh
        self._retry = retry_seconds
        self._pending: dict[str, None] = {}
        self._wake = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="webhook-refresh", daemon=True)
        self._thread.start()

    def submit(self, groups: Iterable[str]) -> None:
        with self._wake:
            self._pending.update(dict.fromkeys(groups))
            self._wake.notify()

    def close(self) -> None:
        with self._wake:
            self._closed = True
            self._wake.notify()
        self._thread.join(timeout=5)

    def _next(self) -> tuple[str, ...] | None:
        with self._wake:
            while not self._pending and not self._closed:
                self._wake.wait()
            if self._closed:
                return None
            groups = tuple(self._pending)
            self._pending.clear()
            return groups

    def _run(self) -> None:
        while (groups := self._next()) is not None:
            try:
                report = self._refresh(groups)
            except Exception:  # one failed refresh must not end the worker; the reason is logged
                log.exception("webhook refresh of %s failed", ", ".join(groups))
                continue
            log.info(
                "webhook refresh of %s: %s, %d reminders posted",
                ", ".join(groups),
                report.outcome.value,
                report.posted,
            )
            if report.outcome is RefreshOutcome.BUSY:
                self._retry_later(groups)

    def _retry_later(self, groups: tuple[str, ...]) -> None:
        with self._wake:
            self._wake.wait_for(lambda: self._closed, timeout=self._retry)
            if not self._closed:
                self._pending.update(dict.fromkeys(groups))
