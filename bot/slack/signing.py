"""Slack's request signature, checked on the raw bytes before anything reads the body.

Slack signs `v0:<timestamp>:<body>` with the app's signing secret (HMAC-SHA256) and sends the
hex digest as `X-Slack-Signature: v0=...` with the timestamp in `X-Slack-Request-Timestamp`.
slack_sdk's verifier decodes the body as UTF-8 first, so a body that is not UTF-8 would raise
there instead of being refused; this check never decodes it.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

MAX_AGE_SECONDS = 5 * 60  # Slack's advice: refuse requests more than five minutes off the clock


@dataclass(frozen=True, slots=True)
class Verdict:
    valid: bool
    reason: str  # why not, for the log: "unsigned", "stale", "bad signature"


VALID = Verdict(valid=True, reason="")


def check_signature(
    secret: str, raw: bytes, *, timestamp: str | None, signature: str | None, now: float
) -> Verdict:
    """Whether `raw` was signed with `secret` at `timestamp`, within five minutes of `now`."""
    if not secret or not timestamp or not signature:
        return Verdict(valid=False, reason="unsigned")
    if not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > 12:
        return Verdict(valid=False, reason="bad timestamp")
    if abs(now - int(timestamp)) > MAX_AGE_SECONDS:
        return Verdict(valid=False, reason="stale")
    base = b"v0:" + timestamp.encode("ascii") + b":" + raw
    expected = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    if not signature.isascii() or not hmac.compare_digest(expected, signature):
        return Verdict(valid=False, reason="bad signature")
    return VALID
