"""Project access tokens: permissions quirks, validation, expiry rules and listing."""

from __future__ import annotations

from datetime import date

import gitlab
import pytest
from freezegun import freeze_time

from bot.sandbox import AccessLevel, add_resource_token
from tests.integration.sandbox.conftest import World

TODAY = "2026-03-10"


def _tokens_path(world: World) -> str:
    return f"/projects/{world.project.id}/access_tokens"


def test_maintainer_creates_project_token_and_gets_201_with_secret(world: World) -> None:
    project = world.sandbox.gl(world.maintainer_token).projects.get(world.project.id)
    token = project.access_tokens.create(
        {"name": "ci", "scopes": ["api"], "access_level": 30, "description": "CI deploys"}
    )
    assert token.token.startswith("glpat-")
    assert token.access_level == 30
    assert token.description == "CI deploys"
    assert token.active is True
    assert token.revoked is False
    bot = world.sandbox.sim.state.users[token.user_id]
    assert bot.username.startswith(f"project_{world.project.id}_bot_")
    assert bot.name == "ci"


def test_create_answers_201_and_list_never_shows_the_secret(world: World) -> None:
    created = world.sandbox.call(
        "POST", _tokens_path(world), world.maintainer_token, json={"name": "a", "scopes": ["api"]}
    )
    assert created.status_code == 201
    assert created.json()["access_level"] == 40
    listed = world.sandbox.call("GET", _tokens_path(world), world.maintainer_token).json()
    assert [t["name"] for t in listed] == ["a"]
    assert "token" not in listed[0]
    assert listed[0]["resource_type"] == "project"
    assert listed[0]["resource_id"] == world.project.id


@freeze_time(f"{TODAY} 15:00:00")
def test_create_without_expiry_defaults_to_a_year_from_today(world: World) -> None:
    response = world.sandbox.call(
        "POST", _tokens_path(world), world.maintainer_token, json={"name": "a", "scopes": ["api"]}
    )
    assert response.json()["expires_at"] == "2027-03-10"


@freeze_time(f"{TODAY} 15:00:00")
def test_create_beyond_365_days_is_400_expires_at_must_be_before(world: World) -> None:
    response = world.sandbox.call(
        "POST",
        _tokens_path(world),
        world.maintainer_token,
        json={"name": "a", "scopes": ["api"], "expires_at": "2027-03-11"},
    )
    assert response.status_code == 400
    assert response.json() == {"message": "400 Bad request - Expires at must be before 2027-03-10"}


@freeze_time(f"{TODAY} 15:00:00")
def test_create_exactly_at_max_lifetime_is_accepted(world: World) -> None:
    response = world.sandbox.call(
        "POST",
        _tokens_path(world),
        world.maintainer_token,
        json={"name": "a", "scopes": ["api"], "expires_at": "2027-03-10"},
    )
    assert response.status_code == 201


def test_developer_cannot_create_project_token_and_gets_400(world: World) -> None:
    response = world.sandbox.call(
        "POST", _tokens_path(world), world.developer_token, json={"name": "a", "scopes": ["api"]}
    )
    assert response.status_code == 400
    assert response.json() == {
        "message": "400 Bad request - User does not have permission to create project access token"
    }


def test_python_gitlab_raises_create_error_for_developer(world: World) -> None:
    project = world.sandbox.gl(world.developer_token).projects.get(world.project.id)
    with pytest.raises(gitlab.GitlabCreateError) as raised:
        project.access_tokens.create({"name": "a", "scopes": ["api"]})
    assert raised.value.response_code == 400


def test_maintainer_cannot_create_owner_level_token(world: World) -> None:
    response = world.sandbox.call(
        "POST",
        _tokens_path(world),
        world.maintainer_token,
        json={"name": "a", "scopes": ["api"], "access_level": 50},
    )
    assert response.status_code == 400
    assert response.json()["message"] == (
        "400 Bad request - Access level of the token contains permissions not held by the "
        "creating user"
    )


def test_inherited_owner_can_create_owner_level_token(world: World) -> None:
    response = world.sandbox.call(
        "POST",
        _tokens_path(world),
        world.owner_token,
        json={"name": "a", "scopes": ["api"], "access_level": 50},
    )
    assert response.status_code == 201


