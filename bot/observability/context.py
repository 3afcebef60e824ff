"""The request id of the Slack interaction being handled, and how it reaches listener threads.

The id lives in a `ContextVar`. Bolt acks and runs listeners on a thread pool, and a new
thread starts with an empty context, so `ContextExecutor` runs every task in a copy of the
context it was submitted from: a listener's log lines carry the id of its interaction.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "tokenbot_request_id", default=None
)


def current_request_id() -> str | None:
    """The id of the Slack interaction this code runs for, if any."""
    return _request_id.get()


def set_request_id(request_id: str | None) -> contextvars.Token[str | None]:
    """Make `request_id` current in this context; `reset_request_id(token)` undoes it."""
    return _request_id.set(request_id)


def reset_request_id(token: contextvars.Token[str | None]) -> None:
    _request_id.reset(token)


class ContextExecutor(ThreadPoolExecutor):
    """A thread pool whose tasks run in a copy of the submitter's context (request id included).

    Each task gets its own copy, taken when it is submitted: what a task sets stays with it.
    """

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        context = contextvars.copy_context()

        def in_context() -> T:
            return context.run(fn, *args, **kwargs)

        return super().submit(in_context)
