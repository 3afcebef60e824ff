"""Pacing at what GitLab says it allows: its `RateLimit-*` headers, read on every answer.

GitLab's throttles (Rack::Attack, `lib/gitlab/rack_attack.rb`) send `RateLimit-Limit` (the
quota of the window, per minute for the API throttles), `RateLimit-Observed`,
`RateLimit-Remaining` and `RateLimit-Reset` (Unix seconds, when the window ends); GitLab.com
sends them on every API answer, a self-managed instance with a throttle enabled on its 429s,
which add `Retry-After` (seconds) and `RateLimit-ResetTime`. Docs:
https://docs.gitlab.com/security/rate_limits/ and
https://docs.gitlab.com/administration/settings/user_and_ip_rate_limits/ ("Response
headers"). Application limits (`Gitlab::ApplicationRateLimiter`) answer 429 without them.

What is left of the window is spread over the time left in it: the next request may start
(time left) / (remaining) after the previous one, so 8 workers cannot burn the quota in the
first seconds and then sit in 429s. It only ever slows requests down: the configured
TOKENBOT_GITLAB_REQUESTS_PER_SECOND (`RateBudget`) stays the ceiling. Answers without the
headers change nothing; a window whose reset has passed stops pacing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping

# Reset times further out than this are not a per-minute API window (a misread header).
_LONGEST_WINDOW_S = 3600.0


class ServerPace:
    def __init__(
        self,
        *,
        wall: Callable[[], float] = time.time,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._wall, self._clock, self._sleep = wall, clock, sleep
        self._lock = threading.Lock()
        self._interval = 0.0  # seconds between request starts GitLab's quota allows
        self._until = 0.0  # monotonic end of the window the interval was worked out for
        self._next = 0.0

    def observe(self, headers: Mapping[str, str]) -> None:
        """Learn the quota from one answer's headers (ignored when absent or unreadable)."""
        remaining, reset = (
            _number(headers, "RateLimit-Remaining"),
            _number(headers, "RateLimit-Reset"),
        )
        if remaining is None or reset is None:
            return
        left = reset - self._wall()
        if left <= 0 or left > _LONGEST_WINDOW_S:
            return
        with self._lock:
            self._interval = left / max(remaining, 1.0)
            self._until = self._clock() + left
            if remaining <= 0:
                self._next = max(self._next, self._until)

    def wait(self) -> None:
        """Sleep until this request's slot under the quota GitLab last reported."""
        with self._lock:
            now = self._clock()
            if now >= self._until:
                self._interval = 0.0
                return
            slot = max(self._next, now)
            self._next = slot + self._interval
        if slot > now:
            self._sleep(slot - now)

    @property
    def interval(self) -> float:
        return self._interval


def _number(headers: Mapping[str, str], name: str) -> float | None:
    try:
        return float(headers[name])
    except (KeyError, TypeError, ValueError):
        return None
