"""The hygiene report for the terminal (`tokenbot report`): plain text, or a JSON object.

Names and paths come from GitLab, so the text shows them printable and bounded (a terminal
escape in a token's name stays inert). The JSON's keys and finding kind ids are stable.
"""

from __future__ import annotations

from typing import Any

from bot.domain.hygiene import FindingKind
from bot.domain.hygiene_report import FlaggedCredential, HygieneReport

NAME_MAX = 80
SENTENCE_MAX = 300


def shown(text: str, limit: int = NAME_MAX) -> str:
    """Printable, one line, at most `limit` characters."""
    line = "".join(c if c.isprintable() else "?" for c in text)
    return line if len(line) <= limit else line[: limit - 1] + "…"


def report_text(report: HygieneReport) -> str:
    at = report.generated_at.strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"Token hygiene at {at}: {report.total} credentials, {report.flagged_count} with findings.",
        "",
        "Findings (credentials with each):",
        *(f"  {kind.value:<15} {report.counts.get(kind, 0)}" for kind in FindingKind),
    ]
    if report.worst:
        lines += ["", f"The worst {len(report.worst)}:"]
        for rank, credential in enumerate(report.worst, 1):
            lines += _credential_lines(rank, credential)
    lines += ["", *_week_lines(report)]
    return "\n".join(lines)


def _credential_lines(rank: int, credential: FlaggedCredential) -> list[str]:
    token = credential.token
    expires = token.expires_on.isoformat() if token.expires_on else "never"
    where = [f"expires {expires}", f"owner {shown(token.owner) if token.owner else 'nobody'}"]
    if credential.team:
        where.append(f"team {shown(credential.team)}")
    lines = [
        f"  {rank}. {token.token_type.value} '{shown(token.name)}' on"
        f" {shown(token.namespace.path)} ({'; '.join(where)}) [{token.key}]"
    ]
    for finding in credential.findings:
        lines.append(f"     - {finding.kind.value}: {shown(finding.why, SENTENCE_MAX)}")
        lines.append(f"       instead: {shown(finding.instead, SENTENCE_MAX)}")
    return lines


def _week_lines(report: HygieneReport) -> list[str]:
    days = report.horizon_days
    if not report.expiring:
        return [f"Nothing expires in the next {days} days."]
    flagged = sum(bar.flagged for bar in report.weeks)
    lines = [
        f"Expiring in the next {days} days: {report.expiring} ({flagged} with findings),"
        " by week (UTC, from Monday):"
    ]
    for bar in report.weeks:
        if bar.total:
            lines.append(
                f"  {bar.week_start.isoformat()}  {bar.total:>4}  ({bar.flagged} with findings)"
            )
    return lines


def report_json(report: HygieneReport) -> dict[str, Any]:
    return {
        "generated_at": report.generated_at.isoformat(),
        "total": report.total,
        "flagged": report.flagged_count,
        "counts": {kind.value: report.counts.get(kind, 0) for kind in FindingKind},
        "worst": [_credential_json(c) for c in report.worst],
        "horizon_days": report.horizon_days,
        "weeks": [
            {
                "week_start": bar.week_start.isoformat(),
                "counts": dict(sorted(bar.counts.items())),
                "flagged": bar.flagged,
            }
            for bar in report.weeks
        ],
    }


def _credential_json(credential: FlaggedCredential) -> dict[str, Any]:
    token = credential.token
    return {
        "key": token.key,
        "token_type": token.token_type.value,
        "name": token.name,
        "where": token.namespace.path,
        "team": credential.team,
        "owner": token.owner,
        "expires_on": token.expires_on.isoformat() if token.expires_on else None,
        "findings": [
            {"kind": f.kind.value, "why": f.why, "instead": f.instead} for f in credential.findings
        ],
    }
