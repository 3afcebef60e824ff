"""One process at a time for a scheduled job, across replicas sharing a database."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from bot.services.ports import Clock, UnitOfWorkFactory

T = TypeVar("T")
HOLDER = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def run_exclusively(
    name: str,
    work: Callable[[], T],
    *,
    uow: UnitOfWorkFactory,
    clock: Clock,
    longest: timedelta,
    holder: str = HOLDER,
) -> T | None:
    """Run `work` if no other process holds the lease `name`; None if one does.

    The lease lapses after `longest`, so a process that died does not block the job forever.
    """
    now = clock()
    with uow() as unit:
        taken = unit.leases.acquire(name, holder, now, now + longest)
        unit.commit()
    if not taken:
        return None
    try:
        return work()
    finally:
        with uow() as unit:
            unit.leases.release(name, holder)
            unit.commit()
