"""The work queue behind the acks (bot/slack/work.py): its bound, its notes, its context.

Threads, so not a unit test; every wait is on an event, never on the clock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from bot.observability.context import current_request_id, set_request_id
from bot.slack.work import Job, WorkLimits, WorkQueue

WAIT = 10.0  # seconds an event may take on a loaded machine; never reached when it works


class Notes:
    def __init__(self) -> None:
        self.busy_count = 0
        self.still = threading.Event()
        self.busy_seen = threading.Event()
        self.still_count = 0

    def busy(self) -> None:
        self.busy_count += 1
        self.busy_seen.set()

    def still_working(self) -> None:
        self.still_count += 1
        self.still.set()


def _blocked(
    release: threading.Event, started: threading.Event | None = None
) -> Callable[[Job], None]:
    def work(_job: Job) -> None:
        if started is not None:
            started.set()
        release.wait(WAIT)

    return work


def test_a_full_queue_refuses_at_once_and_tells_the_person_it_is_busy() -> None:
    queue = WorkQueue(WorkLimits(workers=1, waiting=1, still_working_seconds=60))
    release, started = threading.Event(), threading.Event()
    notes = [Notes() for _ in range(3)]
    try:
        assert queue.submit(_blocked(release, started), notes[0])
        assert started.wait(WAIT)  # the one worker holds the first job
        assert queue.submit(_blocked(release), notes[1])  # the one waiting place
        assert not queue.submit(_blocked(release), notes[2])  # refused, without waiting
        assert notes[2].busy_seen.wait(WAIT)
        assert [n.busy_count for n in notes] == [0, 0, 1]
    finally:
        release.set()
        queue.shutdown()


def test_a_refused_place_comes_back_when_a_job_ends_even_one_that_raised() -> None:
    queue = WorkQueue(WorkLimits(workers=1, waiting=0, still_working_seconds=60))
    done = threading.Event()

    def fails(_job: Job) -> None:
        done.set()
        raise RuntimeError("boom")

    try:
        assert queue.submit(fails, Notes())
        assert done.wait(WAIT)
        ran = threading.Event()
        for _ in range(int(WAIT / 0.01)):  # the slot is released just after the job ends
            if queue.submit(lambda _job: ran.set(), Notes()):
                break
            threading.Event().wait(0.01)
        assert ran.wait(WAIT)
    finally:
        queue.shutdown()


def test_a_slow_job_says_it_is_still_working_and_a_finished_one_says_nothing() -> None:
    queue = WorkQueue(WorkLimits(workers=2, waiting=2, still_working_seconds=0.05))
    quick, slow = Notes(), Notes()
    finished, release = threading.Event(), threading.Event()
    try:
        assert queue.submit(lambda _job: finished.set(), quick)
        assert finished.wait(WAIT)
        assert queue.submit(_blocked(release), slow)
        assert slow.still.wait(WAIT)  # notes go in deadline order: the quick one's is past
        assert (quick.still_count, slow.still_count) == (0, 1)
    finally:
        release.set()
        queue.shutdown()


def test_a_note_never_lands_after_the_jobs_last_output() -> None:
    job = Job()
    said: list[str] = []
    job.finish(lambda: said.append("final"))
    job.unless_done(lambda: said.append("still working"))
    assert said == ["final"]


def test_jobs_run_with_the_request_id_of_the_interaction_that_queued_them() -> None:
    queue = WorkQueue(WorkLimits(workers=1, waiting=1, still_working_seconds=60))
    seen: list[str | None] = []
    done = threading.Event()

    def work(_job: Job) -> None:
        seen.append(current_request_id())
        done.set()

    token = set_request_id("req-42")
    try:
        assert queue.submit(work, Notes())
    finally:
        set_request_id(None)
        del token
    try:
        assert done.wait(WAIT)
        assert seen == ["req-42"]
    finally:
        queue.shutdown()
