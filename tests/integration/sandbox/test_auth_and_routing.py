"""Authentication, scopes, routing and content negotiation of the GitLab simulator."""

from __future__ import annotations

from datetime import timedelta

import gitlab
import pytest

from tests.integration.sandbox.conftest import Sandbox, World

EXPIRED = {
    "error": "invalid_token",
    "error_description": "Token is expired. You can either do re-authorization or token refresh.",
}
REVOKED = {
    "error": "invalid_token",
    "error_description": "Token was revoked. You have to re-authorize from the user.",
}


def test_unknown_route_answers_404_with_error_key(world: World) -> None:
    response = world.sandbox.call("GET", "/no/such/thing", world.admin_token)
    assert response.status_code == 404
    assert response.json() == {"error": "404 Not Found"}
    assert response.headers["Content-Type"] == "application/json"


def test_path_outside_api_prefix_is_a_route_404(sandbox: Sandbox) -> None:
    import requests

    response = requests.get(f"{sandbox.url}/explore/projects", timeout=5)
    assert response.status_code == 404
    assert response.json() == {"error": "404 Not Found"}


def test_missing_token_is_401_unauthorized(world: World) -> None:
    response = world.sandbox.call("GET", "/user")
    assert response.status_code == 401
    assert response.json() == {"message": "401 Unauthorized"}


def test_unknown_token_is_401_unauthorized(world: World) -> None:
    response = world.sandbox.call("GET", "/user", "glpat-not-a-real-token")
    assert response.status_code == 401
    assert response.json() == {"message": "401 Unauthorized"}


def test_expired_token_gets_invalid_token_body_from_its_expiry_day(world: World) -> None:
    today = world.sandbox.sim.state.today()
    token = world.sandbox.token_for(world.developer, expires_at=today)
    response = world.sandbox.call("GET", "/user", token)
    assert response.status_code == 401
    assert response.json() == EXPIRED


def test_token_expiring_tomorrow_still_works(world: World) -> None:
    today = world.sandbox.sim.state.today()
    token = world.sandbox.token_for(world.developer, expires_at=today + timedelta(days=1))
    assert world.sandbox.call("GET", "/user", token).status_code == 200


def test_revoked_token_gets_invalid_token_body(world: World) -> None:
    token = world.sandbox.token_for(world.developer, revoked=True)
    response = world.sandbox.call("GET", "/user", token)
    assert response.status_code == 401
    assert response.json() == REVOKED


def test_python_gitlab_raises_authentication_error_for_revoked_token(world: World) -> None:
    token = world.sandbox.token_for(world.developer, revoked=True)
    with pytest.raises(gitlab.GitlabAuthenticationError):
        world.sandbox.gl(token).auth()


def test_read_api_token_can_get_but_not_post(world: World) -> None:
    token = world.sandbox.token_for(world.maintainer, scopes=("read_api",))
    path = f"/projects/{world.project.id}/access_tokens"
    assert world.sandbox.call("GET", path, token).status_code == 200
    response = world.sandbox.call("POST", path, token, json={"name": "x", "scopes": ["api"]})
    assert response.status_code == 403
    assert response.json() == {
        "error": "insufficient_scope",
        "error_description": (
            "The request requires higher privileges than provided by the access token."
        ),
        "scope": "api",
    }


def test_read_repository_only_token_is_403_on_api_get(world: World) -> None:
    token = world.sandbox.token_for(world.maintainer, scopes=("read_repository",))
    response = world.sandbox.call("GET", f"/projects/{world.project.id}", token)
    assert response.status_code == 403
    assert response.json()["scope"] == "api read_api"


def test_read_user_scope_reads_current_user(world: World) -> None:
    token = world.sandbox.token_for(world.developer, scopes=("read_user",))
    response = world.sandbox.call("GET", "/user", token)
    assert response.status_code == 200
    assert response.json()["username"] == "dan.developer"


def test_bearer_header_and_private_token_param_authenticate(world: World) -> None:
    bearer = world.sandbox.call(
        "GET", "/user", headers={"Authorization": f"Bearer {world.developer_token}"}
    )
    query = world.sandbox.call("GET", "/user", params={"private_token": world.developer_token})
    assert bearer.json()["id"] == world.developer.id
    assert query.json()["id"] == world.developer.id


def test_the_first_authenticated_request_records_last_used(world: World) -> None:
    gl = world.sandbox.gl(world.developer_token)
    before = gl.personal_access_tokens.get("self")
    assert before.last_used_at is not None
    record = next(
        t for t in world.sandbox.sim.state.tokens.values() if t.user_id == world.developer.id
    )
    assert record.last_used_at is not None
    assert record.last_used_ips == ["127.0.0.1"]


def test_project_can_be_addressed_by_url_encoded_full_path(world: World) -> None:
    response = world.sandbox.call(
        "GET", f"/projects/{world.encoded_project}", world.developer_token
    )
    assert response.status_code == 200
    assert response.json()["id"] == world.project.id
    assert response.json()["path_with_namespace"] == "acme/platform/api"


def test_group_can_be_addressed_by_url_encoded_full_path(world: World) -> None:
    response = world.sandbox.call("GET", "/groups/acme%2Fplatform", world.maintainer_token)
    assert response.json()["id"] == world.platform.id


def test_python_gitlab_accepts_project_path(world: World) -> None:
    project = world.sandbox.gl(world.developer_token).projects.get("acme/platform/api")
    assert project.id == world.project.id


def test_invisible_project_is_404_project_not_found(world: World) -> None:
    response = world.sandbox.call("GET", f"/projects/{world.project.id}", world.outsider_token)
    assert response.status_code == 404
    assert response.json() == {"message": "404 Project Not Found"}


def test_form_encoded_body_with_array_params_is_accepted(world: World) -> None:
    response = world.sandbox.call(
        "POST",
        f"/projects/{world.project.id}/access_tokens",
        world.maintainer_token,
        data={"name": "form-token", "scopes[]": ["read_api", "read_repository"]},
    )
    assert response.status_code == 201
    assert response.json()["scopes"] == ["read_api", "read_repository"]


def test_invalid_json_body_is_400(world: World) -> None:
    response = world.sandbox.call(
        "POST",
        f"/projects/{world.project.id}/access_tokens",
        world.maintainer_token,
        data="{not json",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400


def test_head_request_has_headers_but_no_body(world: World) -> None:
    response = world.sandbox.call("HEAD", f"/projects/{world.project.id}", world.developer_token)
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["Content-Type"] == "application/json"
