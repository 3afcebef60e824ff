"""Behaviour checked against GitLab's own documentation and source, which each test cites.

Source paths are in gitlab-org/gitlab (read from its gitlabhq/gitlabhq mirror).
"""

from __future__ import annotations

from datetime import date

import gitlab
import pytest
from gitlab.v4.objects import GroupServiceAccount

from bot.sandbox import (
    add_deploy_token,
    add_personal_token,
    add_resource_token,
    add_service_account,
    add_trigger,
)
from tests.integration.sandbox.conftest import World

NOT_FOUND = {"message": "404 Not found"}  # lib/api/api.rb: rescue_from RecordNotFound


# ------------------------------------------------------------------ (a) trigger tokens
def test_trigger_token_in_full_only_to_its_creator_on_list_and_get(world: World) -> None:
    """https://docs.gitlab.com/api/pipeline_triggers/ (list and get): "The trigger token is
    displayed in full if the trigger token was created by the authenticated user. Trigger
    tokens created by other users are shortened to four characters."
    Source: app/presenters/ci/trigger_presenter.rb (`token` is `short_token` unless the viewer
    `can?(:admin_trigger)`), app/policies/ci/trigger_policy.rb (`admin_trigger` only for the
    owner, or a legacy trigger without one), app/models/ci/trigger.rb (`token[0...4]`)."""
    creator = world.sandbox.gl(world.maintainer_token).projects.get(world.project.id)
    other = world.sandbox.gl(world.owner_token).projects.get(world.project.id)
    mine = creator.triggers.create({"description": "nightly"})
    theirs = add_trigger(world.sandbox.sim.state, world.project, world.owner, description="o")
    full = {mine.id: mine.token, theirs.id: theirs.token}

    assert {t.id: t.token for t in creator.triggers.list()} == {
        mine.id: mine.token,
        theirs.id: theirs.token[:4],
    }
    assert {t.id: t.token for t in other.triggers.list()} == {
        mine.id: mine.token[:4],
        theirs.id: theirs.token,
    }
    for trigger_id, token in full.items():
        shown_to_creator = creator.triggers.get(trigger_id).token
        shown_to_other = other.triggers.get(trigger_id).token
        assert {shown_to_creator, shown_to_other} == {token, token[:4]}
    assert len(mine.token) > 4


def test_trigger_update_is_for_its_owner_only(world: World) -> None:
    """app/services/ci/pipeline_triggers/update_service.rb: `can?(:admin_trigger)` or
    `forbidden!("The current user is not authorized to update the pipeline trigger token")`."""
    trigger = add_trigger(world.sandbox.sim.state, world.project, world.owner, description="o")
    path = f"/projects/{world.project.id}/triggers/{trigger.id}"
    response = world.sandbox.call("PUT", path, world.maintainer_token, json={"description": "x"})
    assert response.status_code == 403
    assert response.json() == {
        "message": "403 Forbidden - The current user is not authorized to update the pipeline "
        "trigger token"
    }
    response = world.sandbox.call("PUT", path, world.owner_token, json={"description": "x"})
    assert response.status_code == 200
    assert response.json()["description"] == "x"


def test_trigger_id_must_be_an_integer_and_a_miss_is_record_not_found(world: World) -> None:
    """lib/api/ci/triggers.rb: `requires :trigger_id, type: Integer`, then
    `user_project.triggers.find(...)`, whose RecordNotFound lib/api/api.rb renders as
    `{"message": "404 Not found"}`."""
    base = f"/projects/{world.project.id}/triggers"
    response = world.sandbox.call("GET", f"{base}/abc", world.maintainer_token)
    assert (response.status_code, response.json()) == (400, {"error": "trigger_id is invalid"})
    response = world.sandbox.call("GET", f"{base}/999", world.maintainer_token)
    assert (response.status_code, response.json()) == (404, NOT_FOUND)


# ------------------------------------------------------------------ (b) rotation
def _check_rotated(old_id: int, rotated: dict[str, object], world: World) -> None:
    assert rotated["id"] != old_id
    assert (rotated["name"], rotated["description"]) == ("ci", "kept on rotation")
    assert world.sandbox.sim.state.tokens[old_id].revoked is True


def test_rotating_keeps_name_and_description_for_every_token_family(world: World) -> None:
    """app/services/personal_access_tokens/rotate_service.rb, `create_token_params`:
    `{ name: token.name, description: token.description, previous_personal_access_token_id:
    token.id, scopes: token.scopes, ... }` (Project/GroupAccessTokens::RotateService inherit
    it; the service-account and personal endpoints call it directly)."""
    state = world.sandbox.sim.state
    owner = world.sandbox.gl(world.owner_token)

    body = {"name": "ci", "scopes": ["api"], "description": "kept on rotation"}
    group_tokens = owner.groups.get(world.platform.id, lazy=True).access_tokens
    made_id = group_tokens.create({**body, "access_level": 30}).id
    _check_rotated(made_id, group_tokens.rotate(made_id), world)

    project_tokens = owner.projects.get(world.project.id, lazy=True).access_tokens
    made_id = project_tokens.create(body).id
    _check_rotated(made_id, project_tokens.rotate(made_id), world)

    account_user = add_service_account(state, world.acme, "sa-robot", name="Robot")
    accounts = owner.groups.get(world.acme.id, lazy=True).service_accounts
    account_tokens = GroupServiceAccount(accounts, {"id": account_user.id}).access_tokens
    made_id = account_tokens.create(body).id
    _check_rotated(made_id, account_tokens.rotate(made_id), world)

    token, secret = add_personal_token(state, world.developer, name="ci")
    token.description = "kept on rotation"
    mine = world.sandbox.gl(world.developer_token)
    _check_rotated(token.id, mine.personal_access_tokens.rotate(token.id), world)
    assert world.sandbox.call("GET", "/user", secret).status_code == 401


