"""Rotation of project and group access tokens: semantics, permissions and reuse detection."""

from __future__ import annotations

import gitlab
import pytest
from freezegun import freeze_time

from bot.sandbox import AccessLevel, add_resource_token
from tests.integration.sandbox.conftest import World

REVOKED = {
    "error": "invalid_token",
    "error_description": "Token was revoked. You have to re-authorize from the user.",
}


def _rotate_path(world: World, token_id: object) -> str:
    return f"/projects/{world.project.id}/access_tokens/{token_id}/rotate"


@freeze_time("2026-03-10 09:00:00")
def test_rotation_gives_new_id_and_secret_and_keeps_name_scopes_level(world: World) -> None:
    project = world.sandbox.gl(world.maintainer_token).projects.get(world.project.id)
    token = project.access_tokens.create(
        {"name": "ci", "scopes": ["api", "read_repository"], "access_level": 30, "description": "d"}
    )
    old_id, old_secret = token.id, token.token
    rotated = project.access_tokens.rotate(old_id)
    assert rotated["id"] != old_id
    assert rotated["token"] != old_secret
    assert rotated["token"].startswith("glpat-")
    assert rotated["name"] == "ci"
    assert rotated["description"] == "d"
    assert rotated["scopes"] == ["api", "read_repository"]
    assert rotated["access_level"] == 30
    assert rotated["expires_at"] == "2026-03-17"
    assert world.sandbox.sim.state.tokens[old_id].revoked is True


@freeze_time("2026-03-10 09:00:00")
def test_rotate_answers_200_and_accepts_expires_at(world: World) -> None:
    token, _ = add_resource_token(world.sandbox.sim.state, world.project, name="t")
    response = world.sandbox.call(
        "POST",
        _rotate_path(world, token.id),
        world.maintainer_token,
        json={"expires_at": "2026-06-01"},
    )
    assert response.status_code == 200
    assert response.json()["expires_at"] == "2026-06-01"


@freeze_time("2026-03-10 09:00:00")
def test_rotate_beyond_max_lifetime_is_400(world: World) -> None:
    token, _ = add_resource_token(world.sandbox.sim.state, world.project, name="t")
    response = world.sandbox.call(
        "POST",
        _rotate_path(world, token.id),
        world.maintainer_token,
        json={"expires_at": "2028-01-01"},
    )
    assert response.status_code == 400
    assert response.json() == {"message": "400 Bad request - Expires at must be before 2027-03-10"}
    assert world.sandbox.sim.state.tokens[token.id].revoked is False


def test_python_gitlab_object_rotate_updates_in_place(world: World) -> None:
    token, _ = add_resource_token(world.sandbox.sim.state, world.project, name="t")
    project = world.sandbox.gl(world.maintainer_token).projects.get(world.project.id)
    obj = project.access_tokens.get(token.id)
    obj.rotate()
    assert obj.id != token.id
    assert obj.token.startswith("glpat-")


def test_rotating_revoked_token_is_400_already_revoked(world: World) -> None:
    token, _ = add_resource_token(world.sandbox.sim.state, world.project, name="t", revoked=True)
    response = world.sandbox.call("POST", _rotate_path(world, token.id), world.maintainer_token)
    assert response.status_code == 400
    assert response.json() == {"message": "400 Bad request - Token already revoked"}


def test_developer_rotating_is_401(world: World) -> None:
    token, _ = add_resource_token(world.sandbox.sim.state, world.project, name="t")
    response = world.sandbox.call("POST", _rotate_path(world, token.id), world.developer_token)
    assert response.status_code == 401
    assert response.json() == {"message": "401 Unauthorized"}


def test_rotating_unknown_token_is_401_for_maintainer_and_404_for_admin(world: World) -> None:
    as_maintainer = world.sandbox.call("POST", _rotate_path(world, 999), world.maintainer_token)
    as_admin = world.sandbox.call("POST", _rotate_path(world, 999), world.admin_token)
    assert as_maintainer.status_code == 401
    assert as_admin.status_code == 404


def test_python_gitlab_raises_authentication_error_on_forbidden_rotate(world: World) -> None:
    token, _ = add_resource_token(world.sandbox.sim.state, world.project, name="t")
    project = world.sandbox.gl(world.developer_token).projects.get(world.project.id)
    with pytest.raises(gitlab.GitlabAuthenticationError):
        project.access_tokens.rotate(token.id)


