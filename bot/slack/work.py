"""`WorkQueue`: the bounded pool that runs what listeners do after their ack.

Bolt runs every listener, and so every ack, on its listener executor. Work that waits on
GitLab (and on tokenbot's GitLab request budget) runs here instead, so that however long it
waits, the listener threads stay free to ack. The queue holds at most `workers` running jobs
plus `waiting` queued ones; a job offered beyond that is refused at once and the person is
told tokenbot is busy. A job not finished `still_working_seconds` after it was queued makes
the person a "still working on it" note. Notes go out on a thread of their own, never on a
listener or work thread.

Every job runs in a copy of the context it was queued from (`ContextExecutor`), so its log
lines carry the interaction's request id and its GitLab reads share the interaction's memo.
"""

from __future__ import annotations

import contextvars
import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from bot.observability.context import ContextExecutor

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class WorkLimits:
    workers: int = 16  # TOKENBOT_SLACK_WORK_THREADS
    waiting: int = 100  # TOKENBOT_SLACK_WORK_QUEUE
    still_working_seconds: float = 5.0  # TOKENBOT_SLACK_STILL_WORKING_SECONDS


class Notices(Protocol):
    """How a job's person hears that it is refused or slow (each call may reach Slack)."""

    def busy(self) -> None: ...

    def still_working(self) -> None: ...


class Job:
    """One queued piece of work: the lock that orders its last output and the slow note."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._done = False

    def finish(self, last_output: Callable[[], object]) -> None:
        """Send the job's final answer; a "still working" note can never land after it."""
        with self._lock:
            self._done = True
            last_output()

    def end(self) -> None:
        with self._lock:
            self._done = True

    def unless_done(self, note: Callable[[], None]) -> None:
        with self._lock:
            if not self._done:
                note()


Work = Callable[[Job], None]


class WorkQueue:
    def __init__(
        self,
        limits: WorkLimits = WorkLimits(),
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limits = limits
        self._slots = threading.BoundedSemaphore(limits.workers + limits.waiting)
        self._pool = ContextExecutor(max_workers=limits.workers, thread_name_prefix="slack-work")
        self._notes = _NoteThread(monotonic)

    def submit(self, work: Work, notices: Notices) -> bool:
        """Queue `work`; False (and a "busy" note to the person) when the queue is full."""
        if not self._slots.acquire(blocking=False):
            log.warning("slack work queue full: the person is asked to try again")
            self._notes.now(notices.busy)
            return False
        job = Job()
        self._notes.later(self.limits.still_working_seconds, job, notices.still_working)
        try:
            self._pool.submit(self._run, work, job)
        except RuntimeError:  # shut down: nothing will run it
            self._slots.release()
            job.end()
            self._notes.now(notices.busy)
            return False
        return True

    def _run(self, work: Work, job: Job) -> None:
        try:
            work(job)
        except Exception:  # the job's own wrapper reports failures; this is the last guard
            log.exception("slack work failed")
        finally:
            job.end()
            self._slots.release()

    def shutdown(self, *, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=not wait)
        self._notes.stop()


class _NoteThread:
    """One thread that sends notes now or at a deadline, in the context they came from."""

    def __init__(self, monotonic: Callable[[], float]) -> None:
        self._monotonic = monotonic
        self._order = itertools.count()
        self._due: list[tuple[float, int, Job | None, Callable[[], None]]] = []
        self._wake = threading.Condition()
        self._stopped = False
        self._executor = ContextExecutor(max_workers=2, thread_name_prefix="slack-notes")

    def now(self, note: Callable[[], None]) -> None:
        self._send(None, note)

    def later(self, seconds: float, job: Job, note: Callable[[], None]) -> None:
        with self._wake:
            if not self._due and not self._stopped:
                threading.Thread(target=self._loop, name="slack-notes-timer", daemon=True).start()
            entry = (self._monotonic() + seconds, next(self._order), job, _in_context(note))
            heapq.heappush(self._due, entry)
            self._wake.notify()

    def _loop(self) -> None:
        with self._wake:
            while self._due and not self._stopped:
                deadline, _, job, note = self._due[0]
                wait = deadline - self._monotonic()
                if wait > 0:
                    self._wake.wait(timeout=min(wait, 1.0))
                    continue
                heapq.heappop(self._due)
                self._send(job, note)

    def _send(self, job: Job | None, note: Callable[[], None]) -> None:
        def guarded() -> None:
            try:
                note() if job is None else job.unless_done(note)
            except Exception as exc:  # a note is a courtesy: log it, keep sending others
                log.warning("a slack work note was not sent: %s", exc.__class__.__name__)

        try:
            self._executor.submit(guarded)
        except RuntimeError:
            return  # shut down

    def stop(self) -> None:
        with self._wake:
            self._stopped = True
            self._due.clear()
            self._wake.notify_all()
        self._executor.shutdown(wait=False, cancel_futures=True)


def _in_context(note: Callable[[], None]) -> Callable[[], None]:
    """`note` bound to the caller's context (the timer thread has none of its own)."""
    context = contextvars.copy_context()
    return lambda: context.run(note)
