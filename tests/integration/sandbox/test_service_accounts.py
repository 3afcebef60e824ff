"""Group service accounts and their personal access tokens."""

from __future__ import annotations

import pytest
from freezegun import freeze_time

from bot.sandbox import AccessLevel, add_service_account
from tests.integration.sandbox.conftest import World


@pytest.fixture(autouse=True)
def _owners_may_create_service_accounts(world: World) -> None:
    """These tests act as a group Owner, which needs the instance setting (off by default)."""
    world.sandbox.sim.state.settings.allow_top_level_group_owners_to_create_service_accounts = True


def test_owner_creates_lists_and_deletes_service_account(world: World) -> None:
    group = world.sandbox.gl(world.owner_token).groups.get(world.acme.id)
    account = group.service_accounts.create({"name": "Deployer", "username": "sa-deployer"})
    assert account.username == "sa-deployer"
    assert [a.username for a in group.service_accounts.list()] == ["sa-deployer"]
    group.service_accounts.delete(account.id)
    assert group.service_accounts.list() == []


def test_service_account_defaults_follow_gitlab_naming(world: World) -> None:
    response = world.sandbox.call(
        "POST", f"/groups/{world.acme.id}/service_accounts", world.owner_token
    )
    assert response.status_code == 201
    body = response.json()
    assert body["name"] == "Service account user"
    assert body["username"].startswith(f"service_account_group_{world.acme.id}_")
    assert body["email"].startswith(body["username"])


def test_maintainer_cannot_manage_service_accounts_and_gets_403(world: World) -> None:
    response = world.sandbox.call(
        "GET", f"/groups/{world.platform.id}/service_accounts", world.maintainer_token
    )
    assert response.status_code == 403


def test_duplicate_service_account_username_is_400(world: World) -> None:
    path = f"/groups/{world.acme.id}/service_accounts"
    world.sandbox.call("POST", path, world.owner_token, json={"username": "sa-one"})
    response = world.sandbox.call("POST", path, world.owner_token, json={"username": "sa-one"})
    assert response.status_code == 400


@freeze_time("2026-03-10 08:00:00")
def test_service_account_token_lifecycle_through_python_gitlab(world: World) -> None:
    group = world.sandbox.gl(world.owner_token).groups.get(world.acme.id)
    account = group.service_accounts.create({"name": "Robot", "username": "sa-robot"})
    created = account.access_tokens.create({"name": "sync", "scopes": ["read_api"]})
    assert created.token.startswith("glpat-")
    assert created.expires_at == "2027-03-10"
    rotated = account.access_tokens.rotate(created.id)
    assert rotated["id"] != created.id
    assert rotated["expires_at"] == "2026-03-17"
    listed = {t.id: t.revoked for t in account.access_tokens.list(get_all=True)}
    assert listed == {created.id: True, rotated["id"]: False}
    account.access_tokens.delete(rotated["id"])
    assert account.access_tokens.list(state="active") == []


def test_service_account_token_authenticates_as_the_account(world: World) -> None:
    group = world.sandbox.gl(world.owner_token).groups.get(world.acme.id)
    account = group.service_accounts.create({"username": "sa-worker"})
    secret = account.access_tokens.create({"name": "t", "scopes": ["api"]}).token
    state = world.sandbox.sim.state
    state.add_member(state.users[account.id], world.project, AccessLevel.DEVELOPER)
    assert world.sandbox.call("GET", "/user", secret).json()["username"] == "sa-worker"
    assert world.sandbox.call("GET", f"/projects/{world.project.id}", secret).status_code == 200


def test_tokens_of_an_account_from_another_group_are_404(world: World) -> None:
    other = world.sandbox.sim.state.add_group("other")
    world.sandbox.sim.state.add_member(world.owner, other, AccessLevel.OWNER)
    account = world.sandbox.call(
        "POST", f"/groups/{other.id}/service_accounts", world.owner_token, json={"username": "sa-x"}
    ).json()
    response = world.sandbox.call(
        "GET",
        f"/groups/{world.acme.id}/service_accounts/{account['id']}/personal_access_tokens",
        world.owner_token,
    )
    assert response.status_code == 404
    assert response.json() == {"message": "404 User Not Found"}


def test_service_account_token_scopes_are_validated(world: World) -> None:
    account = world.sandbox.call(
        "POST",
        f"/groups/{world.acme.id}/service_accounts",
        world.owner_token,
        json={"username": "sa-y"},
    ).json()
    response = world.sandbox.call(
        "POST",
        f"/groups/{world.acme.id}/service_accounts/{account['id']}/personal_access_tokens",
        world.owner_token,
        json={"name": "t", "scopes": ["sudo"]},
    )
    assert response.status_code == 400
    assert response.json() == {"error": "scopes does not have a valid value"}


def test_service_account_with_owner_role_can_create_project_tokens(world: World) -> None:
    state = world.sandbox.sim.state
    account = add_service_account(state, world.acme, "sa-tokenbot", name="tokenbot")
    state.add_member(account, world.acme, AccessLevel.OWNER)
    secret = world.sandbox.token_for(account)
    response = world.sandbox.call(
        "POST",
        f"/projects/{world.project.id}/access_tokens",
        secret,
        json={"name": "made-by-sa", "scopes": ["read_api"], "access_level": 30},
    )
    assert response.status_code == 201
    assert world.sandbox.call("GET", "/user", secret).json()["bot"] is True