def test_project_bot_cannot_create_tokens(world: World) -> None:
    _, secret = add_resource_token(
        world.sandbox.sim.state, world.project, name="bot", level=AccessLevel.MAINTAINER
    )
    response = world.sandbox.call(
        "POST", _tokens_path(world), secret, json={"name": "b", "scopes": ["api"]}
    )
    assert response.status_code == 400
    assert "User does not have permission" in response.json()["message"]


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"scopes": ["api"]}, "name is missing"),
        ({"name": "a"}, "scopes is missing"),
        ({}, "name is missing, scopes is missing"),
        ({"name": "a", "scopes": ["read_user"]}, "scopes does not have a valid value"),
        ({"name": "a", "scopes": ["sudo"]}, "scopes does not have a valid value"),
        (
            {"name": "a", "scopes": ["api"], "access_level": 60},
            "access_level does not have a valid value",
        ),
        (
            {"name": "a", "scopes": ["api"], "access_level": 0},
            "access_level does not have a valid value",
        ),
        ({"name": "a", "scopes": ["api"], "expires_at": "soon"}, "expires_at is invalid"),
    ],
)
def test_create_parameter_errors_use_grape_error_key(
    world: World, body: dict[str, object], error: str
) -> None:
    response = world.sandbox.call("POST", _tokens_path(world), world.maintainer_token, json=body)
    assert response.status_code == 400
    assert response.json() == {"error": error}


def test_create_for_unknown_project_is_404(world: World) -> None:
    response = world.sandbox.call(
        "POST",
        "/projects/9999/access_tokens",
        world.maintainer_token,
        json={"name": "a", "scopes": ["api"]},
    )
    assert response.status_code == 404
    assert response.json() == {"message": "404 Project Not Found"}


def test_developer_cannot_list_project_access_tokens_and_gets_401(world: World) -> None:
    response = world.sandbox.call("GET", _tokens_path(world), world.developer_token)
    assert response.status_code == 401
    assert response.json() == {"message": "401 Unauthorized"}


def test_developer_cannot_get_one_project_token_and_gets_401(world: World) -> None:
    token, _ = add_resource_token(world.sandbox.sim.state, world.project, name="t")
    response = world.sandbox.call("GET", f"{_tokens_path(world)}/{token.id}", world.developer_token)
    assert response.status_code == 401


def test_get_token_of_another_project_is_404(world: World) -> None:
    token, _ = add_resource_token(world.sandbox.sim.state, world.other_project, name="elsewhere")
    response = world.sandbox.call("GET", f"{_tokens_path(world)}/{token.id}", world.owner_token)
    assert response.status_code == 404
    assert response.json() == {"message": "404 project Access Token Not Found"}


def test_get_one_token_shows_access_level_and_last_used(world: World) -> None:
    token, secret = add_resource_token(
        world.sandbox.sim.state, world.project, name="t", level=AccessLevel.REPORTER
    )
    world.sandbox.call("GET", f"/projects/{world.project.id}", secret)
    body = world.sandbox.call(
        "GET", f"{_tokens_path(world)}/{token.id}", world.maintainer_token
    ).json()
    assert body["access_level"] == 20
    assert body["last_used_at"] is not None
    assert "token" not in body


def test_project_token_may_list_its_own_projects_tokens(world: World) -> None:
    _, secret = add_resource_token(world.sandbox.sim.state, world.project, name="self-lister")
    assert world.sandbox.call("GET", _tokens_path(world), secret).status_code == 200


def test_list_filters_by_state_and_revoked_and_search(world: World) -> None:
    state = world.sandbox.sim.state
    today = state.today()
    add_resource_token(state, world.project, name="live", expires_at=date(today.year + 1, 1, 1))
    add_resource_token(state, world.project, name="dead", revoked=True)
    add_resource_token(state, world.project, name="old", expires_at=date(today.year - 1, 1, 1))
    project = world.sandbox.gl(world.maintainer_token).projects.get(world.project.id)

    def names(**filters: object) -> list[str]:
        return sorted(t.name for t in project.access_tokens.list(get_all=True, **filters))

    assert names() == ["dead", "live", "old"]
    assert names(state="active") == ["live"]
    assert names(state="inactive") == ["dead", "old"]
    assert names(revoked=True) == ["dead"]
    assert names(search="LI") == ["live"]


def test_list_with_bad_state_is_400(world: World) -> None:
    response = world.sandbox.call(
        "GET", _tokens_path(world), world.maintainer_token, params={"state": "gone"}
    )
    assert response.status_code == 400
    assert response.json() == {"error": "state does not have a valid value"}


