"""The report of `tokenbot check`: one result per check, and the report as lines or JSON."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    PASS = "pass"  # noqa: S105 - a status word, not a password
    WARN = "warn"
    FAIL = "fail"
    SKIP = "skip"


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One line of the report: what was checked, how it went, and what to do if it failed."""

    name: str  # a stable id: settings, database, gitlab, gitlab.credential, ...
    status: Status
    detail: str
    fix: str | None = None
    target: str | None = None  # the group or channel a per-item check is about
    facts: Mapping[str, Any] = field(default_factory=dict)  # JSON-friendly, never a secret

    @property
    def label(self) -> str:
        return f"{self.name} {self.target}" if self.target else self.name


@dataclass(frozen=True, slots=True)
class CheckReport:
    results: tuple[CheckResult, ...]

    def count(self, status: Status) -> int:
        return sum(1 for r in self.results if r.status is status)

    def passed(self, *, strict: bool = False) -> bool:
        """No failure (and, when `strict`, no warning either); skips never fail."""
        bad = {Status.FAIL, Status.WARN} if strict else {Status.FAIL}
        return not any(r.status in bad for r in self.results)


def skip(name: str, why: str, *, target: str | None = None) -> CheckResult:
    return CheckResult(name, Status.SKIP, why, target=target)


def report_lines(report: CheckReport, *, strict: bool = False) -> list[str]:
    """One line per check: status, check, detail and, when it did not pass, what to do."""
    width = min(max((len(r.label) for r in report.results), default=0), 32)
    lines = []
    for result in report.results:
        line = f"{result.status.value}  {result.label:<{width}}  {result.detail}"
        if result.fix and result.status in {Status.FAIL, Status.WARN}:
            line += f"; to fix: {result.fix}"
        lines.append(line)
    counts = ", ".join(f"{report.count(s)} {s.value}" for s in Status)
    verdict = "not ready"
    if any(r.facts.get("configured") is False for r in report.results):
        verdict = "not configured: `tokenbot run` will not start"
    elif report.passed(strict=strict):
        verdict = "ready, with warnings" if report.count(Status.WARN) else "ready"
    lines.append(f"{verdict}: {counts}" + (" (strict: warnings fail)" if strict else ""))
    return lines


def report_json(report: CheckReport, *, strict: bool = False) -> dict[str, Any]:
    """The `check --json` document; its field names are a public contract."""
    return {
        "ok": report.passed(strict=strict),
        "strict": strict,
        "counts": {s.value: report.count(s) for s in Status},
        "checks": [_result_json(r) for r in report.results],
    }


def _result_json(result: CheckResult) -> dict[str, Any]:
    return {
        "name": result.name,
        "target": result.target,
        "status": result.status.value,
        "detail": result.detail,
        "fix": result.fix,
        "facts": dict(result.facts),
    }
