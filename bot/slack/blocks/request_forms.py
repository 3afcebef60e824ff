"""Block Kit for the token request's forms: the request itself, and an approver's denial."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    DatePickerElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    RadioButtonsElement,
    StaticMultiSelectElement,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.domain.profiles import PROFILES
from bot.domain.request_policy import REQUESTABLE, UNDATED
from bot.domain.requests import Delivery
from bot.domain.tokens import AccessLevel, Scope, TokenType
from bot.slack import ids
from bot.slack import text as t
from bot.slack.blocks import limits, parts

FIELD_LABELS = {  # the fields' labels, as problems are listed outside the form
    "target": "Project or group path",
    "token_type": "Token type",
    "name": "Name",
    "scopes": "Scopes",
    "role": "Role",
    "expires_on": "Expires on",
    "reason": "Reason",
    "delivery": "Delivery",
    "variable_project": "CI/CD variable project",
    "variable_key": "CI/CD variable name",
}
PROBLEM_BLOCK = "problem."  # + the field: a problem shown under it after GitLab's check
PROBLEM_LENGTH = 600
DELIVERY = {
    Delivery.REVEAL: "Show it to me once",
    Delivery.CI_VARIABLE: "Put it into a masked, protected CI/CD variable",
}


@dataclass(frozen=True, slots=True)
class FormValues:
    """What the person typed or picked in the text, date and delivery fields (the form is
    drawn again with them after "Checking with GitLab…", which had no inputs to keep)."""

    target: str = ""
    name: str = ""
    reason: str = ""
    expires_on: str = ""  # YYYY-MM-DD, or empty for the type's default date
    delivery: Delivery = Delivery.REVEAL
    variable_project: str = ""
    variable_key: str = ""


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
    values: FormValues = FormValues(),
    problems: Mapping[str, str] | None = None,
    metadata: str = "",
) -> dict[str, Any]:
    """The request form; fields the advisor or the person already filled in are kept.

    It offers only what policy allows: `types`, `scope_choices` (None: every scope) and
    `role_choices` (None: every role); with no scopes, and without a role, those fields are
    left out, and the CI/CD variable fields are there only for that delivery. Giving the path
    (Enter), choosing a type or a delivery updates the form (those inputs dispatch actions).
    `problems` (field -> plain words) are shown under their fields; `metadata` is the view's
    private_metadata (what the form learned from GitLab).
    """
    options = [Option(value=t.value, label=PROFILES[t].title) for t in types]
    inputs: list[InputBlock] = [
        _path_input(values.target),
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
        _text_input(
            "name",
            "Name",
            limits.NAME_MAX_LENGTH,
            "what uses it, e.g. ci-release",
            initial=values.name,
        ),
        *_power_inputs(scopes, role, scope_choices, role_choices if with_role else ()),
        *_expiry_inputs(today, lifetime_days, max_lifetime_days, token_type, values.expires_on),
        _text_input(
            "reason", "Reason", limits.REASON_MAX_LENGTH, multiline=True, initial=values.reason
        ),
        *_delivery_inputs(values),
    ]
    view = View(
        type="modal",
        callback_id=ids.REQUEST_SUBMIT,
        title="Request a GitLab token",
        submit="Request",
        close="Cancel",
        private_metadata=metadata or None,
        blocks=_with_problems(inputs, problems or {}),
    )
    return view.to_dict()


def _with_problems(inputs: list[InputBlock], problems: Mapping[str, str]) -> list[Block]:
    """The inputs, each problem in a context block under its field, and a line on top."""
    if not problems:
        return list(inputs)
    count = len(problems)
    blocks: list[Block] = [
        parts.section(
            f":warning: Not sent yet: {count} thing{'s' if count > 1 else ''} to fix, marked"
            " below. Fix them and press Request again."
        )
    ]
    shown = {b.block_id for b in inputs}
    for block in inputs:
        blocks.append(block)
        if block.block_id in problems:
            blocks.append(_problem(str(block.block_id), problems[str(block.block_id)]))
    for name, words in problems.items():
        if name not in shown:  # a field the form does not show (a forged answer)
            blocks.insert(1, _problem(name, words))
    return blocks


def _problem(field: str, words: str) -> ContextBlock:
    block = parts.context(f":warning: {t.prose(words, PROBLEM_LENGTH)}")
    block.block_id = f"{PROBLEM_BLOCK}{field}"
    return block


def _expiry_inputs(
    today: date,
    lifetime_days: int,
    max_days: int | None,
    token_type: TokenType | None,
    picked: str = "",
) -> list[InputBlock]:
    """The date it stops working; none for a credential GitLab does not expire."""
    if token_type in UNDATED:
        return []
    first = picked or (today + timedelta(days=lifetime_days)).isoformat()
    picker = DatePickerElement(action_id="value", initial_date=first)
    hint = None
    if max_days is not None:
        last = (today + timedelta(days=max_days)).isoformat()
        hint = f"At most {max_days} days from today: {last} or sooner."
    return [_input("expires_on", "Expires on", picker, hint=hint)]


DENY_TITLE = "Deny the request"


def deny_modal(request_id: str) -> dict[str, Any]:
    view = View(
        type="modal",
        callback_id=ids.DENY_SUBMIT,
        title=DENY_TITLE,
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
) -> list[InputBlock]:
    """Scopes and role, from the choices given (None: all of them; empty: no field)."""
    choices = list(Scope) if scope_choices is None else list(scope_choices)
    scope_options = [Option(value=s.value, label=s.value) for s in choices]
    levels = list(AccessLevel) if role_choices is None else list(role_choices)
    roles = [Option(value=str(int(r)), label=r.label) for r in levels]
    blocks: list[InputBlock] = []
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


def _path_input(typed: str) -> InputBlock:
    """The target path; Enter sends it, and the form then offers the types that fit there."""
    element = PlainTextInputElement(
        action_id="value",
        placeholder="group/project",
        max_length=limits.TARGET_MAX_LENGTH,
        initial_value=typed[: limits.TARGET_MAX_LENGTH] or None,
        dispatch_action_config={"trigger_actions_on": ["on_enter_pressed"]},
    )
    return InputBlock(
        block_id="target",
        label="Project or group path",
        element=element,
        dispatch_action=True,
        hint="Press Enter: the form then offers only what fits that project or group.",
    )


def _delivery_inputs(values: FormValues) -> list[InputBlock]:
    """How the secret is delivered; the variable's fields only for delivery into one."""
    delivery = [Option(value=d.value, label=label) for d, label in DELIVERY.items()]
    chosen = _pick(delivery, values.delivery.value)
    blocks: list[InputBlock] = [
        InputBlock(
            block_id="delivery",
            label="Delivery",
            dispatch_action=True,
            element=RadioButtonsElement(
                action_id="value", options=delivery, initial_option=chosen or delivery[0]
            ),
        )
    ]
    if values.delivery is not Delivery.CI_VARIABLE:
        return blocks
    return [
        *blocks,
        _text_input(
            "variable_project",
            "CI/CD variable project",
            limits.VARIABLE_PROJECT_MAX_LENGTH,
            "the project that gets the variable, e.g. acme/web/storefront",
            initial=values.variable_project,
        ),
        _text_input(
            "variable_key",
            "CI/CD variable name",
            limits.VARIABLE_KEY_MAX_LENGTH,
            "letters, digits and _, e.g. RELEASE_TOKEN",
            initial=values.variable_key,
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
    initial: str = "",
) -> InputBlock:
    element = PlainTextInputElement(
        action_id="value",
        placeholder=placeholder,
        multiline=multiline or None,
        max_length=max_length,
        initial_value=initial[:max_length] or None,  # a forged answer can be longer
    )
    return _input(block_id, label, element, optional=optional)


def _input(
    block_id: str, label: str, element: Any, *, optional: bool = False, hint: str | None = None
) -> InputBlock:
    return InputBlock(block_id=block_id, label=label, element=element, optional=optional, hint=hint)


def _pick(options: list[Option], value: str | None) -> Option | None:
    return next((o for o in options if o.value == value), None)
