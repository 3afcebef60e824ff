"""The request-rate budget, on a fake clock: no wall-time sleeps."""

from __future__ import annotations

import pytest

from bot.gitlab.http import RateBudget, RetryPolicy


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.starts: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_requests_are_paced_evenly_at_the_budget() -> None:
    fake = FakeTime()
    budget = RateBudget(10, clock=fake.clock, sleep=fake.sleep)
    starts = []
    for _ in range(25):
        budget.acquire()
        starts.append(fake.now)
    assert budget.requests == 25
    for i in range(len(starts)):
        in_window = [s for s in starts if starts[i] <= s < starts[i] + 1.0 - 1e-6]
        assert len(in_window) <= 10
    assert starts[-1] == pytest.approx(2.4)


def test_a_burst_allowance_lets_the_first_requests_through_at_once() -> None:
    fake = FakeTime()
    budget = RateBudget(10, burst=5, clock=fake.clock, sleep=fake.sleep)
    for _ in range(5):
        budget.acquire()
    assert fake.now == 0.0


def test_a_budget_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        RateBudget(0)


def test_backoff_doubles_up_to_its_cap() -> None:
    policy = RetryPolicy(first_backoff=0.5, max_backoff=3.0)
    assert [policy.backoff(n) for n in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
