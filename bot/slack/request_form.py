"""Turning the request modal's answers into a draft, or into per-field problems."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from bot.domain.request_policy import Problem
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
    scopes = tuple(Scope(s) for s in raw_scopes) if isinstance(raw_scopes, list) else ()
    role = AccessLevel(int(text("role"))) if text("role") else None
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
        delivery=Delivery(text("delivery") or Delivery.REVEAL.value),
        variable_project=text("variable_project") or None,
        variable_key=text("variable_key") or None,
    )
