"""An expiry past the lifetime limit: 422 where GitLab renders the model error, 400 elsewhere.

Sources in gitlab-org/gitlab (read from its gitlabhq/gitlabhq mirror):
* app/models/personal_access_token.rb, `expires_at_before_instance_max_expiry_date`: "must be
  before %{expiry_date}" on `expires_at` (full message "Expires at must be before <date>").
* app/services/personal_access_tokens/create_service.rb: a token that does not persist is
  `ServiceResponse.error(message: token.errors.full_messages.to_sentence)`, no http_status.
* lib/api/users.rb (`POST /users/:user_id/personal_access_tokens`) and
  ee/lib/api/group_service_accounts.rb (`POST …/personal_access_tokens`):
  `render_api_error!(response.message, response.http_status || :unprocessable_entity)` → 422.
* lib/api/resource_access_tokens.rb (create and rotate), lib/api/helpers/
  personal_access_tokens_helpers.rb (`rotate_token`) and ee/lib/api/group_service_accounts.rb
  (rotate): `bad_request!(message)` → 400 "400 Bad request - …".
Docs: https://docs.gitlab.com/api/rest/troubleshooting/#status-codes (422: the entity could not
be processed).
"""

from __future__ import annotations

from datetime import timedelta

import gitlab
import pytest

from bot.sandbox import add_personal_token, add_resource_token, add_service_account
from tests.integration.sandbox.conftest import World


def _limit(world: World) -> str:
    return (world.sandbox.sim.state.today() + timedelta(days=365)).isoformat()


def _too_far(world: World) -> str:
    return (world.sandbox.sim.state.today() + timedelta(days=366)).isoformat()


def test_admin_pat_beyond_the_limit_is_422_without_prefix(world: World) -> None:
    response = world.sandbox.call(
        "POST",
        f"/users/{world.developer.id}/personal_access_tokens",
        world.admin_token,
        json={"name": "cli", "scopes": ["api"], "expires_at": _too_far(world)},
    )
    assert response.status_code == 422
    assert response.json() == {"message": f"Expires at must be before {_limit(world)}"}


def test_admin_pat_on_the_limit_is_created(world: World) -> None:
    response = world.sandbox.call(
        "POST",
        f"/users/{world.developer.id}/personal_access_tokens",
        world.admin_token,
        json={"name": "cli", "scopes": ["api"], "expires_at": _limit(world)},
    )
    assert response.status_code == 201


def test_model_errors_are_joined_as_a_sentence(world: World) -> None:
    response = world.sandbox.call(
        "POST",
        f"/users/{world.developer.id}/personal_access_tokens",
        world.admin_token,
        json={"name": "", "scopes": ["api"], "expires_at": _too_far(world)},
    )
    assert response.status_code == 422
    assert response.json() == {
        "message": f"Name can't be blank and Expires at must be before {_limit(world)}"
    }


def test_python_gitlab_sees_the_422(world: World) -> None:
    user = world.sandbox.gl(world.admin_token).users.get(world.developer.id, lazy=True)
    with pytest.raises(gitlab.GitlabCreateError) as caught:
        user.personal_access_tokens.create(
            {"name": "cli", "scopes": ["api"], "expires_at": _too_far(world)}
        )
    assert caught.value.response_code == 422


def test_group_service_account_token_beyond_the_limit_is_422(world: World) -> None:
    account = add_service_account(world.sandbox.sim.state, world.acme, "robot", name="Robot")
    response = world.sandbox.call(
        "POST",
        f"/groups/{world.acme.id}/service_accounts/{account.id}/personal_access_tokens",
        world.owner_token,
        json={"name": "ci", "scopes": ["api"], "expires_at": _too_far(world)},
    )
    assert response.status_code == 422
    assert response.json() == {"message": f"Expires at must be before {_limit(world)}"}


@pytest.mark.parametrize("kind", ["projects", "groups"])
def test_resource_token_beyond_the_limit_stays_400(world: World, kind: str) -> None:
    resource = world.project.id if kind == "projects" else world.acme.id
    response = world.sandbox.call(
        "POST",
        f"/{kind}/{resource}/access_tokens",
        world.owner_token,
        json={"name": "bot", "scopes": ["read_api"], "expires_at": _too_far(world)},
    )
    assert response.status_code == 400
    assert response.json() == {
        "message": f"400 Bad request - Expires at must be before {_limit(world)}"
    }


def test_every_rotation_beyond_the_limit_stays_400(world: World) -> None:
    state = world.sandbox.sim.state
    pat, _ = add_personal_token(state, world.owner, scopes=("api",))
    resource, _ = add_resource_token(state, world.project, name="deployer")
    account = add_service_account(state, world.acme, "robot", name="Robot")
    account_token, _ = add_personal_token(state, account, scopes=("api",))
    paths = [
        f"/personal_access_tokens/{pat.id}/rotate",
        f"/projects/{world.project.id}/access_tokens/{resource.id}/rotate",
        f"/groups/{world.acme.id}/service_accounts/{account.id}"
        f"/personal_access_tokens/{account_token.id}/rotate",
    ]
    expected = {"message": f"400 Bad request - Expires at must be before {_limit(world)}"}
    for path in paths:
        response = world.sandbox.call(
            "POST", path, world.owner_token, json={"expires_at": _too_far(world)}
        )
        assert (path, response.status_code, response.json()) == (path, 400, expected)
