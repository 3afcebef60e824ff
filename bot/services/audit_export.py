"""Exporting the audit log as JSON lines or CSV."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import datetime

from bot.domain.audit import AuditEvent
from bot.services.ports import UnitOfWorkFactory

FIELDS = ("at", "action", "request_id", "actor", "details")


def audit_events(*, uow: UnitOfWorkFactory, since: datetime | None = None) -> list[AuditEvent]:
    with uow() as unit:
        events = unit.audit.events()
    return [e for e in events if since is None or e.at >= since]


def as_json_lines(events: list[AuditEvent]) -> Iterator[str]:
    for event in events:
        yield json.dumps(
            {
                "at": event.at.isoformat(),
                "action": event.action.value,
                "request_id": event.request_id,
                "actor": event.actor,
                "details": dict(event.details),
            },
            sort_keys=True,
        )


def as_csv(events: list[AuditEvent]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FIELDS)
    for event in events:
        writer.writerow(
            [
                event.at.isoformat(),
                event.action.value,
                event.request_id,
                event.actor,
                json.dumps(dict(event.details), sort_keys=True),
            ]
        )
    return out.getvalue()
