"""The job token allowlist's write routes take numeric ids only, as GitLab's Grape params say.

Source: lib/api/project_job_token_scope.rb in gitlab-org/gitlab (read from its gitlabhq/gitlabhq
mirror). The two POSTs and two DELETEs declare `requires :id, type: Integer` and
`requires :target_project_id` / `:target_group_id`, `type: Integer, allow_blank: false`; Grape
refuses anything else with 400 before the endpoint runs. Docs:
https://docs.gitlab.com/api/project_job_token_scopes/ (`target_project_id`, `target_group_id`:
integer).
"""

from __future__ import annotations

import pytest

from bot.sandbox import AccessLevel
from tests.integration.sandbox.conftest import World

_SCOPE = "/projects/{id}/job_token_scope"


def _allowlist(project: str | int, kind: str = "allowlist") -> str:
    return f"{_SCOPE.format(id=project)}/{kind}"


@pytest.mark.parametrize(
    ("kind", "field", "path"),
    [
        ("allowlist", "target_project_id", "acme/billing"),
        ("allowlist", "target_project_id", "acme%2Fbilling"),
        ("allowlist", "target_project_id", "2.5x"),
        ("groups_allowlist", "target_group_id", "acme"),
    ],
)
def test_adding_a_target_by_path_is_400_invalid(
    world: World, kind: str, field: str, path: str
) -> None:
    response = world.sandbox.call(
        "POST", _allowlist(world.project.id, kind), world.owner_token, json={field: path}
    )
    assert response.status_code == 400
    assert response.json() == {"error": f"{field} is invalid"}
    assert world.project.job_token_project_allowlist == []
    assert world.project.job_token_group_allowlist == []


def test_an_empty_target_is_400_empty(world: World) -> None:
    """`allow_blank: false`: Grape turns "" into nil for an Integer, then calls it empty."""
    response = world.sandbox.call(
        "POST",
        _allowlist(world.project.id),
        world.owner_token,
        data={"target_project_id": ""},
    )
    assert response.json() == {"error": "target_project_id is empty"}


@pytest.mark.parametrize(
    ("kind", "field"), [("allowlist", "target_project_id"), ("groups_allowlist", "target_group_id")]
)
def test_the_source_project_by_path_is_400_on_the_write_routes(
    world: World, kind: str, field: str
) -> None:
    """`requires :id, type: Integer` on POST: the URL-encoded path is refused, even for an
    Owner, and before the target is looked at."""
    target = world.other_project.id if kind == "allowlist" else world.acme.id
    response = world.sandbox.call(
        "POST", _allowlist(world.encoded_project, kind), world.owner_token, json={field: target}
    )
    assert response.status_code == 400
    assert response.json() == {"error": "id is invalid"}
    by_id = world.sandbox.call(
        "POST", _allowlist(world.project.id, kind), world.owner_token, json={field: target}
    )
    assert by_id.status_code == 201


def test_both_ids_invalid_are_reported_together(world: World) -> None:
    response = world.sandbox.call(
        "POST",
        _allowlist(world.encoded_project),
        world.owner_token,
        json={"target_project_id": "acme/billing"},
    )
    assert response.json() == {"error": "id is invalid, target_project_id is invalid"}


def test_reading_the_allowlist_still_takes_a_path(world: World) -> None:
    """The GETs and the PATCH declare no type for `:id`, so a path works there."""
    response = world.sandbox.call("GET", _allowlist(world.encoded_project), world.maintainer_token)
    assert response.status_code == 200
    assert [p["id"] for p in response.json()] == [world.project.id]


@pytest.mark.parametrize(
    ("kind", "raw", "field"),
    [
        ("allowlist", "acme%2Fbilling", "target_project_id"),
        ("groups_allowlist", "acme", "target_group_id"),
    ],
)
def test_removing_by_path_is_400_invalid(world: World, kind: str, raw: str, field: str) -> None:
    world.project.job_token_project_allowlist.append(world.other_project.id)
    world.project.job_token_group_allowlist.append(world.acme.id)
    path = f"{_allowlist(world.project.id, kind)}/{raw}"
    response = world.sandbox.call("DELETE", path, world.owner_token)
    assert response.status_code == 400
    assert response.json() == {"error": f"{field} is invalid"}
    by_path = f"{_allowlist(world.encoded_project, kind)}/{world.other_project.id}"
    assert world.sandbox.call("DELETE", by_path, world.owner_token).json() == {
        "error": "id is invalid"
    }
    assert world.project.job_token_project_allowlist == [world.other_project.id]
    assert world.project.job_token_group_allowlist == [world.acme.id]


def test_removing_an_unknown_target_is_404(world: World) -> None:
    """DELETE …/allowlist/:target_project_id uses `find_project!` (404 Project Not Found);
    DELETE …/groups_allowlist/:target_group_id `Group.find_by_id` (404 target_group_id not
    found). A known target that is not listed is RemoveProjectService's / RemoveGroupService's
    400 (app/services/ci/job_token_scope/remove_project_service.rb)."""
    base = _allowlist(world.project.id)
    groups = _allowlist(world.project.id, "groups_allowlist")
    token = world.owner_token
    assert world.sandbox.call("DELETE", f"{base}/9999", token).json() == {
        "message": "404 Project Not Found"
    }
    assert world.sandbox.call("DELETE", f"{groups}/9999", token).json() == {
        "message": "404 target_group_id not found Not Found"
    }
    assert world.sandbox.call("DELETE", f"{base}/{world.other_project.id}", token).json() == {
        "message": "400 Bad request - Target project is not in the job token scope"
    }


def test_removing_needs_maintainer_with_the_services_message(world: World) -> None:
    """The DELETE routes have no `authorize_admin_project`; the services'
    `validate_group_remove!` (app/services/ci/job_token_scope/edit_scope_validations.rb)
    refuses with reason `:insufficient_permissions`, which the API renders as 403."""
    world.project.job_token_project_allowlist.append(world.other_project.id)
    path = f"{_allowlist(world.project.id)}/{world.other_project.id}"
    world.sandbox.sim.state.add_member(world.developer, world.other_project, AccessLevel.DEVELOPER)
    response = world.sandbox.call("DELETE", path, world.developer_token)
    assert response.status_code == 403
    assert response.json() == {
        "message": "403 Forbidden - Insufficient permissions to modify the job token scope"
    }


def test_the_source_project_cannot_be_removed(world: World) -> None:
    """RemoveProjectService: SOURCE_CANNOT_BE_REMOVED."""
    path = f"{_allowlist(world.project.id)}/{world.project.id}"
    response = world.sandbox.call("DELETE", path, world.owner_token)
    assert response.json() == {
        "message": "400 Bad request - Source project cannot be removed from the job token scope"
    }