# ------------------------------------------------------------------ (c) deleting twice
@pytest.mark.parametrize("kind", ["projects", "groups"])
def test_revoking_an_already_revoked_resource_token_is_204_again(world: World, kind: str) -> None:
    """lib/api/resource_access_tokens.rb DELETE: `find_token` is `PersonalAccessTokensFinder
    .new(user: resource.bots, impersonation: false).find_by_id` (no state filter, so revoked
    tokens are found), then app/services/resource_access_tokens/revoke_service.rb calls
    `access_token.revoke!` (app/models/personal_access_token.rb: `update_columns(revoked:
    true)`, fine on a revoked row; the bot keeps its membership) and the API answers
    `no_content!`."""
    resource = world.project if kind == "projects" else world.platform
    token, _ = add_resource_token(world.sandbox.sim.state, resource, name="t", revoked=True)
    path = f"/{kind}/{resource.id}/access_tokens/{token.id}"
    for _ in range(2):
        response = world.sandbox.call("DELETE", path, world.owner_token)
        assert (response.status_code, response.content) == (204, b"")
    assert token.revoked is True


def test_revoking_an_already_revoked_service_account_token_is_204_again(world: World) -> None:
    """The service-account DELETE goes through app/services/personal_access_tokens/
    revoke_service.rb: `token.revoke!` succeeds on a revoked token, so `no_content!`."""
    state = world.sandbox.sim.state
    account = add_service_account(state, world.acme, "sa-robot", name="Robot")
    token, _ = add_personal_token(state, account, name="t", revoked=True)
    path = f"/groups/{world.acme.id}/service_accounts/{account.id}/personal_access_tokens"
    response = world.sandbox.call("DELETE", f"{path}/{token.id}", world.owner_token)
    assert response.status_code == 204


def test_deleting_a_revoked_deploy_token_removes_it_then_deleting_again_is_404(
    world: World,
) -> None:
    """lib/api/deploy_tokens.rb DELETE calls Projects::DeployTokens::DestroyService, i.e.
    app/services/concerns/deploy_token_methods.rb `destroy_deploy_token`:
    `entity.deploy_tokens.find(params[:token_id]).destroy`. A revoked token is still a row,
    so it is found and deleted (204); afterwards `find` raises RecordNotFound → 404."""
    token, _ = add_deploy_token(world.sandbox.sim.state, world.project, name="d")
    token.revoked = True
    path = f"/projects/{world.project.id}/deploy_tokens/{token.id}"
    assert world.sandbox.call("DELETE", path, world.maintainer_token).status_code == 204
    assert token.id not in world.sandbox.sim.state.deploy_tokens
    response = world.sandbox.call("DELETE", path, world.maintainer_token)
    assert (response.status_code, response.json()) == (404, NOT_FOUND)


def test_deleting_a_trigger_twice_is_204_then_404(world: World) -> None:
    """lib/api/ci/triggers.rb DELETE: `user_project.triggers.find(...)` then
    `destroy_conditionally!(trigger)`; triggers have no revoked state, the row is gone, so
    the second `find` raises RecordNotFound → `{"message": "404 Not found"}`."""
    project = world.sandbox.gl(world.maintainer_token).projects.get(world.project.id)
    trigger = project.triggers.create({"description": "once"})
    project.triggers.delete(trigger.id)
    with pytest.raises(gitlab.GitlabDeleteError) as raised:
        project.triggers.delete(trigger.id)
    assert raised.value.response_code == 404
    path = f"/projects/{world.project.id}/triggers/{trigger.id}"
    response = world.sandbox.call("DELETE", path, world.maintainer_token)
    assert (response.status_code, response.json()) == (404, NOT_FOUND)


# ------------------------------------------------------------------ (d) listing
@pytest.mark.parametrize("kind", ["projects", "groups"])
def test_listing_resource_tokens_shows_description_active_revoked_and_revoked_ones(
    world: World, kind: str
) -> None:
    """lib/api/resource_access_tokens.rb GET `:id/access_tokens` uses `:access_token_params`
    (lib/api/helpers/personal_access_tokens_helpers.rb: `state` in `active`/`inactive`,
    `revoked` Boolean, ...) and no default filter; lib/api/entities/personal_access_token.rb
    exposes `description`, `revoked` and `active`. https://docs.gitlab.com/api/
    project_access_tokens/: "By default both states are returned"."""
    state = world.sandbox.sim.state
    resource = world.project if kind == "projects" else world.platform
    live, _ = add_resource_token(state, resource, name="live", expires_at=date(2099, 1, 1))
    live.description = "still used"
    add_resource_token(state, resource, name="dead", revoked=True)
    gl = world.sandbox.gl(world.owner_token)
    owner = gl.projects.get(resource.id) if kind == "projects" else gl.groups.get(resource.id)

    listed = {t.name: t.attributes for t in owner.access_tokens.list(get_all=True)}
    assert {name: (a["description"], a["active"], a["revoked"]) for name, a in listed.items()} == {
        "live": ("still used", True, False),
        "dead": (None, False, True),
    }
    assert [t.name for t in owner.access_tokens.list(state="active")] == ["live"]
    assert [t.name for t in owner.access_tokens.list(state="inactive")] == ["dead"]
    assert [t.name for t in owner.access_tokens.list(revoked=True)] == ["dead"]
