"""Issue 15's "one round": every problem with a request said together, in plain words;
what the form learned of the target (kind, the requester's role) narrows what it offers and
refuses before the ack; one request per submit key; the terminal's form narrows the same."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from bot.domain.credentials import NamespaceKind
from bot.domain.request_policy import Problem, RequestPolicy
from bot.domain.requests import Delivery, RequestDraft
from bot.domain.target_kinds import kind_problem, types_for_kind
from bot.domain.tokens import AccessLevel, Scope, TokenType
from bot.services.form_facts import TargetFacts, known_problems, learn_target, roles_up_to
from bot.services.people import Person
from bot.services.request_deps import RequestDeps, RequestRejected
from bot.services.token_requests import submit_once
from bot.shell.request_form import new_form
from bot.slack.form_metadata import decode_facts, encode_facts
from bot.slack.request_form import FormState, slack_errors, state_form
from tests.fake_gitlab import FakeGitLab
from tests.fakes import FakeRequestUnitOfWork

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
ADA = Person("U0ADA", 11)  # Developer of acme/api and of acme
T = TokenType
ALL_TYPES = (
    T.PROJECT_ACCESS_TOKEN,
    T.GROUP_ACCESS_TOKEN,
    T.SERVICE_ACCOUNT_PAT,
    T.DEPLOY_TOKEN,
    T.PIPELINE_TRIGGER_TOKEN,
)


@pytest.fixture
def uow() -> FakeRequestUnitOfWork:
    return FakeRequestUnitOfWork()


@pytest.fixture
def deps(uow: FakeRequestUnitOfWork) -> RequestDeps:
    gitlab = FakeGitLab()
    gitlab.group("acme")
    gitlab.project("acme/api")
    gitlab.project("acme/docs")
    gitlab.member(ADA.gitlab_id, "acme/api", AccessLevel.DEVELOPER)
    gitlab.member(ADA.gitlab_id, "acme", AccessLevel.DEVELOPER)
    ids = (f"req{n}" for n in itertools.count(1))
    return RequestDeps(
        uow=uow,  # type: ignore[arg-type]
        gitlab=gitlab,  # type: ignore[arg-type]
        policy=RequestPolicy(),
        clock=lambda: NOW,
        new_id=lambda: next(ids),
    )


def _draft(**changes: object) -> RequestDraft:
    draft = RequestDraft(
        T.PROJECT_ACCESS_TOKEN,
        "acme/api",
        "ci-reader",
        (Scope.READ_API,),
        AccessLevel.REPORTER,
        date(2026, 12, 22),
        "CI reads the API to build release notes",
    )
    return replace(draft, **changes)  # type: ignore[arg-type]


def _problems(deps: RequestDeps, draft: RequestDraft) -> dict[str, str]:
    with pytest.raises(RequestRejected) as caught:
        submit_once(ADA, draft, deps=deps)
    return {p.field: p.message for p in caught.value.problems}


def test_policy_and_gitlab_problems_are_said_together(deps: RequestDeps) -> None:
    """Issue 15: an Owner role above the requester's, an expiry in 2020, an empty reason and
    the variable project's role came one round at a time."""
    draft = _draft(
        access_level=AccessLevel.OWNER,
        expires_on=date(2020, 6, 1),
        reason="",
        delivery=Delivery.CI_VARIABLE,
        variable_project="acme/docs",
        variable_key="BAD-NAME",
    )
    found = _problems(deps, draft)
    assert set(found) == {"role", "expires_on", "reason", "variable_key", "variable_project"}
    assert "you are Developer on acme/api" in found["role"]
    assert "Maintainer" in found["variable_project"]


def test_variable_fields_are_not_read_unless_the_secret_goes_into_a_variable(
    deps: RequestDeps, uow: FakeRequestUnitOfWork
) -> None:
    draft = _draft(variable_project="no/such/project", variable_key="not a key!")
    request, new = submit_once(ADA, draft, deps=deps)
    assert new
    assert request.draft.variable_project is None
    assert request.draft.variable_key is None


def test_a_project_type_for_a_group_is_refused_in_the_forms_words(deps: RequestDeps) -> None:
    found = _problems(deps, _draft(target="acme"))
    assert found == {
        "token_type": "A project access token lives in a project; acme is a group. Choose a"
        " group access token, a service account personal access token or a deploy token,"
        " or give a project path."
    }


def test_the_same_submission_key_stores_one_request(
    deps: RequestDeps, uow: FakeRequestUnitOfWork
) -> None:
    first, stored = submit_once(ADA, _draft(), deps=deps, submission="slack:T:U:V1:h1")
    again, stored_again = submit_once(ADA, _draft(), deps=deps, submission="slack:T:U:V1:h1")
    assert (stored, stored_again) == (True, False)
    assert again == first
    assert list(uow.store.requests) == [first.id]
    other = _problems(deps, _draft())  # another submit of the same name there is a duplicate
    assert "open request" in other["name"]


