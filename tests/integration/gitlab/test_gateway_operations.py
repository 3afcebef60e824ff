"""Every gateway operation against the simulated GitLab over HTTP: the successful paths."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.domain.credentials import NamespaceKind, Secret, TokenSpec
from bot.domain.tokens import AccessLevel, Scope, TokenType
from bot.gitlab.gateway import PythonGitlabGateway
from bot.services.gitlab_errors import NotFoundError, ValidationError
from tests.integration.gitlab.conftest import TODAY, Company

IN_30 = TODAY + timedelta(days=30)


def _spec(token_type: TokenType, where: str, **kw: object) -> TokenSpec:
    defaults: dict[str, object] = {
        "name": "ci-reader",
        "scopes": (Scope.READ_API,),
        "expires_on": IN_30,
    }
    return TokenSpec(token_type, where, **(defaults | kw))  # type: ignore[arg-type]


def test_namespace_finds_projects_and_groups_by_path(gateway: PythonGitlabGateway) -> None:
    project = gateway.namespace("acme/platform/api")
    group = gateway.namespace("acme/platform")
    assert (project.kind, project.path) == (NamespaceKind.PROJECT, "acme/platform/api")
    assert (group.kind, group.path) == (NamespaceKind.GROUP, "acme/platform")


def test_an_unknown_path_is_not_found_with_a_helpful_message(
    gateway: PythonGitlabGateway,
) -> None:
    with pytest.raises(NotFoundError, match="project or group 'acme/nope' was not found"):
        gateway.namespace("acme/nope")


def test_creates_a_project_access_token_and_hands_back_its_secret_once(
    gateway: PythonGitlabGateway,
) -> None:
    issued = gateway.create_token(
        _spec(
            TokenType.PROJECT_ACCESS_TOKEN,
            "acme/platform/api",
            access_level=AccessLevel.REPORTER,
            scopes=(Scope.READ_API, Scope.READ_REPOSITORY),
        )
    )
    assert issued.secret.reveal().startswith("glpat-")
    assert issued.secret.reveal() not in repr(issued)
    record = issued.record
    assert record.scopes == ("read_api", "read_repository")
    assert record.access_level is AccessLevel.REPORTER
    assert record.expires_on == IN_30
    assert record.namespace is not None
    assert record.namespace.path == "acme/platform/api"


def test_creates_a_group_access_token(gateway: PythonGitlabGateway) -> None:
    issued = gateway.create_token(
        _spec(TokenType.GROUP_ACCESS_TOKEN, "acme/platform", access_level=AccessLevel.DEVELOPER)
    )
    assert issued.record.token_type is TokenType.GROUP_ACCESS_TOKEN
    assert issued.record.access_level is AccessLevel.DEVELOPER


def test_a_project_token_on_a_group_path_is_refused_before_calling_gitlab(
    gateway: PythonGitlabGateway,
) -> None:
    with pytest.raises(ValidationError, match="belongs to a project"):
        gateway.create_token(_spec(TokenType.PROJECT_ACCESS_TOKEN, "acme/platform"))


def test_a_service_account_is_created_for_the_token_and_never_reused(
    company: Company, gateway: PythonGitlabGateway
) -> None:
    spec = _spec(TokenType.SERVICE_ACCOUNT_PAT, "acme", service_account="deployer")
    first = gateway.create_token(spec)
    account = company.sim.state.user_by_username("deployer")
    assert account is not None
    assert account.id == first.record.user_id
    tokens_before = len(company.sim.state.tokens)
    # A second request of that name, or the name of any existing account (tokenbot's own,
    # say), would hand that account's rights to the requester: refused, nothing created.
    with pytest.raises(ValidationError, match="exists already"):
        gateway.create_token(spec)
    assert len(company.sim.state.tokens) == tokens_before


def test_creates_project_and_group_deploy_tokens(gateway: PythonGitlabGateway) -> None:
    scopes = (Scope.READ_REGISTRY, Scope.WRITE_REGISTRY)
    project = gateway.create_token(_spec(TokenType.DEPLOY_TOKEN, "acme/billing", scopes=scopes))
    group = gateway.create_token(
        _spec(TokenType.DEPLOY_TOKEN, "acme", scopes=scopes, deploy_username="registry-bot")
    )
    assert project.secret.reveal().startswith("gldt-")
    assert project.record.expires_on == IN_30
    assert group.record.description == "registry-bot"


def test_creates_a_pipeline_trigger_token(gateway: PythonGitlabGateway) -> None:
    issued = gateway.create_token(
        _spec(TokenType.PIPELINE_TRIGGER_TOKEN, "acme/billing", name="nightly from jenkins")
    )
    assert issued.secret.reveal().startswith("glptt-")
    assert issued.record.name == "nightly from jenkins"


def test_rotation_gives_a_new_id_and_secret_and_revokes_the_old(
    gateway: PythonGitlabGateway,
) -> None:
    old = gateway.create_token(_spec(TokenType.PROJECT_ACCESS_TOKEN, "acme/platform/api"))
    new = gateway.rotate_token(old.record.ref, expires_on=TODAY + timedelta(days=45))
    assert new.record.gitlab_id != old.record.gitlab_id
    assert new.secret.reveal() != old.secret.reveal()
    assert new.record.expires_on == TODAY + timedelta(days=45)
    listed = {r.gitlab_id: r for r in gateway.inventory(["acme"])}
    assert listed[old.record.gitlab_id].revoked
    assert listed[new.record.gitlab_id].active


def test_rotating_without_a_date_takes_gitlabs_one_week_default(
    gateway: PythonGitlabGateway,
) -> None:
    old = gateway.create_token(_spec(TokenType.GROUP_ACCESS_TOKEN, "acme"))
    assert gateway.rotate_token(old.record.ref).record.expires_on == TODAY + timedelta(days=7)


def test_rotates_a_service_account_token(gateway: PythonGitlabGateway) -> None:
    old = gateway.create_token(
        _spec(TokenType.SERVICE_ACCOUNT_PAT, "acme", service_account="deployer")
    )
    new = gateway.rotate_token(old.record.ref, expires_on=IN_30)
    assert new.record.user_id == old.record.user_id
    assert new.record.gitlab_id != old.record.gitlab_id


def test_deploy_and_trigger_tokens_rotate_by_replacement(gateway: PythonGitlabGateway) -> None:
    deploy = gateway.create_token(
        _spec(TokenType.DEPLOY_TOKEN, "acme/billing", scopes=(Scope.READ_REPOSITORY,))
    )
    trigger = gateway.create_token(_spec(TokenType.PIPELINE_TRIGGER_TOKEN, "acme/billing"))
    new_deploy = gateway.rotate_token(deploy.record.ref)
    new_trigger = gateway.rotate_token(trigger.record.ref)
    listed = {(r.token_type, r.gitlab_id): r for r in gateway.inventory(["acme"])}
    assert new_deploy.record.scopes == ("read_repository",)
    assert (TokenType.DEPLOY_TOKEN, deploy.record.gitlab_id) not in listed  # deleted, as GitLab
    assert listed[(TokenType.DEPLOY_TOKEN, new_deploy.record.gitlab_id)].active
    assert (TokenType.PIPELINE_TRIGGER_TOKEN, trigger.record.gitlab_id) not in listed
    assert (TokenType.PIPELINE_TRIGGER_TOKEN, new_trigger.record.gitlab_id) in listed


def test_revoke_marks_the_token_revoked(gateway: PythonGitlabGateway) -> None:
    issued = gateway.create_token(_spec(TokenType.GROUP_ACCESS_TOKEN, "acme/platform"))
    gateway.revoke_token(issued.record.ref)
    listed = {
        r.gitlab_id: r
        for r in gateway.inventory(["acme"])
        if r.token_type is TokenType.GROUP_ACCESS_TOKEN
    }
    assert listed[issued.record.gitlab_id].revoked


def test_job_token_allowlisting_is_idempotent(
    company: Company, gateway: PythonGitlabGateway
) -> None:
    gateway.allow_job_token("acme/billing", from_project="acme/platform/api")
    gateway.allow_job_token("acme/billing", from_project="acme/platform/api")
    assert company.sim.requests.count(method="POST", path="*/job_token_scope/allowlist") == 1


def test_ci_variables_are_written_masked_and_protected_then_replaced(
    company: Company, gateway: PythonGitlabGateway
) -> None:
    gateway.set_ci_variable("acme/billing", "DEPLOY_TOKEN", Secret("first-value-123"))
    gateway.set_ci_variable("acme/billing", "DEPLOY_TOKEN", Secret("second-value-456"))
    gl = company.gateway()._gl
    variable = gl.projects.get("acme/billing").variables.get("DEPLOY_TOKEN")
    assert variable.value == "second-value-456"
    assert variable.masked is True
    assert variable.protected is True


def test_effective_role_includes_inherited_membership(
    company: Company, gateway: PythonGitlabGateway
) -> None:
    assert gateway.effective_role(company.alice.id, "acme/platform/api") is AccessLevel.MAINTAINER
    assert gateway.effective_role(company.dan.id, "acme/platform/api") is AccessLevel.DEVELOPER
    assert gateway.effective_role(company.dan.id, "acme/billing") is None


def test_finds_users_by_username_and_email(company: Company, gateway: PythonGitlabGateway) -> None:
    by_name = gateway.find_user(username="alice")
    assert by_name is not None
    assert by_name.id == company.alice.id
    assert gateway.find_user(username="nobody") is None


def test_reads_the_bots_own_credential(gateway: PythonGitlabGateway, company: Company) -> None:
    credential = gateway.bot_credential()
    assert credential.scopes == ("api",)
    assert credential.expires_on == date(2027, 1, 21)
    assert credential.user_id == company.bot.id