def test_maintainer_cannot_rotate_owner_level_token(world: World) -> None:
    token, _ = add_resource_token(
        world.sandbox.sim.state, world.project, name="t", level=AccessLevel.OWNER
    )
    response = world.sandbox.call("POST", _rotate_path(world, token.id), world.maintainer_token)
    assert response.status_code == 400
    assert "Not eligible to rotate" in response.json()["message"]


def test_project_token_cannot_rotate_another_token(world: World) -> None:
    target, _ = add_resource_token(world.sandbox.sim.state, world.project, name="target")
    _, secret = add_resource_token(world.sandbox.sim.state, world.project, name="actor")
    response = world.sandbox.call("POST", _rotate_path(world, target.id), secret)
    assert response.status_code == 401


def test_token_with_self_rotate_scope_rotates_itself(world: World) -> None:
    token, secret = add_resource_token(
        world.sandbox.sim.state, world.project, name="self", scopes=("self_rotate",)
    )
    response = world.sandbox.call("POST", _rotate_path(world, "self"), secret)
    assert response.status_code == 200
    assert response.json()["id"] != token.id
    assert response.json()["scopes"] == ["self_rotate"]


def test_self_rotate_scope_does_not_allow_other_endpoints(world: World) -> None:
    _, secret = add_resource_token(
        world.sandbox.sim.state, world.project, name="self", scopes=("self_rotate",)
    )
    response = world.sandbox.call("GET", f"/projects/{world.project.id}", secret)
    assert response.status_code == 403
    assert response.json()["error"] == "insufficient_scope"


def test_human_self_rotating_a_project_token_path_is_405(world: World) -> None:
    response = world.sandbox.call("POST", _rotate_path(world, "self"), world.maintainer_token)
    assert response.status_code == 405
    assert response.json() == {"message": "405 Method Not Allowed"}


def test_group_bot_self_rotating_on_a_project_path_is_401(world: World) -> None:
    _, secret = add_resource_token(world.sandbox.sim.state, world.platform, name="group-bot")
    response = world.sandbox.call("POST", _rotate_path(world, "self"), secret)
    assert response.status_code == 401
    assert response.json() == {"message": "401 Unauthorized"}


def test_reusing_a_rotated_token_on_rotate_path_revokes_the_family(world: World) -> None:
    token, old_secret = add_resource_token(
        world.sandbox.sim.state, world.project, name="fam", scopes=("api",)
    )
    first = world.sandbox.call("POST", _rotate_path(world, "self"), old_secret)
    new_secret = first.json()["token"]
    assert world.sandbox.sim.state.tokens[token.id].revoked is True
    reuse = world.sandbox.call("POST", _rotate_path(world, token.id), old_secret)
    assert reuse.status_code == 401
    assert reuse.json() == REVOKED
    after = world.sandbox.call("GET", f"/projects/{world.project.id}", new_secret)
    assert after.status_code == 401
    assert after.json() == REVOKED


def test_reusing_a_revoked_token_elsewhere_does_not_revoke_the_family(world: World) -> None:
    _, old_secret = add_resource_token(world.sandbox.sim.state, world.project, name="fam")
    new_secret = world.sandbox.call("POST", _rotate_path(world, "self"), old_secret).json()["token"]
    assert world.sandbox.call("GET", "/user", old_secret).status_code == 401
    assert world.sandbox.call("GET", "/user", new_secret).status_code == 200


def test_group_maintainer_cannot_rotate_group_token_and_gets_401(world: World) -> None:
    token, _ = add_resource_token(world.sandbox.sim.state, world.platform, name="g")
    response = world.sandbox.call(
        "POST",
        f"/groups/{world.platform.id}/access_tokens/{token.id}/rotate",
        world.maintainer_token,
    )
    assert response.status_code == 401


def test_group_owner_rotates_group_token(world: World) -> None:
    token, _ = add_resource_token(world.sandbox.sim.state, world.platform, name="g")
    group = world.sandbox.gl(world.owner_token).groups.get(world.platform.id)
    rotated = group.access_tokens.rotate(token.id)
    assert rotated["name"] == "g"
    assert rotated["resource_type"] == "group"
