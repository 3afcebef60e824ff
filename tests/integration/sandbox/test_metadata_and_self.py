"""`/metadata`, `/version`, and a token of any scope reading and revoking itself."""

from __future__ import annotations

import pytest

from tests.integration.sandbox.conftest import World


@pytest.mark.parametrize("path", ["/metadata", "/version"])
def test_metadata_names_the_version_for_any_reading_token(world: World, path: str) -> None:
    for scopes in (("api",), ("read_api",), ("read_user",)):
        token = world.sandbox.token_for(world.developer, scopes=scopes)
        response = world.sandbox.call("GET", path, token)
        assert response.status_code == 200, scopes
        assert response.headers["Content-Type"] == "application/json"
        body = response.json()
        assert set(body) == {"version", "revision", "kas", "enterprise"}
        assert body["kas"]["enabled"] is False
        assert isinstance(body["enterprise"], bool)


def test_metadata_needs_a_token_and_a_reading_scope(world: World) -> None:
    assert world.sandbox.call("GET", "/metadata").status_code == 401
    assert world.sandbox.call("GET", "/metadata", "glpat-unknown").json() == {
        "message": "401 Unauthorized"
    }
    token = world.sandbox.token_for(world.developer, scopes=("read_repository",))
    response = world.sandbox.call("GET", "/metadata", token)
    assert response.status_code == 403
    assert response.json()["error"] == "insufficient_scope"


def test_metadata_with_an_expired_token_is_invalid_token(world: World) -> None:
    token = world.sandbox.token_for(world.developer, expires_at=world.sandbox.sim.state.today())
    response = world.sandbox.call("GET", "/metadata", token)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"


@pytest.mark.parametrize("scopes", [("read_repository",), ("self_rotate",), ("read_registry",)])
def test_any_scope_reads_its_own_token(world: World, scopes: tuple[str, ...]) -> None:
    token = world.sandbox.token_for(world.developer, scopes=scopes)
    response = world.sandbox.call("GET", "/personal_access_tokens/self", token)
    assert response.status_code == 200
    assert response.json()["scopes"] == list(scopes)
    assert "token" not in response.json()


def test_any_scope_revokes_its_own_token(world: World) -> None:
    token = world.sandbox.token_for(world.developer, scopes=("read_repository",))
    assert world.sandbox.call("DELETE", "/personal_access_tokens/self", token).status_code == 204
    response = world.sandbox.call("GET", "/personal_access_tokens/self", token)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"


def test_other_token_routes_still_need_api_or_read_api(world: World) -> None:
    token = world.sandbox.token_for(world.developer, scopes=("read_repository",))
    response = world.sandbox.call("GET", "/personal_access_tokens", token)
    assert response.status_code == 403
    assert response.json()["scope"] == "api read_api"
    rotate = world.sandbox.call("POST", "/personal_access_tokens/self/rotate", token)
    assert rotate.status_code == 403
