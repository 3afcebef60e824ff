"""Which token endpoints take `scopes` as a string, and how GitLab splits it.

Sources in gitlab-org/gitlab (read from its gitlabhq/gitlabhq mirror):
* lib/api/validations/types/comma_separated_to_array.rb: a String is `split(',').map(&:strip)`,
  each element of an Array likewise, anything else `[]`.
* lib/api/users.rb (`POST /users/:user_id/personal_access_tokens`), ee/lib/api/
  group_service_accounts.rb (`POST …/service_accounts/:user_id/personal_access_tokens`) and
  lib/api/deploy_tokens.rb declare `requires :scopes, type: Array[String], coerce_with:
  ::API::Validations::Types::CommaSeparatedToArray.coerce`.
* lib/api/resource_access_tokens.rb declares `requires :scopes, type: Array[String]` with no
  `coerce_with`, so a bare string there is Grape's `scopes is invalid`.
Docs: https://docs.gitlab.com/api/user_tokens/ (create a personal access token for a user).
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.sandbox import add_service_account
from tests.integration.sandbox.conftest import World


def _create_pat(world: World, scopes: Any, *, form: bool = False) -> tuple[int, Any]:
    path = f"/users/{world.developer.id}/personal_access_tokens"
    payload = {"name": "cli", "scopes": scopes}
    sent = {"data": payload} if form else {"json": payload}
    response = world.sandbox.call("POST", path, world.admin_token, **sent)
    return response.status_code, response.json()


@pytest.mark.parametrize(
    ("scopes", "expected"),
    [
        ("api", ["api"]),
        ("api,read_user", ["api", "read_user"]),
        (" read_api , read_repository ", ["read_api", "read_repository"]),
        (["api,read_user", "read_api"], ["api", "read_user", "read_api"]),
        ("api,", ["api"]),  # Ruby's split drops trailing empty fields
    ],
)
def test_admin_pat_creation_accepts_comma_separated_scopes(
    world: World, scopes: Any, expected: list[str]
) -> None:
    status, body = _create_pat(world, scopes)
    assert status == 201
    assert body["scopes"] == expected


def test_admin_pat_creation_accepts_a_form_encoded_string(world: World) -> None:
    status, body = _create_pat(world, "api,read_user", form=True)
    assert status == 201
    assert body["scopes"] == ["api", "read_user"]


@pytest.mark.parametrize("scopes", ["api,bogus", "api, ", ",api", "api,,read_user"])
def test_each_split_part_must_be_a_known_scope(world: World, scopes: str) -> None:
    """Empty parts survive the coercion (a leading, inner or blank-then-stripped field), and
    `values:` then refuses them."""
    status, body = _create_pat(world, scopes)
    assert status == 400
    assert body == {"error": "scopes does not have a valid value"}


def test_python_gitlab_can_send_scopes_as_one_string(world: World) -> None:
    gl = world.sandbox.gl(world.admin_token)
    user = gl.users.get(world.developer.id, lazy=True)
    token = user.personal_access_tokens.create({"name": "cli", "scopes": "read_api,read_user"})
    assert token.scopes == ["read_api", "read_user"]


def test_group_service_account_tokens_accept_comma_separated_scopes(world: World) -> None:
    state = world.sandbox.sim.state
    account = add_service_account(state, world.acme, "robot", name="Robot")
    path = f"/groups/{world.acme.id}/service_accounts/{account.id}/personal_access_tokens"
    response = world.sandbox.call(
        "POST", path, world.owner_token, json={"name": "ci", "scopes": "api, read_repository"}
    )
    assert response.status_code == 201
    assert response.json()["scopes"] == ["api", "read_repository"]


def test_deploy_tokens_split_as_gitlab_does(world: World) -> None:
    path = f"/projects/{world.project.id}/deploy_tokens"
    ok = world.sandbox.call(
        "POST",
        path,
        world.owner_token,
        json={"name": "d", "scopes": ["read_repository,read_registry"]},
    )
    assert ok.status_code == 201
    assert ok.json()["scopes"] == ["read_repository", "read_registry"]
    inner_gap = world.sandbox.call(
        "POST",
        path,
        world.owner_token,
        json={"name": "d", "scopes": "read_repository,,read_registry"},
    )
    assert inner_gap.json() == {"error": "scopes does not have a valid value"}


@pytest.mark.parametrize("kind", ["projects", "groups"])
def test_project_and_group_access_tokens_still_refuse_a_string(world: World, kind: str) -> None:
    resource = world.project.id if kind == "projects" else world.acme.id
    response = world.sandbox.call(
        "POST",
        f"/{kind}/{resource}/access_tokens",
        world.owner_token,
        json={"name": "bot", "scopes": "read_api"},
    )
    assert response.status_code == 400
    assert response.json() == {"error": "scopes is invalid"}
