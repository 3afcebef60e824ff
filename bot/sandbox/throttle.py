"""GitLab's authenticated API throttle (Rack::Attack), with its `RateLimit-*` headers.

Off unless a limit is set: `sim.throttle.configure(limit=2000, period_s=60)` (GitLab.com's
`throttle_authenticated_api` is 2,000 requests a minute). A fixed window per caller (the
token sent), as Rack::Attack counts. Every API answer then carries `RateLimit-Name`,
`RateLimit-Limit` (requests per window), `RateLimit-Observed`, `RateLimit-Remaining` and
`RateLimit-Reset` (Unix seconds when the window ends), as GitLab.com sends on every
response; past the limit the answer is `429 Retry later` with `Retry-After` (seconds) and
`RateLimit-ResetTime` too. Docs: https://docs.gitlab.com/security/rate_limits/ and
https://docs.gitlab.com/administration/settings/user_and_ip_rate_limits/ ("Response
headers"); source `lib/gitlab/rack_attack.rb`. Application limits
(`Gitlab::ApplicationRateLimiter`) answer 429 without these headers; the fault injector's
`rate_limit` covers those.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from email.utils import formatdate

NAME = "throttle_authenticated_api"


class Throttle:
    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self.limit: int | None = None
        self.period_s = 60.0
        self._clock = clock
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[float, int]] = {}  # caller -> (window start, count)

    def configure(self, *, limit: int | None, period_s: float = 60.0) -> None:
        with self._lock:
            self.limit, self.period_s = limit, period_s
            self._windows.clear()

    def count(self, caller: str) -> tuple[bool, dict[str, str]]:
        """Count one request of `caller`: (allowed, headers to send); no headers when off."""
        with self._lock:
            if self.limit is None:
                return True, {}
            now = self._clock()
            start = math.floor(now / self.period_s) * self.period_s
            known, observed = self._windows.get(caller, (start, 0))
            observed = observed + 1 if known == start else 1
            self._windows[caller] = (start, observed)
            limit = self.limit
        reset = int(start + self.period_s)
        headers = {
            "RateLimit-Name": NAME,
            "RateLimit-Limit": str(limit),
            "RateLimit-Observed": str(observed),
            "RateLimit-Remaining": str(max(0, limit - observed)),
            "RateLimit-Reset": str(reset),
        }
        if observed <= limit:
            return True, headers
        headers["RateLimit-ResetTime"] = formatdate(reset, usegmt=True)
        headers["Retry-After"] = str(max(1, math.ceil(reset - now)))
        return False, headers


def caller_key(environ: dict[str, object]) -> str:
    """Whom Rack::Attack counts: the credential sent, else the client's address."""
    sent = environ.get("HTTP_PRIVATE_TOKEN") or environ.get("HTTP_AUTHORIZATION")
    return f"token:{hash(str(sent))}" if sent else f"ip:{environ.get('REMOTE_ADDR', '')}"


def throttled() -> tuple[int, str]:
    """Rack::Attack's answer past the limit: status and plain-text body."""
    return 429, "Retry later\n"
