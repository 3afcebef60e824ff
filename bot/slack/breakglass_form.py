"""The break-glass form: built from what the request policy offers, read back into a draft
(the use case checks it; anything the form did not offer is refused there by field)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.domain.request_policy import UNDATED, Problem, RequestPolicy
from bot.domain.requests import RequestDraft
from bot.domain.tokens import AccessLevel, Scope, TokenType
from bot.services.request_deps import RequestRejected
from bot.slack.blocks.breakglass import breakglass_modal
from bot.slack.parse import form_value

FIELDS = frozenset({"target", "token_type", "name", "scopes", "role", "reason"})
_SCOPES = {s.value: s for s in Scope}
_ROLES = {str(int(r)): r for r in AccessLevel}


def breakglass_form(policy: RequestPolicy, *, hours: int) -> dict[str, Any]:
    """Types that GitLab expires (a short life is the point), with the union of their scopes
    and roles; the use case holds each type to its own."""
    types = [k for k in policy.types if k not in UNDATED]
    scopes = [s for s in Scope if any(s in policy.scopes_for(k) for k in types)]
    roles = [r for r in AccessLevel if any(r in policy.roles_for(k) for k in types)]
    return breakglass_modal(types=types, scopes=scopes, roles=roles, hours=hours)


def read_breakglass_draft(view: Mapping[str, Any]) -> RequestDraft:
    """The draft the form holds (RequestRejected names what it cannot be read as)."""

    def text(block: str) -> str:
        value = form_value(view, block)
        return value if isinstance(value, str) else ""

    problems: list[Problem] = []
    kind = next((k for k in TokenType if k.value == text("token_type")), None)
    if kind is None:
        problems.append(Problem("token_type", "choose a token type"))
    picked = form_value(view, "scopes")
    listed = picked if isinstance(picked, list) else []
    scopes = tuple(_SCOPES[s] for s in listed if s in _SCOPES)
    if len(scopes) != len(listed):
        problems.append(Problem("scopes", "choose scopes from the list"))
    role = _ROLES.get(text("role")) if text("role") else None
    if text("role") and role is None:
        problems.append(Problem("role", "choose a role from the list"))
    if problems or kind is None:
        raise RequestRejected(problems)
    return RequestDraft(
        token_type=kind,
        target=text("target").strip("/"),
        name=text("name"),
        scopes=scopes,
        access_level=role,
        expires_on=None,  # break-glass sets it
        reason=text("reason"),
    )


def field_errors(problems: list[Problem]) -> dict[str, str]:
    """Problems as Slack's per-block errors; one about a field this form lacks (its expiry
    under a policy's maximum, say) is shown on the token type."""
    errors: dict[str, str] = {}
    for problem in problems:
        where = problem.field if problem.field in FIELDS else "token_type"
        errors[where] = (errors[where] + "; " if where in errors else "") + problem.message
    return {k: v[:150] for k, v in errors.items()}