def test_token_expiring_today_matches_neither_state_filter(world: World) -> None:
    state = world.sandbox.sim.state
    add_resource_token(state, world.project, name="today", expires_at=state.today())
    project = world.sandbox.gl(world.maintainer_token).projects.get(world.project.id)
    assert project.access_tokens.list(state="active") == []
    assert project.access_tokens.list(state="inactive") == []
    (only,) = project.access_tokens.list()
    assert only.active is False


def test_list_filters_by_expires_before_and_after(world: World) -> None:
    state = world.sandbox.sim.state
    add_resource_token(state, world.project, name="march", expires_at=date(2030, 3, 1))
    add_resource_token(state, world.project, name="june", expires_at=date(2030, 6, 1))
    project = world.sandbox.gl(world.maintainer_token).projects.get(world.project.id)
    before = project.access_tokens.list(expires_before="2030-04-01")
    after = project.access_tokens.list(expires_after="2030-04-01")
    assert [t.name for t in before] == ["march"]
    assert [t.name for t in after] == ["june"]


def test_maintainer_revokes_token_with_204_and_empty_body(world: World) -> None:
    token, secret = add_resource_token(world.sandbox.sim.state, world.project, name="t")
    response = world.sandbox.call(
        "DELETE", f"{_tokens_path(world)}/{token.id}", world.maintainer_token
    )
    assert response.status_code == 204
    assert response.content == b""
    assert world.sandbox.call("GET", "/user", secret).json() == {
        "error": "invalid_token",
        "error_description": "Token was revoked. You have to re-authorize from the user.",
    }
    bot_still_exists = token.user_id in world.sandbox.sim.state.users
    assert bot_still_exists


def test_developer_cannot_revoke_and_gets_400_cannot_delete(world: World) -> None:
    token, _ = add_resource_token(world.sandbox.sim.state, world.project, name="deploy-bot")
    response = world.sandbox.call(
        "DELETE", f"{_tokens_path(world)}/{token.id}", world.developer_token
    )
    assert response.status_code == 400
    assert response.json() == {
        "message": "400 Bad request - Dan Developer cannot delete deploy-bot"
    }


def test_revoke_unknown_token_is_404(world: World) -> None:
    response = world.sandbox.call("DELETE", f"{_tokens_path(world)}/4242", world.maintainer_token)
    assert response.status_code == 404


def test_python_gitlab_delete_revokes_token(world: World) -> None:
    token, _ = add_resource_token(world.sandbox.sim.state, world.project, name="t")
    project = world.sandbox.gl(world.maintainer_token).projects.get(world.project.id)
    project.access_tokens.delete(token.id)
    assert world.sandbox.sim.state.tokens[token.id].revoked is True


def test_token_endpoints_accept_url_encoded_project_path(world: World) -> None:
    path = f"/projects/{world.encoded_project}/access_tokens"
    created = world.sandbox.call(
        "POST", path, world.maintainer_token, json={"name": "by-path", "scopes": ["api"]}
    )
    assert created.status_code == 201
    assert created.json()["resource_id"] == world.project.id
    listed = world.sandbox.call("GET", path, world.maintainer_token)
    assert [t["name"] for t in listed.json()] == ["by-path"]


def test_group_owner_creates_and_lists_group_tokens(world: World) -> None:
    group = world.sandbox.gl(world.owner_token).groups.get("acme/platform")
    token = group.access_tokens.create({"name": "group-ci", "scopes": ["read_api"]})
    assert token.access_level == 40
    bot = world.sandbox.sim.state.users[token.user_id]
    assert bot.username.startswith(f"group_{world.platform.id}_bot_")
    assert [t.name for t in group.access_tokens.list()] == ["group-ci"]


def test_group_maintainer_cannot_list_or_create_group_tokens(world: World) -> None:
    path = "/groups/acme%2Fplatform/access_tokens"
    listed = world.sandbox.call("GET", path, world.maintainer_token)
    created = world.sandbox.call(
        "POST", path, world.maintainer_token, json={"name": "g", "scopes": ["api"]}
    )
    assert listed.status_code == 401
    assert created.status_code == 400
    assert created.json() == {
        "message": "400 Bad request - User does not have permission to create group access token"
    }


def test_group_token_bot_inherits_access_to_subgroup_projects(world: World) -> None:
    _, secret = add_resource_token(
        world.sandbox.sim.state, world.platform, name="g", level=AccessLevel.DEVELOPER
    )
    response = world.sandbox.call("GET", f"/projects/{world.project.id}", secret)
    assert response.status_code == 200
