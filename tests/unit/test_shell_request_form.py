"""The terminal's request form: which fields it asks, what Enter keeps, the draft it makes."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from bot.domain.advice import Recommendation
from bot.domain.capabilities import Capability
from bot.domain.request_policy import RequestPolicy, TypeRule
from bot.domain.requests import Delivery, RequestDraft
from bot.domain.tokens import AccessLevel, Scope, TokenType
from bot.domain.tree import Target
from bot.shell.form_input import FieldError
from bot.shell.request_form import RequestForm, new_form

TODAY = date(2026, 11, 22)
T = TokenType


def _recommendation(token_type: TokenType, **changes: object) -> Recommendation:
    rec = Recommendation(
        token_type=token_type,
        title="Project access token",
        summary="",
        target=Target.PROJECT,
        capabilities=(Capability.CLONE,),
        scopes=(Scope.READ_REPOSITORY,),
        access_level=AccessLevel.REPORTER,
        lifetime_days=30,
        reasons=(),
        warnings=(),
        how_to=(),
        risk="low",
        leaf="leaf",
    )
    return replace(rec, **changes)  # type: ignore[arg-type]


def _form(**kwargs: object) -> RequestForm:
    return new_form(RequestPolicy(), today=TODAY, lifetime_days=90, **kwargs)  # type: ignore[arg-type]


def _fill(form: RequestForm, **answers: str) -> RequestForm:
    for name, text in answers.items():
        form.answer(name, text)
    return form


def test_an_empty_form_asks_everything_a_project_token_needs() -> None:
    form = _form()
    assert form.fields() == [
        "target", "token_type", "name", "scopes", "role", "expires_on", "reason", "delivery"
    ]  # fmt: skip
    assert form.missing() == ["target", "token_type", "name", "scopes", "role", "reason"]
    assert form.shown("expires_on") == "2027-02-20"  # today + the default lifetime


@pytest.mark.parametrize(
    ("token_type", "skipped"),
    [
        (T.PIPELINE_TRIGGER_TOKEN, {"scopes", "role", "expires_on"}),  # GitLab sets no date
        (T.DEPLOY_TOKEN, {"role"}),
        (T.SERVICE_ACCOUNT_PAT, {"role"}),
        (T.GROUP_ACCESS_TOKEN, set()),
    ],
)
def test_fields_a_token_type_does_not_take_are_not_asked(
    token_type: TokenType, skipped: set[str]
) -> None:
    form = _fill(_form(), token_type=token_type.value)
    everything = {"target", "token_type", "name", "scopes", "role", "expires_on", "reason"}
    assert set(form.fields()) == everything - skipped | {"delivery"}


def test_delivery_into_a_variable_asks_for_the_project_and_the_name() -> None:
    form = _fill(_form(), delivery="2")
    assert form.fields()[-2:] == ["variable_project", "variable_key"]


def test_the_scope_choices_are_those_of_the_type_that_policy_allows() -> None:
    rules = {T.DEPLOY_TOKEN: TypeRule(frozenset({Scope.READ_REGISTRY, Scope.READ_REPOSITORY}))}
    form = new_form(RequestPolicy(rules=rules), today=TODAY, lifetime_days=90)
    assert form.options("token_type") == [("deploy_token", "Deploy token")]
    _fill(form, token_type="1")
    assert form.options("scopes") == [
        ("read_repository", "read_repository"),
        ("read_registry", "read_registry"),
    ]


def test_a_recommendation_fills_type_scopes_role_and_lifetime() -> None:
    form = _form(recommendation=_recommendation(T.PROJECT_ACCESS_TOKEN))
    assert form.shown("token_type") == "Project access token"
    assert form.shown("scopes") == "read_repository"
    assert form.shown("role") == "Reporter"
    assert form.expires_on == date(2026, 12, 22)
    assert form.missing() == ["target", "name", "reason"]


def test_a_recommendation_tokenbot_cannot_issue_fills_only_the_lifetime() -> None:
    form = _form(recommendation=_recommendation(T.CI_JOB_TOKEN, lifetime_days=None))
    assert form.token_type is None
    assert form.scopes == ()
    assert form.expires_on == date(2027, 2, 20)


def test_enter_keeps_a_value_but_cannot_fill_an_empty_field() -> None:
    form = _form(recommendation=_recommendation(T.PROJECT_ACCESS_TOKEN))
    form.answer("role", "")
    assert form.role is AccessLevel.REPORTER
    with pytest.raises(FieldError, match="Name cannot be left empty"):
        form.answer("name", "  ")


def test_a_new_type_drops_scopes_it_cannot_carry() -> None:
    form = _fill(_form(), token_type="1", scopes="api,read_repository")
    form.answer("token_type", "deploy_token")
    assert form.scopes == (Scope.READ_REPOSITORY,)


def test_the_draft_leaves_out_what_the_type_does_not_take() -> None:
    rec = _recommendation(T.SERVICE_ACCOUNT_PAT, scopes=(Scope.READ_API,))
    form = _fill(
        _form(recommendation=rec),
        target="acme/",
        name=" ci-bot ",
        reason="Reads the API for the release notes",
        delivery="ci_variable",
        variable_project="/acme/tools",
        variable_key="RELEASE_TOKEN",
    )
    assert form.draft() == RequestDraft(
        token_type=T.SERVICE_ACCOUNT_PAT,
        target="acme",
        name="ci-bot",
        scopes=(Scope.READ_API,),
        access_level=None,  # the recommendation's role: service accounts get none here
        expires_on=date(2026, 12, 22),
        reason="Reads the API for the release notes",
        delivery=Delivery.CI_VARIABLE,
        variable_project="acme/tools",
        variable_key="RELEASE_TOKEN",
    )


def test_switching_back_to_reveal_forgets_the_variable() -> None:
    form = _fill(
        _form(recommendation=_recommendation(T.PROJECT_ACCESS_TOKEN)),
        delivery="2",
        variable_project="acme/tools",
        variable_key="KEY",
    )
    form.answer("delivery", "reveal")
    draft = form.draft()
    assert (draft.delivery, draft.variable_project, draft.variable_key) == (
        Delivery.REVEAL,
        None,
        None,
    )


def test_the_form_offers_the_roles_and_lifetime_the_policy_allows_for_the_type() -> None:
    project = TypeRule(
        frozenset({Scope.READ_API, Scope.API}),
        roles=frozenset({AccessLevel.REPORTER, AccessLevel.DEVELOPER}),
        max_lifetime_days=60,
        default_lifetime_days=14,
    )
    group = TypeRule(
        frozenset({Scope.READ_API}), max_lifetime_days=30, roles=frozenset({AccessLevel.OWNER})
    )
    policy = RequestPolicy(rules={T.GROUP_ACCESS_TOKEN: group, T.PROJECT_ACCESS_TOKEN: project})
    form = new_form(policy, today=TODAY, lifetime_days=90)
    assert [v for v, _ in form.options("token_type") or []] == [
        "project_access_token",
        "group_access_token",
    ]
    _fill(form, token_type="project_access_token", role="developer")
    assert form.options("role") == [("20", "Reporter"), ("30", "Developer")]
    assert form.expires_on == date(2026, 12, 6)  # the type's default: 14 days
    _fill(form, token_type="group_access_token")
    assert form.expires_on == date(2026, 12, 22)  # the group maximum caps the default of 90
    assert form.role is None  # policy gives group tokens Owner only
    assert form.options("scopes") == [("read_api", "read_api")]


def test_a_typed_date_is_kept_when_the_type_changes() -> None:
    form = _fill(_form(), token_type="deploy_token", expires_on="+10")
    _fill(form, token_type="group_access_token")
    assert form.expires_on == date(2026, 12, 2)