@pytest.mark.parametrize(
    ("kind", "offered"),
    [
        (NamespaceKind.GROUP, [T.GROUP_ACCESS_TOKEN, T.SERVICE_ACCOUNT_PAT, T.DEPLOY_TOKEN]),
        (NamespaceKind.PROJECT, [T.PROJECT_ACCESS_TOKEN, T.DEPLOY_TOKEN, T.PIPELINE_TRIGGER_TOKEN]),
        (None, list(ALL_TYPES)),
    ],
)
def test_types_fit_the_kind_of_target(kind: NamespaceKind | None, offered: list[T]) -> None:
    assert list(types_for_kind(ALL_TYPES, kind)) == offered


def test_a_deploy_token_fits_both_kinds() -> None:
    for kind in NamespaceKind:
        assert kind_problem(T.DEPLOY_TOKEN, kind, "acme", ALL_TYPES) is None


def test_facts_refuse_a_role_above_the_requesters_without_asking_gitlab(
    deps: RequestDeps,
) -> None:
    facts = learn_target(ADA, "/acme/api/", deps)
    # Neither the port nor the gate can reach GitLab: asking would raise.
    gate = replace(deps.gate, gitlab=None)  # type: ignore[arg-type]
    unreachable = replace(deps, gitlab=None, gate=gate)  # type: ignore[arg-type]
    assert facts is not None
    assert (facts.kind, facts.role) == (NamespaceKind.PROJECT, AccessLevel.DEVELOPER)
    above = _draft(access_level=AccessLevel.MAINTAINER)
    found = known_problems(above, facts, ADA.chat_id, unreachable)
    assert [p.field for p in found] == ["role"]
    assert known_problems(_draft(), facts, ADA.chat_id, unreachable) == []
    assert known_problems(_draft(target="acme/docs"), facts, ADA.chat_id, unreachable) == []
    assert known_problems(_draft(), facts, "U0SOMEONE", unreachable) == []
    assert roles_up_to(list(AccessLevel), facts)[-1] is AccessLevel.DEVELOPER


def test_facts_survive_private_metadata_and_anything_else_reads_as_none() -> None:
    facts = TargetFacts("acme/api", "acme/api", NamespaceKind.PROJECT, ADA, AccessLevel.OWNER)
    assert decode_facts({"private_metadata": encode_facts(facts)}) == facts
    for forged in [
        "",
        "not json",
        "[1]",
        '{"typed":"a","path":"a","kind":"planet","chat":"U","user":1,"role":null}',
        '{"typed":"a","path":"a","kind":"group","chat":"U","user":true,"role":null}',
        '{"typed":"a","path":"a","kind":"group","chat":"U","user":1,"role":99}',
        '{"typed":1,"path":"a","kind":"group","chat":"U","user":1,"role":null}',
    ]:
        assert decode_facts({"private_metadata": forged}) is None, forged


def test_the_slack_form_offers_group_types_for_a_group_and_marks_problems_escaped() -> None:
    facts = TargetFacts("acme", "acme", NamespaceKind.GROUP, ADA, AccessLevel.DEVELOPER)
    state = FormState(token_type=T.PROJECT_ACCESS_TOKEN, facts=facts)
    state = replace(state, problems={"name": "<!channel> taken"})
    view = state_form(RequestPolicy(), today=NOW.date(), default_days=90, state=state)
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    offered = [o["value"] for o in blocks["token_type"]["element"]["options"]]
    assert offered == ["group_access_token", "service_account_pat", "deploy_token"]
    assert "initial_option" not in blocks["token_type"]["element"]
    roles = [o["value"] for o in blocks["role"]["element"]["options"]]
    assert roles[-1] == "30"  # nothing above the requester's Developer
    assert "&lt;!channel&gt; taken" in blocks["problem.name"]["elements"][0]["text"]
    assert decode_facts(view) == facts


def test_slack_errors_name_only_fields_the_view_shows_and_are_bounded() -> None:
    view = {
        "blocks": [
            {"type": "input", "block_id": "token_type"},
            {"type": "input", "block_id": "name"},
        ]
    }
    errors = slack_errors(
        [Problem("role", "this type has no role"), Problem("name", "x" * 400)], view
    )
    assert set(errors) == {"token_type", "name"}
    assert errors["token_type"] == "this type has no role"
    assert len(errors["name"]) == 150


def test_the_terminal_form_drops_a_project_type_once_the_target_is_a_group() -> None:
    form = new_form(RequestPolicy(), today=NOW.date(), lifetime_days=90)
    form.choose_type(T.PROJECT_ACCESS_TOKEN)
    form.place_is(NamespaceKind.GROUP)
    assert form.token_type is None
    assert "token_type" in form.missing()
    offered = [value for value, _ in form.options("token_type") or []]
    assert "project_access_token" not in offered
    assert "group_access_token" in offered
