"""The `database` check: reachable, and migrated to this tokenbot's latest revision."""

from __future__ import annotations

from bot.services.checks_ports import DatabaseUnavailableError, SchemaProbe
from bot.services.checks_report import CheckResult, Status

_UPGRADE = "run `tokenbot db upgrade` (`tokenbot run` also does it when it starts)"


def check_database(probe: SchemaProbe) -> CheckResult:
    where = probe.where
    try:
        state = probe.schema()
    except DatabaseUnavailableError as exc:
        return CheckResult(
            "database",
            Status.FAIL,
            f"cannot connect to {where}: {exc}",
            fix="check DATABASE_URL and that the database server is running and reachable",
            facts={"where": where},
        )
    facts = {"where": where, "revision": state.current, "latest": state.head}
    if not state.exists:
        return CheckResult(
            "database", Status.FAIL, f"{where} does not exist yet", fix=_UPGRADE, facts=facts
        )
    if state.current is None:
        return CheckResult(
            "database", Status.FAIL, f"{where} has no tables yet", fix=_UPGRADE, facts=facts
        )
    if not state.known:
        return CheckResult(
            "database",
            Status.FAIL,
            f"{where} is at revision {state.current}, which this tokenbot does not know (a newer"
            " tokenbot migrated it?)",
            fix="run the tokenbot version that migrated it, or a newer one",
            facts=facts,
        )
    if state.current != state.head:
        return CheckResult(
            "database",
            Status.FAIL,
            f"{where} is at revision {state.current}; the latest is {state.head}",
            fix=_UPGRADE,
            facts=facts,
        )
    return CheckResult(
        "database", Status.PASS, f"{where}, at the latest revision ({state.head})", facts=facts
    )
