"""Deploy tokens (instance, project, group) and pipeline trigger tokens."""

from __future__ import annotations

import gitlab
import pytest

from bot.sandbox import add_deploy_token
from tests.integration.sandbox.conftest import World


def test_maintainer_creates_project_deploy_token_with_timestamp_expiry(world: World) -> None:
    project = world.sandbox.gl(world.maintainer_token).projects.get(world.project.id)
    token = project.deploytokens.create(
        {"name": "pull", "scopes": ["read_registry"], "expires_at": "2030-01-01T00:00:00Z"}
    )
    assert token.token.startswith("gldt-")
    assert token.expires_at == "2030-01-01T00:00:00.000Z"
    assert token.username == f"gitlab+deploy-token-{token.id}"
    assert token.revoked is False
    assert token.expired is False
    listed = project.deploytokens.list()
    assert [t.name for t in listed] == ["pull"]
    assert "token" not in listed[0].attributes


def test_deploy_token_without_expiry_returns_null(world: World) -> None:
    response = world.sandbox.call(
        "POST",
        f"/projects/{world.project.id}/deploy_tokens",
        world.maintainer_token,
        json={"name": "n", "scopes": ["read_repository"], "username": "custom.user"},
    )
    assert response.status_code == 201
    assert response.json()["expires_at"] is None
    assert response.json()["username"] == "custom.user"


def test_deploy_token_scopes_accept_comma_separated_string(world: World) -> None:
    response = world.sandbox.call(
        "POST",
        f"/projects/{world.project.id}/deploy_tokens",
        world.maintainer_token,
        data={"name": "n", "scopes": "read_repository,read_registry"},
    )
    assert response.json()["scopes"] == ["read_repository", "read_registry"]


def test_deploy_token_with_api_scope_is_rejected(world: World) -> None:
    response = world.sandbox.call(
        "POST",
        f"/projects/{world.project.id}/deploy_tokens",
        world.maintainer_token,
        json={"name": "n", "scopes": ["api"]},
    )
    assert response.status_code == 400
    assert response.json() == {"error": "scopes does not have a valid value"}


def test_developer_cannot_list_project_deploy_tokens_and_gets_403(world: World) -> None:
    response = world.sandbox.call(
        "GET", f"/projects/{world.project.id}/deploy_tokens", world.developer_token
    )
    assert response.status_code == 403


def test_group_deploy_token_create_needs_owner(world: World) -> None:
    body = {"name": "g", "scopes": ["read_package_registry"]}
    path = f"/groups/{world.platform.id}/deploy_tokens"
    assert world.sandbox.call("POST", path, world.maintainer_token, json=body).status_code == 403
    assert world.sandbox.call("GET", path, world.maintainer_token).status_code == 200
    assert world.sandbox.call("POST", path, world.owner_token, json=body).status_code == 201


def test_group_deploy_token_delete_needs_owner(world: World) -> None:
    token, _ = add_deploy_token(world.sandbox.sim.state, world.platform, name="g")
    path = f"/groups/{world.platform.id}/deploy_tokens/{token.id}"
    assert world.sandbox.call("DELETE", path, world.maintainer_token).status_code == 403
    response = world.sandbox.call("DELETE", path, world.owner_token)
    assert response.status_code == 204
    assert world.sandbox.call("GET", path, world.owner_token).status_code == 404


def test_get_deploy_token_of_other_project_is_404_not_found(world: World) -> None:
    token, _ = add_deploy_token(world.sandbox.sim.state, world.other_project, name="o")
    response = world.sandbox.call(
        "GET", f"/projects/{world.project.id}/deploy_tokens/{token.id}", world.owner_token
    )
    assert response.status_code == 404
    assert response.json() == {"message": "404 Not found"}


def test_instance_deploy_tokens_are_admin_only(world: World) -> None:
    add_deploy_token(world.sandbox.sim.state, world.project, name="p")
    add_deploy_token(world.sandbox.sim.state, world.platform, name="g")
    assert len(world.sandbox.gl(world.admin_token).deploytokens.list()) == 2
    assert world.sandbox.call("GET", "/deploy_tokens", world.owner_token).status_code == 403


def test_deploy_token_cannot_call_the_api(world: World) -> None:
    _, secret = add_deploy_token(world.sandbox.sim.state, world.project, name="p")
    assert world.sandbox.call("GET", "/user", secret).status_code == 401


def test_trigger_token_shown_in_full_only_to_its_owner(world: World) -> None:
    mine = world.sandbox.gl(world.maintainer_token).projects.get(world.project.id)
    trigger = mine.triggers.create({"description": "nightly"})
    assert trigger.token.startswith("glptt-")
    assert trigger.owner["id"] == world.maintainer.id
    theirs = world.sandbox.gl(world.owner_token).projects.get(world.project.id)
    seen = theirs.triggers.get(trigger.id)
    assert seen.token == trigger.token[:4]
    assert mine.triggers.get(trigger.id).token == trigger.token


def test_trigger_update_and_delete(world: World) -> None:
    project = world.sandbox.gl(world.maintainer_token).projects.get(world.project.id)
    trigger = project.triggers.create({"description": "old"})
    trigger.description = "new"
    trigger.save()
    assert project.triggers.get(trigger.id).description == "new"
    trigger.delete()
    with pytest.raises(gitlab.GitlabGetError) as raised:
        project.triggers.get(trigger.id)
    assert raised.value.response_code == 404


def test_trigger_without_description_is_400(world: World) -> None:
    response = world.sandbox.call(
        "POST", f"/projects/{world.project.id}/triggers", world.maintainer_token, json={}
    )
    assert response.status_code == 400
    assert response.json() == {"error": "description is missing"}


def test_developer_cannot_manage_triggers(world: World) -> None:
    response = world.sandbox.call(
        "GET", f"/projects/{world.project.id}/triggers", world.developer_token
    )
    assert response.status_code == 403
