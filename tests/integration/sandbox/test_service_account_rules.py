"""Who may create service accounts, and the instance settings that decide it.

Sources: docs.gitlab.com/user/profile/service_accounts/ ("By default, on GitLab Self-Managed
... only administrators can create" them; top-level group Owners when the instance allows it;
subgroup and project service accounts behind the 18.10 flags
`allow_subgroups_to_create_service_accounts`, `allow_projects_to_create_service_accounts`);
docs.gitlab.com/api/service_accounts/; GitLab source: ee/lib/api/group_service_accounts.rb
(`authorize! :admin_service_accounts`, failures `bad_request!(response.message)`),
ee/app/policies/ee/group_policy.rb (`create_service_account` for `admin | (setting & owner)`,
`~has_parent`), ee/spec/requests/api/group_service_accounts_spec.rb (the messages, 400/403),
ee/lib/api/project_service_accounts.rb (flag off: 404), lib/api/settings.rb
(`authenticated_as_admin!`), lib/api/helpers.rb (`destroy_conditionally!` answers 204 whatever
the block returns).
"""

from __future__ import annotations

import gitlab

from bot.sandbox import GitlabSimulator, SandboxServer, add_service_account, load_demo_data
from tests.integration.sandbox.conftest import World

GROUP_REFUSAL = (
    "400 Bad request - User does not have permission to create a service account in this group."
)
PROJECT_REFUSAL = (
    "400 Bad request - User does not have permission to create a service account in this project."
)


def _create(world: World, path: str, token: str) -> tuple[int, dict[str, object]]:
    response = world.sandbox.call("POST", path, token)
    return response.status_code, response.json()


def test_settings_are_admin_only_with_self_managed_defaults(world: World) -> None:
    shown = world.sandbox.call("GET", "/application/settings", world.admin_token)
    assert shown.status_code == 200
    assert shown.json()["allow_top_level_group_owners_to_create_service_accounts"] is False
    assert shown.json()["ropc_without_client_credentials"] is True
    refused = world.sandbox.call("GET", "/application/settings", world.owner_token)
    assert (refused.status_code, refused.json()) == (403, {"message": "403 Forbidden"})


def test_admin_turns_the_setting_on_with_put(world: World) -> None:
    key = "allow_top_level_group_owners_to_create_service_accounts"
    gl = world.sandbox.gl(world.admin_token)
    settings = gl.settings.get()
    setattr(settings, key, True)
    settings.save()
    assert world.sandbox.sim.state.settings.allow_top_level_group_owners_to_create_service_accounts
    bad = world.sandbox.call("PUT", "/application/settings", world.admin_token, json={key: "x"})
    assert bad.json() == {"error": f"{key} is invalid"}
    owner_put = world.sandbox.call("PUT", "/application/settings", world.owner_token)
    assert owner_put.status_code == 403


def test_by_default_only_admins_create_group_service_accounts(world: World) -> None:
    path = f"/groups/{world.acme.id}/service_accounts"
    assert _create(world, path, world.owner_token) == (400, {"message": GROUP_REFUSAL})
    status, body = _create(world, path, world.admin_token)
    assert status == 201
    assert set(body) == {"id", "username", "name", "email", "public_email"}


def test_owner_creates_once_the_instance_allows_it(world: World) -> None:
    world.sandbox.sim.state.settings.allow_top_level_group_owners_to_create_service_accounts = True
    status, _ = _create(world, f"/groups/{world.acme.id}/service_accounts", world.owner_token)
    assert status == 201


def test_non_owners_get_403_before_any_setting_matters(world: World) -> None:
    world.sandbox.sim.state.settings.allow_top_level_group_owners_to_create_service_accounts = True
    path = f"/groups/{world.platform.id}/service_accounts"
    assert _create(world, path, world.maintainer_token)[0] == 403


def test_subgroup_accounts_need_the_flag_even_for_admins(world: World) -> None:
    state = world.sandbox.sim.state
    path = f"/groups/{world.platform.id}/service_accounts"
    assert _create(world, path, world.admin_token) == (400, {"message": GROUP_REFUSAL})
    state.features.allow_subgroups_to_create_service_accounts = True
    assert _create(world, path, world.admin_token)[0] == 201
    assert _create(world, path, world.owner_token) == (400, {"message": GROUP_REFUSAL})
    state.settings.allow_top_level_group_owners_to_create_service_accounts = True
    assert _create(world, path, world.owner_token)[0] == 201


def test_owner_delete_without_the_setting_is_204_but_keeps_the_account(world: World) -> None:
    state = world.sandbox.sim.state
    account = add_service_account(state, world.acme, "sa-keep", name="Keep")
    path = f"/groups/{world.acme.id}/service_accounts/{account.id}"
    assert world.sandbox.call("DELETE", path, world.owner_token).status_code == 204
    assert account.id in state.users
    assert world.sandbox.call("DELETE", path, world.admin_token).status_code == 204
    assert account.id not in state.users


def test_owner_still_manages_tokens_of_existing_accounts(world: World) -> None:
    # Token routes only need `admin_service_accounts` (group Owner).
    account = add_service_account(world.sandbox.sim.state, world.acme, "sa-tok", name="Tok")
    response = world.sandbox.call(
        "POST",
        f"/groups/{world.acme.id}/service_accounts/{account.id}/personal_access_tokens",
        world.owner_token,
        json={"name": "t", "scopes": ["api"]},
    )
    assert response.status_code == 201


def test_project_service_accounts_are_404_until_the_flag_is_on(world: World) -> None:
    path = f"/projects/{world.project.id}/service_accounts"
    assert _create(world, path, world.admin_token) == (404, {"message": "404 Not Found"})
    world.sandbox.sim.state.features.allow_projects_to_create_service_accounts = True
    status, body = _create(world, path, world.admin_token)
    assert status == 201
    assert str(body["username"]).startswith(f"service_account_project_{world.project.id}_")


def test_project_maintainer_needs_the_setting_and_developer_gets_403(world: World) -> None:
    state = world.sandbox.sim.state
    state.features.allow_projects_to_create_service_accounts = True
    path = f"/projects/{world.project.id}/service_accounts"
    assert _create(world, path, world.developer_token)[0] == 403
    assert _create(world, path, world.maintainer_token) == (400, {"message": PROJECT_REFUSAL})
    state.settings.allow_top_level_group_owners_to_create_service_accounts = True
    assert _create(world, path, world.maintainer_token)[0] == 201
    listed = world.sandbox.call("GET", path, world.maintainer_token).json()
    assert len(listed) == 1


def test_demo_world_lets_its_owner_create_service_accounts() -> None:
    sim = GitlabSimulator()
    info = load_demo_data(sim)
    with SandboxServer(sim) as server:
        gl = gitlab.Gitlab(server.url, private_token=info.user_tokens["alice"])
        account = gl.groups.get("acme").service_accounts.create({"username": "sa-demo"})
    assert account.username == "sa-demo"
