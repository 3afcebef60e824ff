"""The simulator's authenticated API throttle and its `RateLimit-*` headers (as GitLab.com
sends on every answer; `Retry-After` and `RateLimit-ResetTime` past the limit). Sources:
https://docs.gitlab.com/security/rate_limits/, `lib/gitlab/rack_attack.rb`."""

from __future__ import annotations

import time

from tests.integration.sandbox.conftest import World


def test_no_throttle_no_headers(world: World) -> None:
    answer = world.sandbox.call("GET", "/user", world.owner_token)
    assert "RateLimit-Limit" not in answer.headers


def test_every_answer_reports_the_quota_and_past_it_429_retry_later(world: World) -> None:
    sim, box = world.sandbox.sim, world.sandbox
    sim.throttle.configure(limit=3, period_s=60)
    answers = [box.call("GET", "/user", world.owner_token) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    first, last = answers[0].headers, answers[-1]
    assert first["RateLimit-Name"] == "throttle_authenticated_api"
    assert (first["RateLimit-Limit"], first["RateLimit-Observed"]) == ("3", "1")
    assert first["RateLimit-Remaining"] == "2"
    assert 0 < int(first["RateLimit-Reset"]) - time.time() <= 60
    assert last.text == "Retry later\n"
    assert last.headers["RateLimit-Remaining"] == "0"
    assert 1 <= int(last.headers["Retry-After"]) <= 60
    assert last.headers["RateLimit-ResetTime"].endswith("GMT")
    # counted per caller, as Rack::Attack keys the authenticated throttle by user
    assert box.call("GET", "/user", world.maintainer_token).status_code == 200
