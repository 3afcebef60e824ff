"""The request modal: built to offer only what policy allows, and its answers read back
into a draft or into per-field problems (the policy itself is checked by the use case)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from bot.domain.request_policy import UNDATED, Problem, RequestPolicy
from bot.domain.requests import Delivery, RequestDraft
from bot.domain.tokens import ROLE_BEARING, AccessLevel, Scope, TokenType
from bot.slack.blocks.request_forms import nothing_to_request_modal
from bot.slack.blocks.requests import request_modal
from bot.slack.parse import form_value


def policy_form(
    policy: RequestPolicy,
    *,
    today: date,
    default_days: int,
    token_type: TokenType | None,
    scopes: tuple[Scope, ...] = (),
    role: AccessLevel | None = None,
    lifetime_days: int | None = None,
) -> dict[str, Any]:
    """The request modal offering the types, scopes, roles and lifetime policy allows: for
    the chosen type, or (before one is chosen) what any allowed type may have."""
    types = policy.types
    if not types:
        return nothing_to_request_modal()
    kind = token_type if token_type in types else None
    if kind is None:
        scope_choices = [s for s in Scope if any(s in policy.scopes_for(t) for t in types)]
        role_choices = [r for r in AccessLevel if any(r in policy.roles_for(t) for t in types)]
        longest, days = None, lifetime_days or default_days
    else:
        scope_choices, role_choices = list(policy.scopes_for(kind)), list(policy.roles_for(kind))
        rule = policy.rules[kind]
        longest = rule.max_lifetime_days
        days = min(lifetime_days or rule.lifetime_default, longest)
    with_role = bool(role_choices) and (kind is None or kind in ROLE_BEARING)
    return request_modal(
        today=today,
        types=types,
        token_type=kind,
        scopes=tuple(s for s in scopes if s in scope_choices),
        role=role if role in role_choices else None,
        lifetime_days=days,
        max_lifetime_days=longest,
        scope_choices=scope_choices,
        role_choices=role_choices,
        with_role=with_role,
    )


def read_draft(view: Mapping[str, Any]) -> RequestDraft | list[Problem]:
    def text(block: str) -> str:
        value = form_value(view, block)
        return value if isinstance(value, str) else ""

    problems: list[Problem] = []
    try:
        token_type = TokenType(text("token_type"))
    except ValueError:
        problems.append(Problem("token_type", "choose a token type"))
    raw_scopes = form_value(view, "scopes")
    known = {s.value for s in Scope}
    picked = raw_scopes if isinstance(raw_scopes, list) else []
    scopes = tuple(Scope(s) for s in picked if s in known)
    if len(scopes) != len(picked):
        problems.append(Problem("scopes", "choose scopes from the list"))
    role = _role(text("role"), problems)
    delivery = next((d for d in Delivery if d.value == text("delivery")), Delivery.REVEAL)
    expires_on: date | None = None
    if not problems and token_type not in UNDATED:
        try:
            expires_on = date.fromisoformat(text("expires_on"))
        except ValueError:
            problems.append(Problem("expires_on", "pick a date"))
    if problems:
        return problems
    return RequestDraft(
        token_type=token_type,
        target=text("target").strip("/"),
        name=text("name"),
        scopes=scopes,
        access_level=role,
        expires_on=expires_on,
        reason=text("reason"),
        delivery=delivery,
        variable_project=text("variable_project") or None,
        variable_key=text("variable_key") or None,
    )


def _role(value: str, problems: list[Problem]) -> AccessLevel | None:
    if not value:
        return None
    try:
        return AccessLevel(int(value))
    except ValueError:
        problems.append(Problem("role", "choose a role from the list"))
        return None
