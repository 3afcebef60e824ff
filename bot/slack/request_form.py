"""Turning the request modal's answers into a draft, or into per-field problems."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from bot.domain.request_policy import UNDATED, Problem
from bot.domain.requests import Delivery, RequestDraft
from bot.domain.tokens import AccessLevel, Scope, TokenType
from bot.slack.parse import form_value


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
