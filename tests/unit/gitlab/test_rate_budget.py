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
    budget = RateBudget(10, jitter=0.0, clock=fake.clock, sleep=fake.sleep)
    starts = []
    for _ in range(25):
        budget.acquire()
        starts.append(fake.now)
    assert starts[:3] == [0.0, 0.1, 0.2]
    assert budget.requests == 25
    for i in range(len(starts)):
        in_window = [s for s in starts if starts[i] <= s < starts[i] + 1.0 - 1e-6]
        assert len(in_window) <= 10
    assert starts[-1] == pytest.approx(2.4)


def test_after_a_quiet_spell_no_slots_are_saved_up() -> None:
    fake = FakeTime()
    budget = RateBudget(2, jitter=0.0, clock=fake.clock, sleep=fake.sleep)
    budget.acquire()
    fake.now = 10.0
    budget.acquire()
    budget.acquire()
    assert fake.now == pytest.approx(10.5)


def test_a_late_start_cannot_break_the_one_second_window() -> None:
    fake = FakeTime()
    budget = RateBudget(2, jitter=0.0, clock=fake.clock, sleep=fake.sleep)
    budget.acquire()  # t=0.0
    budget.acquire()  # t=0.5
    fake.now = 0.6  # as if the next thread overslept its 1.0 slot... then started early
    budget._next = 0.6
    budget.acquire()
    assert fake.now == pytest.approx(1.0)  # waited for t=0.0 to leave the window


def test_threads_share_one_budget() -> None:
    import threading

    fake = FakeTime()
    lock = threading.Lock()

    def sleep(seconds: float) -> None:
        with lock:
            fake.starts.append(fake.now + seconds)

    budget = RateBudget(100, jitter=0.0, clock=fake.clock, sleep=sleep)
    threads = [threading.Thread(target=budget.acquire) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert budget.requests == 50
    # every thread got its own pacing slot, 10 ms apart, none lost
    assert sorted(fake.starts) == pytest.approx([i / 100 for i in range(1, 50)])


def test_a_budget_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        RateBudget(0)


def test_backoff_doubles_up_to_its_cap() -> None:
    policy = RetryPolicy(first_backoff=0.5, max_backoff=3.0)
    assert [policy.backoff(n) for n in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_the_jitter_allowance_widens_the_window() -> None:
    fake = FakeTime()
    budget = RateBudget(2, jitter=0.25, clock=fake.clock, sleep=fake.sleep)
    for _ in range(3):
        budget.acquire()
    assert fake.now == pytest.approx(1.25)  # the third start waits for the first to age out
