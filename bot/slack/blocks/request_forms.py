"""Block Kit for the token request's forms: the request itself, and an approver's denial."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    DatePickerElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    RadioButtonsElement,
    SectionBlock,
    StaticMultiSelectElement,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.domain.profiles import PROFILES
from bot.domain.request_policy import REQUESTABLE, UNDATED
from bot.domain.requests import Delivery
from bot.domain.tokens import AccessLevel, Scope, TokenType
from bot.slack import ids
from bot.slack.blocks import limits

DELIVERY = {
    Delivery.REVEAL: "Show it to me once",
    Delivery.CI_VARIABLE: "Put it into a masked, protected CI/CD variable",
}


def request_modal(
    *,
    today: date,
    types: Sequence[TokenType] = REQUESTABLE,
    token_type: TokenType | None = None,
    scopes: tuple[Scope, ...] = (),
    role: AccessLevel | None = None,
    lifetime_days: int = 90,
    max_lifetime_days: int | None = None,
    scope_choices: Sequence[Scope] | None = None,
    role_choices: Sequence[AccessLevel] | None = None,
    with_role: bool = True,
) -> dict[str, Any]:
    """The request form; fields the advisor already knows are filled in.

    It offers only what policy allows: `types`, `scope_choices` (None: every scope) and
    `role_choices` (None: every role); with no scopes, and without a role, those fields are
    left out. `max_lifetime_days` is said beside the date. Choosing a type updates the form
    (the type select dispatches an action).
    """
    options = [Option(value=t.value, label=PROFILES[t].title) for t in types]
    blocks: list[Block] = [
        _text_input("target", "Project or group path", limits.TARGET_MAX_LENGTH, "group/project"),
        InputBlock(
            block_id="token_type",
            label="Token type",
            dispatch_action=True,
            element=StaticSelectElement(
                action_id="value",
                options=options,
                initial_option=_pick(options, token_type.value if token_type else None),
            ),
        ),
        _text_input("name", "Name", limits.NAME_MAX_LENGTH, "what uses it, e.g. ci-release"),
        *_power_inputs(scopes, role, scope_choices, role_choices if with_role else ()),
        *_expiry_inputs(today, lifetime_days, max_lifetime_days, token_type),
        _text_input("reason", "Reason", limits.REASON_MAX_LENGTH, multiline=True),
        *_delivery_inputs(),
    ]
    view = View(
        type="modal",
        callback_id=ids.REQUEST_SUBMIT,
        title="Request a GitLab token",
        submit="Request",
        close="Cancel",
        blocks=blocks,
    )
    return view.to_dict()


NOTHING_TO_REQUEST = (
    "Nothing can be requested here: the request policy (TOKENBOT_POLICY) allows no token type"
    " that this GitLab can make. Ask the people who run tokenbot; `tokenbot check` lists what"
    " this GitLab can do."
)


def nothing_to_request_modal() -> dict[str, Any]:
    """In place of the form when no type may be requested: a select needs options."""
    view = View(
        type="modal",
        callback_id=ids.REQUEST_SUBMIT,
        title="Request a GitLab token",
        close="Close",
        blocks=[SectionBlock(text=NOTHING_TO_REQUEST)],
    )
    return view.to_dict()


def _expiry_inputs(
    today: date, lifetime_days: int, max_days: int | None, token_type: TokenType | None
) -> list[Block]:
    """The date it stops working; none for a credential GitLab does not expire."""
    if token_type in UNDATED:
        return []
    first = (today + timedelta(days=lifetime_days)).isoformat()
    picker = DatePickerElement(action_id="value", initial_date=first)
    hint = None
    if max_days is not None:
        last = (today + timedelta(days=max_days)).isoformat()
        hint = f"At most {max_days} days from today: {last} or sooner."
    return [_input("expires_on", "Expires on", picker, hint=hint)]


def deny_modal(request_id: str) -> dict[str, Any]:
    view = View(
        type="modal",
        callback_id=ids.DENY_SUBMIT,
        title="Deny the request",
        submit="Deny",
        close="Cancel",
        private_metadata=request_id,
        blocks=[
            _text_input("deny_reason", "Reason", limits.DENY_REASON_MAX_LENGTH, multiline=True)
        ],
    )
    return view.to_dict()


def _power_inputs(
    scopes: tuple[Scope, ...],
    role: AccessLevel | None,
    scope_choices: Sequence[Scope] | None,
    role_choices: Sequence[AccessLevel] | None,
) -> list[Block]:
    """Scopes and role, from the choices given (None: all of them; empty: no field)."""
    choices = list(Scope) if scope_choices is None else list(scope_choices)
    scope_options = [Option(value=s.value, label=s.value) for s in choices]
    levels = list(AccessLevel) if role_choices is None else list(role_choices)
    roles = [Option(value=str(int(r)), label=r.label) for r in levels]
    blocks: list[Block] = []
    if scope_options:
        initial = [o for o in scope_options if o.value in scopes] or None
        select = StaticMultiSelectElement(
            action_id="value", options=scope_options, initial_options=initial
        )
        blocks.append(_input("scopes", "Scopes", select, optional=True))
    if roles:
        chosen = _pick(roles, str(int(role)) if role else None)
        select_role = StaticSelectElement(action_id="value", options=roles, initial_option=chosen)
        blocks.append(_input("role", "Role", select_role, optional=True))
    return blocks


def _delivery_inputs() -> list[Block]:
    delivery = [Option(value=d.value, label=label) for d, label in DELIVERY.items()]
    return [
        _input(
            "delivery",
            "Delivery",
            RadioButtonsElement(action_id="value", options=delivery, initial_option=delivery[0]),
        ),
        _text_input(
            "variable_project",
            "CI/CD variable project",
            limits.VARIABLE_PROJECT_MAX_LENGTH,
            "only for delivery into a variable",
            optional=True,
        ),
        _text_input(
            "variable_key",
            "CI/CD variable name",
            limits.VARIABLE_KEY_MAX_LENGTH,
            "e.g. RELEASE_TOKEN",
            optional=True,
        ),
    ]


def _text_input(
    block_id: str,
    label: str,
    max_length: int,
    placeholder: str | None = None,
    *,
    multiline: bool = False,
    optional: bool = False,
) -> InputBlock:
    element = PlainTextInputElement(
        action_id="value",
        placeholder=placeholder,
        multiline=multiline or None,
        max_length=max_length,
    )
    return _input(block_id, label, element, optional=optional)


def _input(
    block_id: str, label: str, element: Any, *, optional: bool = False, hint: str | None = None
) -> InputBlock:
    return InputBlock(block_id=block_id, label=label, element=element, optional=optional, hint=hint)


def _pick(options: list[Option], value: str | None) -> Option | None:
    return next((o for o in options if o.value == value), None)
