"""Token requests as plain text: lists, one request in full, the outcome, the one-time reveal."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from bot.domain.credentials import Secret
from bot.domain.expiry import days_left, shown_expiry
from bot.domain.profiles import PROFILES, how_to_use
from bot.domain.requests import Delivery, RequestState, TokenRequest
from bot.domain.usage import Usage
from bot.services.request_notices import Announced
from bot.shell.request_form import DELIVERY_LABELS
from bot.shell.request_ids import short_id
from bot.shell.tables import render_table
from bot.shell.usage_text import usage_text

MINE_HEADERS = ("ID", "TYPE", "NAME", "TARGET", "STATE", "EXPIRES", "LEFT")
PENDING_HEADERS = ("ID", "FROM", "TYPE", "TARGET", "ROLE", "SCOPES", "STATE", "APPROVALS")


def mine_table(requests: Sequence[TokenRequest], today: date) -> str:
    rows = [
        (
            short_id(r.id),
            r.draft.token_type.value,
            r.draft.name,
            r.draft.target,
            r.state.value,
            shown_expiry(r.draft.expires_on),
            _left(r.draft.expires_on, today),
        )
        for r in requests
    ]
    return render_table(rows, MINE_HEADERS)


def pending_table(requests: Sequence[TokenRequest]) -> str:
    rows = [
        (
            short_id(r.id),
            r.requester,
            r.draft.token_type.value,
            r.draft.target,
            r.draft.access_level.label if r.draft.access_level else "-",
            ",".join(r.draft.scopes) or "-",
            r.state.value,
            f"{len(r.approvals)} of {r.required_approvals}",
        )
        for r in sorted(requests, key=lambda r: r.created_at)
    ]
    return render_table(rows, PENDING_HEADERS)


def request_details(request: TokenRequest, today: date) -> str:
    draft = request.draft
    left = _left(draft.expires_on, today)
    rows = [
        ("Request", request.id),
        ("From", request.requester),
        ("Type", f"{PROFILES[draft.token_type].title} [{draft.token_type.value}]"),
        ("Where", draft.target),
        ("Name", draft.name),
        ("Scopes", ", ".join(draft.scopes) or "-"),
        ("Role", draft.access_level.label if draft.access_level else "-"),
        ("Expires on", f"{shown_expiry(draft.expires_on)} ({left} left)"),
        ("Reason", draft.reason),
        ("Delivery", _delivery(request)),
        ("Risk", ", ".join(request.risk_flags) or "none flagged"),
        ("Approvals", f"{len(request.approvals)} of {request.required_approvals}"),
        ("State", status(request)),
    ]
    return "\n".join(f"  {label + ':':<12}{value}" for label, value in rows)


def status(request: TokenRequest) -> str:
    """One line on where the request stands."""
    by = ", ".join(a.approver for a in request.approvals)
    approved = f"approved by {by}" if by else "approved"
    texts = {
        RequestState.PENDING: f"pending, waiting for approval ({approved})"
        if by
        else "pending, waiting for approval",
        RequestState.APPROVED: f"{approved}; the token is not created yet",
        RequestState.PROVISIONING: f"{approved}; the token is being created",
        RequestState.PROVISIONED: f"{approved}; token created, GitLab id {request.gitlab_token_id}",
        RequestState.ROTATING: f"{approved}; token created, now being rotated",
        RequestState.FAILED: f"{approved}, but GitLab refused: {request.failure}",
        RequestState.DENIED: f"denied by {request.decided_by}: {request.deny_reason}",
        RequestState.CANCELLED: "cancelled by the requester",
        RequestState.EXPIRED: "expired: nobody decided in time",
    }
    return texts.get(request.state, request.state.value)


def provisioning_outcome(
    request: TokenRequest, secret_ttl: timedelta, usage: Usage | None = None
) -> str:
    """What happened when tokenbot tried to create the approved token."""
    draft, rid = request.draft, short_id(request.id)
    what = f"{PROFILES[draft.token_type].title} '{draft.name}' on {draft.target}"
    if request.state is RequestState.FAILED:
        return (
            f"GitLab refused to create the {what}: {request.failure}\n"
            f"An approver can try again with: retry {rid}"
        )
    if request.state is not RequestState.PROVISIONED:
        return f"The request is {request.state.value}; nothing was created now."
    created = f"Created the {what} (GitLab id {request.gitlab_token_id})."
    if request.renews is not None and request.renews.handoff:
        created = (
            f"Made a new {what} (GitLab id {request.gitlab_token_id}, expires on"
            f" {shown_expiry(draft.expires_on)}) beside the old one, which keeps working until"
            " GitLab sees the new one in use or the hand-off deadline passes; then tokenbot"
            f" revokes it (at once: revoke-old {rid}; keep the old one: cancel-handoff {rid})."
        )
    elif request.renews is not None:
        created = (
            f"Rotated the {what}: the old secret no longer works; the new one (GitLab id"
            f" {request.gitlab_token_id}) expires on {shown_expiry(draft.expires_on)}."
        )
    if draft.delivery is Delivery.CI_VARIABLE:
        how = f"\n{usage_text(usage, variable_project=draft.variable_project)}" if usage else ""
        return (
            f"{created} Its secret is in the masked, protected CI/CD variable"
            f" {draft.variable_key} of {draft.variable_project}.{how}"
        )
    return (
        f"{created} {request.requester} can see its secret once, within"
        f" {minutes(secret_ttl)} minutes,"
        f" by typing: reveal {rid}"
    )


def minutes(ttl: timedelta) -> int:
    return int(ttl.total_seconds() // 60)


def reveal_text(request: TokenRequest, secret: Secret, usage: Usage | None = None) -> str:
    """The only place the shell prints a secret: to its requester, once."""
    draft = request.draft
    steps = (
        usage_text(usage)
        if usage is not None
        else "\n".join(f"  * {line}" for line in how_to_use(draft.token_type))
    )
    return (
        f"Your {PROFILES[draft.token_type].title} '{draft.name}' on {draft.target}"
        f" ({_until(draft.expires_on)}):\n\n"
        f"    {secret.reveal()}\n\n"
        "Copy it now: tokenbot has forgotten it and will not show it again.\n"
        f"How to use it:\n{steps}"
    )


def _delivery(request: TokenRequest) -> str:
    draft = request.draft
    if draft.delivery is Delivery.CI_VARIABLE:
        return f"CI/CD variable {draft.variable_key} of {draft.variable_project}"
    return DELIVERY_LABELS[draft.delivery]


def _left(expires_on: date | None, today: date) -> str:
    if expires_on is None:
        return "-"
    left = days_left(expires_on, today)
    return "expired" if left is None or left <= 0 else f"{left}d"


def _until(expires_on: date | None) -> str:
    if expires_on is None:
        return "no expiry date; its pipelines run with the rights of tokenbot's GitLab account"
    return f"expires on {expires_on.isoformat()}"


def slack_announced(announced: Announced | None, problem: str | None) -> str:
    """What Slack was told about a request made here."""
    if announced is None:
        return f"{problem or 'Slack was not updated'}: approvers there were not told."
    if announced.channel is None:
        return (
            "Slack refused its approval card, so tokenbot withdrew the request; nothing was"
            " created. Try again, or tell your tokenbot admin."
        )
    lines = [f"Its approval card is in Slack ({announced.channel})."]
    if announced.approvers:
        lines.append(f"Asked by direct message: {', '.join(announced.approvers)}.")
    if announced.nobody:
        lines.append(
            f"Nobody but you can approve it: tokenbot knows nobody else with"
            f" {announced.role.label} or higher there."
        )
        lines.append(
            f"Asked the fallback approvers: {', '.join(announced.fallback)}."
            if announced.fallback
            else "No fallback approvers are set (TOKENBOT_FALLBACK_APPROVERS), so it can"
            " only expire unless someone who may approve links their account."
        )
    return " ".join(lines)
