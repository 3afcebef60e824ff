"""Plain-text tables for the terminal: the token inventory."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from bot.domain.credentials import TokenRecord
from bot.domain.expiry import days_left

_HEADERS = ("TYPE", "NAME", "WHERE", "SCOPES", "ROLE", "EXPIRES", "LEFT", "LAST USED", "STATE")


def inventory_rows(records: Sequence[TokenRecord], today: date) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for record in sorted(records, key=lambda r: (r.expires_on or date.max, r.name)):
        left = days_left(record.expires_on, today)
        rows.append(
            (
                record.token_type.value,
                record.name,
                record.namespace.path if record.namespace else "(user)",
                ",".join(record.scopes) or "-",
                record.access_level.label if record.access_level else "-",
                record.expires_on.isoformat() if record.expires_on else "never",
                "-" if left is None else (f"{left}d" if left > 0 else "expired"),
                record.last_used_at.date().isoformat() if record.last_used_at else "never",
                state(record, today),
            )
        )
    return rows


def state(record: TokenRecord, today: date) -> str:
    if record.revoked:
        return "revoked"
    left = days_left(record.expires_on, today)
    if left is not None and left <= 0:
        return "expired"
    return "active" if record.active else "inactive"


def render_table(rows: Sequence[tuple[str, ...]], headers: tuple[str, ...] = _HEADERS) -> str:
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)
    ]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines += [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows
    ]
    return "\n".join(lines)
