"""Pacing at GitLab's own quota (`RateLimit-Remaining` over the time to `RateLimit-Reset`).

Header names and meaning: https://docs.gitlab.com/security/rate_limits/ and
https://docs.gitlab.com/administration/settings/user_and_ip_rate_limits/ ("Response
headers": `RateLimit-Reset` is Unix time, `RateLimit-Limit` the quota each minute).
"""

from __future__ import annotations

from bot.gitlab.server_pace import ServerPace


class _Time:
    def __init__(self) -> None:
        self.now = 1_000.0
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 6))
        self.now += seconds


def _pace(time: _Time) -> ServerPace:
    return ServerPace(wall=lambda: time.now, clock=lambda: time.now, sleep=time.sleep)


def test_what_is_left_of_the_window_is_spread_over_the_time_left() -> None:
    time = _Time()
    pace = _pace(time)
    pace.observe({"RateLimit-Remaining": "10", "RateLimit-Reset": str(int(time.now) + 20)})
    for _ in range(3):
        pace.wait()
    assert time.slept == [2.0, 2.0]  # the first goes at once, then one every 20 s / 10


def test_an_exhausted_quota_waits_for_the_reset() -> None:
    time = _Time()
    pace = _pace(time)
    pace.observe({"RateLimit-Remaining": "0", "RateLimit-Reset": str(int(time.now) + 7)})
    pace.wait()
    assert time.slept == [7.0]


def test_answers_without_the_headers_or_past_windows_change_nothing() -> None:
    time = _Time()
    pace = _pace(time)
    pace.observe({})
    pace.observe({"RateLimit-Remaining": "x", "RateLimit-Reset": "1"})
    pace.observe({"RateLimit-Remaining": "0", "RateLimit-Reset": str(int(time.now) - 5)})
    pace.wait()
    pace.wait()
    assert time.slept == []


def test_pacing_stops_when_the_window_it_was_worked_out_for_is_over() -> None:
    time = _Time()
    pace = _pace(time)
    pace.observe({"RateLimit-Remaining": "1", "RateLimit-Reset": str(int(time.now) + 30)})
    time.now += 31
    pace.wait()
    pace.wait()
    assert time.slept == []
    assert pace.interval == 0.0
