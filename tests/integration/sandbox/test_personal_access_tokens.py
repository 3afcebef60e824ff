"""Personal access tokens: listing, self, revoke, rotate and admin creation."""

from __future__ import annotations

import gitlab
import pytest
from freezegun import freeze_time

from tests.integration.sandbox.conftest import World


def test_user_lists_only_own_tokens(world: World) -> None:
    tokens = world.sandbox.gl(world.developer_token).personal_access_tokens.list(get_all=True)
    assert {t.user_id for t in tokens} == {world.developer.id}


def test_user_listing_someone_elses_tokens_gets_401(world: World) -> None:
    response = world.sandbox.call(
        "GET", "/personal_access_tokens", world.developer_token, params={"user_id": world.owner.id}
    )
    assert response.status_code == 401


def test_admin_lists_tokens_of_a_given_user(world: World) -> None:
    gl = world.sandbox.gl(world.admin_token)
    tokens = gl.personal_access_tokens.list(user_id=world.owner.id, get_all=True)
    assert [t.user_id for t in tokens] == [world.owner.id]


def test_admin_listing_tokens_of_unknown_user_is_404(world: World) -> None:
    response = world.sandbox.call(
        "GET", "/personal_access_tokens", world.admin_token, params={"user_id": 9999}
    )
    assert response.status_code == 404


def test_get_self_returns_the_authenticating_token(world: World) -> None:
    token = world.sandbox.gl(world.developer_token).personal_access_tokens.get("self")
    assert token.user_id == world.developer.id
    assert token.scopes == ["api"]
    assert not hasattr(token, "token")


def test_get_someone_elses_token_is_401_for_users_and_200_for_admins(world: World) -> None:
    owner_token_id = next(
        t.id for t in world.sandbox.sim.state.tokens.values() if t.user_id == world.owner.id
    )
    as_user = world.sandbox.call(
        "GET", f"/personal_access_tokens/{owner_token_id}", world.developer_token
    )
    as_admin = world.sandbox.call(
        "GET", f"/personal_access_tokens/{owner_token_id}", world.admin_token
    )
    assert as_user.status_code == 401
    assert as_admin.status_code == 200


def test_get_unknown_token_is_401_for_users_and_404_for_admins(world: World) -> None:
    assert (
        world.sandbox.call("GET", "/personal_access_tokens/999", world.developer_token).status_code
        == 401
    )
    assert (
        world.sandbox.call("GET", "/personal_access_tokens/999", world.admin_token).status_code
        == 404
    )


def test_revoke_self_is_204_then_token_is_revoked(world: World) -> None:
    response = world.sandbox.call("DELETE", "/personal_access_tokens/self", world.developer_token)
    assert response.status_code == 204
    assert response.content == b""
    assert world.sandbox.call("GET", "/user", world.developer_token).status_code == 401


def test_revoking_someone_elses_token_is_400(world: World) -> None:
    owner_token_id = next(
        t.id for t in world.sandbox.sim.state.tokens.values() if t.user_id == world.owner.id
    )
    response = world.sandbox.call(
        "DELETE", f"/personal_access_tokens/{owner_token_id}", world.developer_token
    )
    assert response.status_code == 400
    assert response.json() == {"message": "400 Bad request"}


def test_revoking_unknown_token_is_404_not_found(world: World) -> None:
    response = world.sandbox.call("DELETE", "/personal_access_tokens/999", world.admin_token)
    assert response.status_code == 404
    assert response.json() == {"message": "404 Not found"}


@freeze_time("2026-05-01 23:30:00")
def test_self_rotate_returns_new_secret_expiring_in_a_week(world: World) -> None:
    rotated = world.sandbox.gl(world.developer_token).personal_access_tokens.rotate("self")
    assert rotated["expires_at"] == "2026-05-08"
    assert rotated["token"].startswith("glpat-")
    assert world.sandbox.call("GET", "/user", rotated["token"]).status_code == 200
    assert world.sandbox.call("GET", "/user", world.developer_token).status_code == 401


def test_self_rotate_scope_may_rotate_via_personal_tokens_self(world: World) -> None:
    token = world.sandbox.token_for(world.developer, scopes=("self_rotate",))
    response = world.sandbox.call("POST", "/personal_access_tokens/self/rotate", token)
    assert response.status_code == 200
    assert response.json()["scopes"] == ["self_rotate"]


def test_rotating_someone_elses_token_is_401(world: World) -> None:
    owner_token_id = next(
        t.id for t in world.sandbox.sim.state.tokens.values() if t.user_id == world.owner.id
    )
    gl = world.sandbox.gl(world.developer_token)
    with pytest.raises(gitlab.GitlabAuthenticationError):
        gl.personal_access_tokens.rotate(owner_token_id)


@freeze_time("2026-03-10 12:00:00")
def test_admin_creates_token_for_user_with_default_year_expiry(world: World) -> None:
    user = world.sandbox.gl(world.admin_token).users.get(world.developer.id, lazy=True)
    created = user.personal_access_tokens.create(
        {"name": "cli", "scopes": ["read_api", "read_user"]}
    )
    assert created.token.startswith("glpat-")
    assert created.expires_at == "2027-03-10"
    assert created.user_id == world.developer.id


def test_non_admin_creating_token_for_user_gets_403(world: World) -> None:
    response = world.sandbox.call(
        "POST",
        f"/users/{world.developer.id}/personal_access_tokens",
        world.owner_token,
        json={"name": "x", "scopes": ["api"]},
    )
    assert response.status_code == 403
    assert response.json() == {"message": "403 Forbidden"}


def test_admin_creating_token_with_unknown_scope_gets_400(world: World) -> None:
    response = world.sandbox.call(
        "POST",
        f"/users/{world.developer.id}/personal_access_tokens",
        world.admin_token,
        json={"name": "x", "scopes": ["everything"]},
    )
    assert response.status_code == 400
    assert response.json() == {"error": "scopes does not have a valid value"}


def test_list_filters_state_on_personal_tokens(world: World) -> None:
    world.sandbox.token_for(world.developer, revoked=True)
    gl = world.sandbox.gl(world.developer_token)
    assert len(gl.personal_access_tokens.list(state="active")) == 1
    assert len(gl.personal_access_tokens.list(state="inactive")) == 1
    assert len(gl.personal_access_tokens.list(revoked=False)) == 1
