"""`last_used_at` and `last_used_ips` are written as GitLab's LastUsedService writes them.

Source: app/services/personal_access_tokens/last_used_service.rb in gitlab-org/gitlab (read from
its gitlabhq/gitlabhq mirror): LAST_USED_AT_TIMEOUT = 10.minutes, LAST_USED_IP_TIMEOUT =
1.minute, NUM_IPS_TO_STORE = 5, LEASE_TIMEOUT = 60 seconds (`lease_release?` false). It runs
from `find_user_from_access_token` in lib/gitlab/auth/auth_finders.rb after the token is
validated. The API entity's description
(lib/api/entities/personal_access_token_with_last_used_ips.rb): "The five most recent unique
IP addresses … The list updates once per minute per token."
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest

from bot.sandbox import GitlabSimulator, SandboxServer, add_personal_token
from bot.sandbox.token_models import AccessToken

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@dataclass
class Clocked:
    sim: GitlabSimulator
    url: str
    now: list[datetime]
    secret: str
    token: AccessToken

    def at(self, **delta: float) -> None:
        self.now[0] = START + timedelta(**delta)

    def get_self(self, source: str = "127.0.0.1") -> dict[str, Any]:
        """GET /personal_access_tokens/self over HTTP from a chosen loopback address."""
        parts = urlsplit(self.url)
        connection = http.client.HTTPConnection(
            parts.hostname or "127.0.0.1", parts.port, timeout=10, source_address=(source, 0)
        )
        try:
            connection.request(
                "GET", "/api/v4/personal_access_tokens/self", headers={"PRIVATE-TOKEN": self.secret}
            )
            response = connection.getresponse()
            assert response.status == 200
            body: dict[str, Any] = json.loads(response.read())
            return body
        finally:
            connection.close()


@pytest.fixture
def clocked() -> Iterator[Clocked]:
    now = [START]
    sim = GitlabSimulator(clock=lambda: now[0])
    user = sim.state.add_user("uma.user")
    token, secret = add_personal_token(
        sim.state, user, scopes=("read_api",), expires_at=START.date() + timedelta(days=30)
    )
    with SandboxServer(sim) as server:
        yield Clocked(sim, server.url, now, secret, token)


def test_last_used_at_is_set_on_first_use(clocked: Clocked) -> None:
    assert clocked.token.last_used_at is None
    body = clocked.get_self()
    assert body["last_used_at"] == "2026-03-02T09:00:00.000Z"
    assert body["last_used_ips"] == ["127.0.0.1"]


def test_last_used_at_is_rewritten_only_after_ten_minutes(clocked: Clocked) -> None:
    clocked.get_self()
    clocked.at(minutes=9, seconds=59)
    assert clocked.get_self()["last_used_at"] == "2026-03-02T09:00:00.000Z"
    clocked.at(minutes=10)  # `last_used <= 10.minutes.ago`: exactly ten minutes is due
    assert clocked.get_self()["last_used_at"] == "2026-03-02T09:10:00.000Z"
    clocked.at(minutes=15)
    assert clocked.get_self()["last_used_at"] == "2026-03-02T09:10:00.000Z"


def test_a_new_address_is_recorded_once_the_time_is_a_minute_old(clocked: Clocked) -> None:
    clocked.get_self("127.0.0.1")
    clocked.at(seconds=59)
    assert clocked.get_self("127.0.0.2")["last_used_ips"] == ["127.0.0.1"]
    clocked.at(minutes=1)
    body = clocked.get_self("127.0.0.2")
    assert body["last_used_ips"] == ["127.0.0.1", "127.0.0.2"]
    assert body["last_used_at"] == "2026-03-02T09:00:00.000Z"  # the time waits for ten minutes


def test_the_lease_holds_off_another_address_for_sixty_seconds(clocked: Clocked) -> None:
    clocked.get_self("127.0.0.1")
    clocked.at(minutes=5)
    clocked.get_self("127.0.0.2")  # recorded, and takes the 60-second lease
    clocked.at(minutes=5, seconds=30)
    assert clocked.get_self("127.0.0.3")["last_used_ips"] == ["127.0.0.1", "127.0.0.2"]
    clocked.at(minutes=6)
    assert clocked.get_self("127.0.0.3")["last_used_ips"] == [
        "127.0.0.1",
        "127.0.0.2",
        "127.0.0.3",
    ]


def test_only_the_newest_five_addresses_are_kept(clocked: Clocked) -> None:
    for n in range(1, 8):
        clocked.at(minutes=n)
        clocked.get_self(f"127.0.0.{n}")
    assert clocked.token.last_used_ips == [f"127.0.0.{n}" for n in range(3, 8)]


def test_a_known_address_is_not_added_twice(clocked: Clocked) -> None:
    clocked.get_self("127.0.0.1")
    clocked.at(minutes=30)
    assert clocked.get_self("127.0.0.1")["last_used_ips"] == ["127.0.0.1"]
