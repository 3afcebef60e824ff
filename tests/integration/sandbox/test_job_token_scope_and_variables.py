"""CI/CD job token scope (allowlists) and project CI/CD variables."""

from __future__ import annotations

import gitlab
import pytest

from tests.integration.sandbox.conftest import World


def test_job_token_scope_toggle_with_python_gitlab(world: World) -> None:
    project = world.sandbox.gl(world.maintainer_token).projects.get(world.project.id)
    scope = project.job_token_scope.get()
    assert scope.inbound_enabled is True
    scope.enabled = False
    scope.save()
    scope.refresh()
    assert scope.inbound_enabled is False


def test_job_token_scope_patch_is_204_without_body(world: World) -> None:
    response = world.sandbox.call(
        "PATCH",
        f"/projects/{world.project.id}/job_token_scope",
        world.maintainer_token,
        json={"enabled": False},
    )
    assert response.status_code == 204
    assert response.content == b""


def test_job_token_scope_patch_requires_enabled(world: World) -> None:
    response = world.sandbox.call(
        "PATCH", f"/projects/{world.project.id}/job_token_scope", world.maintainer_token, json={}
    )
    assert response.json() == {"error": "enabled is missing"}


def test_project_allowlist_add_list_remove(world: World) -> None:
    gl = world.sandbox.gl(world.owner_token)
    scope = gl.projects.get(world.project.id).job_token_scope.get()
    added = scope.allowlist.create({"target_project_id": world.other_project.id})
    assert added.source_project_id == world.project.id
    assert added.get_id() == world.other_project.id
    assert [p.get_id() for p in scope.allowlist.list()] == [
        world.project.id,
        world.other_project.id,
    ]
    scope.allowlist.delete(world.other_project.id)
    assert [p.get_id() for p in scope.allowlist.list()] == [world.project.id]


def test_allowlist_unknown_target_is_404(world: World) -> None:
    response = world.sandbox.call(
        "POST",
        f"/projects/{world.project.id}/job_token_scope/allowlist",
        world.maintainer_token,
        json={"target_project_id": 9999},
    )
    assert response.status_code == 404
    assert response.json() == {"message": "404 target_project_id not found Not Found"}


def test_group_allowlist_add_list_remove(world: World) -> None:
    scope = world.sandbox.gl(world.owner_token).projects.get(world.project.id).job_token_scope.get()
    added = scope.groups_allowlist.create({"target_group_id": world.acme.id})
    assert added.get_id() == world.acme.id
    listed = scope.groups_allowlist.list()
    assert [(g.id, g.name) for g in listed] == [(world.acme.id, world.acme.name)]
    scope.groups_allowlist.delete(world.acme.id)
    assert scope.groups_allowlist.list() == []


def test_developer_cannot_read_job_token_scope_and_gets_403(world: World) -> None:
    response = world.sandbox.call(
        "GET", f"/projects/{world.project.id}/job_token_scope", world.developer_token
    )
    assert response.status_code == 403
    assert response.json() == {"message": "403 Forbidden"}


def test_variables_crud_with_python_gitlab(world: World) -> None:
    project = world.sandbox.gl(world.maintainer_token).projects.get(world.project.id)
    created = project.variables.create(
        {"key": "DEPLOY_TOKEN", "value": "glpat-abcdefgh123", "masked": True, "protected": True}
    )
    assert created.masked is True
    assert created.environment_scope == "*"
    fetched = project.variables.get("DEPLOY_TOKEN")
    assert fetched.value == "glpat-abcdefgh123"
    fetched.value = "glpat-rotated-value"
    fetched.save()
    assert project.variables.get("DEPLOY_TOKEN").value == "glpat-rotated-value"
    project.variables.delete("DEPLOY_TOKEN")
    with pytest.raises(gitlab.GitlabGetError):
        project.variables.get("DEPLOY_TOKEN")


@pytest.mark.parametrize("value", ["short", "has spaces in it", "dollar$VARIABLE"])
def test_masked_variable_with_unmaskable_value_is_400(world: World, value: str) -> None:
    response = world.sandbox.call(
        "POST",
        f"/projects/{world.project.id}/variables",
        world.maintainer_token,
        json={"key": "SECRET", "value": value, "masked": True},
    )
    assert response.status_code == 400
    assert response.json() == {"message": {"value": ["is invalid"]}}


def test_raw_masked_variable_allows_any_non_space_characters(world: World) -> None:
    response = world.sandbox.call(
        "POST",
        f"/projects/{world.project.id}/variables",
        world.maintainer_token,
        json={"key": "SECRET", "value": "a$b|c{d}e", "masked": True, "raw": True},
    )
    assert response.status_code == 201


def test_duplicate_variable_key_is_400(world: World) -> None:
    path = f"/projects/{world.project.id}/variables"
    world.sandbox.call("POST", path, world.maintainer_token, json={"key": "A", "value": "1"})
    response = world.sandbox.call(
        "POST", path, world.maintainer_token, json={"key": "A", "value": "2"}
    )
    assert response.status_code == 400
    assert response.json() == {"message": {"key": ["(A) has already been taken"]}}


def test_same_key_in_two_environments_needs_a_filter(world: World) -> None:
    path = f"/projects/{world.project.id}/variables"
    for scope in ("production", "staging"):
        body = {"key": "URL", "value": scope, "environment_scope": scope}
        world.sandbox.call("POST", path, world.maintainer_token, json=body)
    ambiguous = world.sandbox.call("GET", f"{path}/URL", world.maintainer_token)
    assert ambiguous.status_code == 409
    chosen = world.sandbox.call(
        "GET",
        f"{path}/URL",
        world.maintainer_token,
        params={"filter[environment_scope]": "staging"},
    )
    assert chosen.json()["value"] == "staging"


def test_missing_variable_is_404_variable_not_found(world: World) -> None:
    response = world.sandbox.call(
        "GET", f"/projects/{world.project.id}/variables/NOPE", world.maintainer_token
    )
    assert response.status_code == 404
    assert response.json() == {"message": "404 Variable Not Found"}


def test_developer_cannot_read_variables_and_gets_403(world: World) -> None:
    response = world.sandbox.call(
        "GET", f"/projects/{world.project.id}/variables", world.developer_token
    )
    assert response.status_code == 403


def test_invalid_variable_key_is_400(world: World) -> None:
    response = world.sandbox.call(
        "POST",
        f"/projects/{world.project.id}/variables",
        world.maintainer_token,
        json={"key": "BAD-KEY", "value": "x"},
    )
    assert response.json() == {"message": {"key": ["can contain only letters, digits and '_'."]}}
