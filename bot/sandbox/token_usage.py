"""When a token's `last_used_at` and `last_used_ips` change: GitLab's throttled bookkeeping.

Follows `app/services/personal_access_tokens/last_used_service.rb` (gitlab-org/gitlab): the time
is written when it is unset or at least 10 minutes old; the address when the time is unset, or
when the address is new and the time at least a minute old; the newest five addresses are kept.
Any write takes a 60-second per-token lease that is never released, so nothing else is recorded
for that token until it lapses. Times come from the simulator's clock.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.sandbox.token_models import AccessToken

LAST_USED_AT_TIMEOUT = timedelta(minutes=10)
LAST_USED_IP_TIMEOUT = timedelta(minutes=1)
LEASE_TIMEOUT = timedelta(seconds=60)
NUM_IPS_TO_STORE = 5


def record_use(token: AccessToken, now: datetime, address: str) -> None:
    """Called once a request has authenticated with `token` (scopes checked)."""
    time_due = _time_due(token, now)
    address_due = _address_due(token, now, address)
    if not (time_due or address_due) or _lease_held(token, now):
        return
    token.usage_lease_until = now + LEASE_TIMEOUT
    if address_due:
        # Rows in insertion order; the oldest go once there are more than five.
        token.last_used_ips = [*token.last_used_ips, address][-NUM_IPS_TO_STORE:]
    if time_due:
        token.last_used_at = now


def _time_due(token: AccessToken, now: datetime) -> bool:
    last = token.last_used_at
    return last is None or last <= now - LAST_USED_AT_TIMEOUT


def _address_due(token: AccessToken, now: datetime, address: str) -> bool:
    if not address:
        return False
    last = token.last_used_at
    if last is None:
        return True
    return address not in token.last_used_ips and last <= now - LAST_USED_IP_TIMEOUT


def _lease_held(token: AccessToken, now: datetime) -> bool:
    return token.usage_lease_until is not None and now < token.usage_lease_until
