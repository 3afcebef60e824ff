"""The request modal: built to offer only what policy allows (and, once GitLab told the form
about the target, only what fits there), and its answers read back into a draft or into
per-field problems (the policy itself is checked by the use case)."""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.domain.request_policy import UNDATED, Problem, RequestPolicy
from bot.domain.requests import Delivery, RequestDraft
from bot.domain.target_kinds import types_for_kind
from bot.domain.tokens import ROLE_BEARING, AccessLevel, Scope, TokenType
from bot.services.form_facts import TargetFacts, roles_up_to
from bot.slack import text as t
from bot.slack.blocks.request_forms import FormValues
from bot.slack.blocks.request_status import nothing_to_request_modal
from bot.slack.blocks.requests import request_modal
from bot.slack.form_metadata import encode_facts
from bot.slack.parse import form_value

ERROR_LENGTH = 150  # what Slack shows of a field's error (response_action: errors)


@dataclass(frozen=True, slots=True)
class FormState:
    """What the form holds besides the policy: choices, typed values, facts, problems."""

    token_type: TokenType | None = None
    scopes: tuple[Scope, ...] = ()
    role: AccessLevel | None = None
    lifetime_days: int | None = None
    values: FormValues = field(default_factory=FormValues)
    facts: TargetFacts | None = None
    problems: Mapping[str, str] | None = None
    replaces: str | None = None  # the tracked token's key, for Replace with a narrower token


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
    state = FormState(token_type, scopes, role, lifetime_days)
    return state_form(policy, today=today, default_days=default_days, state=state)


def state_form(
    policy: RequestPolicy, *, today: date, default_days: int, state: FormState
) -> dict[str, Any]:
    """The request modal for `state`: the types that fit the target's kind when the form
    knows it, the scopes and roles of the chosen type (no role above the requester's there)."""
    if not policy.types:
        return nothing_to_request_modal()
    facts, problems = state.facts, dict(state.problems or {})
    types = types_for_kind(policy.types, facts.kind if facts else None)
    if facts is not None and not types:
        types = policy.types
        problems.setdefault("target", f"tokenbot issues nothing that lives in a {facts.kind}")
    kind = state.token_type if state.token_type in types else None
    if kind is None:
        scope_choices = [s for s in Scope if any(s in policy.scopes_for(t) for t in types)]
        roles = [r for r in AccessLevel if any(r in policy.roles_for(t) for t in types)]
        longest, days = None, state.lifetime_days or default_days
    else:
        scope_choices, roles = list(policy.scopes_for(kind)), list(policy.roles_for(kind))
        rule = policy.rules[kind]
        longest = rule.max_lifetime_days
        days = min(state.lifetime_days or rule.lifetime_default, longest)
    role_choices = roles_up_to(roles, facts)
    with_role = bool(role_choices) and (kind is None or kind in ROLE_BEARING)
    return request_modal(
        today=today,
        types=types,
        token_type=kind,
        scopes=tuple(s for s in state.scopes if s in scope_choices),
        role=state.role if state.role in role_choices else None,
        lifetime_days=days,
        max_lifetime_days=longest,
        scope_choices=scope_choices,
        role_choices=role_choices,
        with_role=with_role,
        values=state.values,
        problems=problems,
        metadata=encode_facts(facts, replaces=state.replaces),
    )


class OpeningForms:
    """The request modal as it first opens, drawn once per policy, day, default lifetime and
    prefill, then handed out as a fresh copy. Drawing it through slack_sdk's Block Kit objects
    (building and validating every element) costs about 2 ms of the ack's CPU; parsing the
    drawn JSON again about a tenth of that, and the copy is the caller's to change.

    Only forms that know nothing yet (no values, facts, problems) are kept: those are the
    same for everyone. `policy` is the configured policy (its identity is part of the key);
    `offered` the part this GitLab can make now (its types are too).
    """

    LIMIT = 256  # kept forms; a day's prefills from the advisor are a few dozen

    def __init__(self) -> None:
        self._drawn: dict[tuple[Any, ...], tuple[RequestPolicy, str]] = {}
        self._lock = threading.Lock()

    def form(
        self,
        policy: RequestPolicy,
        offered: RequestPolicy,
        *,
        today: date,
        default_days: int,
        state: FormState,
    ) -> dict[str, Any]:
        if state != FormState(state.token_type, state.scopes, state.role, state.lifetime_days):
            return state_form(offered, today=today, default_days=default_days, state=state)
        key = (id(policy), offered.types, today, default_days, state)
        with self._lock:
            kept = self._drawn.get(key)
        if kept is not None and kept[0] is policy:
            drawn: dict[str, Any] = json.loads(kept[1])
            return drawn
        view = state_form(offered, today=today, default_days=default_days, state=state)
        with self._lock:
            if len(self._drawn) >= self.LIMIT:
                self._drawn.clear()
            self._drawn[key] = (policy, json.dumps(view))
        return view


def form_values(view: Mapping[str, Any]) -> FormValues:
    """The typed and picked values of a submitted or changed form (blank where none)."""

    def text(block: str) -> str:
        value = form_value(view, block)
        return value if isinstance(value, str) else ""

    delivery = next((d for d in Delivery if d.value == text("delivery")), Delivery.REVEAL)
    return FormValues(
        target=text("target"),
        name=text("name"),
        reason=text("reason"),
        expires_on=text("expires_on"),
        delivery=delivery,
        variable_project=text("variable_project"),
        variable_key=text("variable_key"),
    )


def read_draft(view: Mapping[str, Any]) -> RequestDraft | list[Problem]:
    """The draft the form holds, or every problem reading it found (all at once)."""
    values = form_values(view)
    problems: list[Problem] = []
    raw_type = form_value(view, "token_type")
    token_type = next((k for k in TokenType if k.value == raw_type), None)
    if token_type is None:
        problems.append(Problem("token_type", "choose a token type"))
    raw_scopes = form_value(view, "scopes")
    known = {s.value for s in Scope}
    picked = raw_scopes if isinstance(raw_scopes, list) else []
    scopes = tuple(Scope(s) for s in picked if s in known)
    if len(scopes) != len(picked):
        problems.append(Problem("scopes", "choose scopes from the list"))
    raw_role = form_value(view, "role")
    role = _role(raw_role if isinstance(raw_role, str) else "", problems)
    expires_on = None
    if token_type is not None and token_type not in UNDATED:
        expires_on = _date(values.expires_on, problems)
    if problems or token_type is None:
        return problems
    variable = values.delivery is Delivery.CI_VARIABLE
    return RequestDraft(
        token_type=token_type,
        target=values.target.strip("/"),
        name=values.name,
        scopes=scopes,
        access_level=role,
        expires_on=expires_on,
        reason=values.reason,
        delivery=values.delivery,
        variable_project=(values.variable_project or None) if variable else None,
        variable_key=(values.variable_key or None) if variable else None,
    )


def slack_errors(problems: Sequence[Problem], view: Mapping[str, Any]) -> dict[str, str]:
    """`response_action: errors` for these problems: one message per input block of the
    view (a problem about a field it does not show goes under the token type), bounded."""
    shown = {
        b.get("block_id")
        for b in view.get("blocks", [])
        if isinstance(b, Mapping) and b.get("type") == "input"
    }
    errors: dict[str, str] = {}
    for problem in problems:
        name = problem.field if problem.field in shown else "token_type"
        errors[name] = "; ".join(filter(None, [errors.get(name), problem.message]))
    return {name: t.clip(words, ERROR_LENGTH) for name, words in errors.items()}


def problem_map(problems: Sequence[Problem]) -> dict[str, str]:
    """Field -> the plain words to show under it in the form drawn again."""
    shown: dict[str, str] = {}
    for problem in problems:
        shown[problem.field] = "; ".join(filter(None, [shown.get(problem.field), problem.message]))
    return shown


def _date(text: str, problems: list[Problem]) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        problems.append(Problem("expires_on", "pick a date"))
        return None


def _role(value: str, problems: list[Problem]) -> AccessLevel | None:
    if not value:
        return None
    try:
        return AccessLevel(int(value))
    except ValueError:
        problems.append(Problem("role", "choose a role from the list"))
        return None
