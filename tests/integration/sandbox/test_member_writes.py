"""Adding and changing group and project members.

Sources: docs.gitlab.com/api/members/; GitLab's lib/api/members.rb,
lib/api/helpers/members_helpers.rb (`add_single_member_by_user_id`: 404 User, 409 "Member
already exists", `render_validation_error!`), app/services/members/create_service.rb and
projects/creator_service.rb (Owner role needs `manage_owners`: `AccessDeniedError`, 403),
groups/creator_service.rb (`admin_group_member`), app/models/member.rb
(`higher_access_level_than_group`), app/validators/future_date_validator.rb, and
spec/requests/api/members_spec.rb (the statuses and bodies asserted here).
"""

from __future__ import annotations

from datetime import timedelta

import gitlab
import pytest

from bot.sandbox import AccessLevel
from bot.sandbox.state import source_ref
from tests.integration.sandbox.conftest import World


def _post(world: World, path: str, token: str, **body: object) -> tuple[int, object]:
    response = world.sandbox.call("POST", path, token, json=body)
    return response.status_code, response.json()


def test_group_owner_adds_a_member_through_python_gitlab(world: World) -> None:
    group = world.sandbox.gl(world.owner_token).groups.get(world.acme.id)
    member = group.members.create({"user_id": world.outsider.id, "access_level": 30})
    assert (member.id, member.access_level) == (world.outsider.id, 30)
    assert member.created_by["username"] == world.owner.username


def test_group_maintainer_cannot_manage_group_members(world: World) -> None:
    path = f"/groups/{world.platform.id}/members"
    status, body = _post(
        world, path, world.maintainer_token, user_id=world.outsider.id, access_level=30
    )
    assert (status, body) == (403, {"message": "403 Forbidden"})


def test_project_maintainer_adds_developers_but_not_owners(world: World) -> None:
    path = f"/projects/{world.project.id}/members"
    token, user = world.maintainer_token, world.outsider.id
    assert _post(world, path, token, user_id=user, access_level=50)[0] == 403
    assert _post(world, path, token, user_id=user, access_level=40)[0] == 201


def test_group_owner_may_grant_owner_in_a_project(world: World) -> None:
    path = f"/projects/{world.project.id}/members"
    assert (
        _post(world, path, world.owner_token, user_id=world.outsider.id, access_level=50)[0] == 201
    )


def test_developer_cannot_add_members(world: World) -> None:
    path = f"/projects/{world.project.id}/members"
    assert (
        _post(world, path, world.developer_token, user_id=world.outsider.id, access_level=10)[0]
        == 403
    )


def test_existing_direct_member_is_409_and_unknown_user_404(world: World) -> None:
    path = f"/projects/{world.project.id}/members"
    token = world.maintainer_token
    assert _post(world, path, token, user_id=world.developer.id, access_level=30) == (
        409,
        {"message": "Member already exists"},
    )
    assert _post(world, path, token, user_id=99999, access_level=30) == (
        404,
        {"message": "404 User Not Found"},
    )


def test_lower_than_inherited_membership_is_refused(world: World) -> None:
    # The maintainer is Maintainer of acme/platform; the project lives in it.
    path = f"/projects/{world.project.id}/members"
    status, body = _post(
        world, path, world.owner_token, user_id=world.maintainer.id, access_level=30
    )
    assert status == 400
    assert body == {
        "message": {
            "access_level": [
                "should be greater than or equal to Maintainer inherited membership from group "
                f"{world.platform.name}"
            ]
        }
    }


def test_expiry_in_the_past_is_refused_and_in_the_future_kept(world: World) -> None:
    path = f"/groups/{world.acme.id}/members"
    today = world.sandbox.sim.state.today()
    past, future = (today - timedelta(days=2)).isoformat(), (today + timedelta(days=2)).isoformat()
    token, user = world.owner_token, world.outsider.id
    assert _post(world, path, token, user_id=user, access_level=30, expires_at=past) == (
        400,
        {"message": {"expires_at": ["cannot be a date in the past"]}},
    )
    status, body = _post(world, path, token, user_id=user, access_level=30, expires_at=future)
    assert status == 201
    assert isinstance(body, dict)
    assert body["expires_at"] == future


@pytest.mark.parametrize("level", [35, 60])
def test_unknown_access_level_is_a_validation_error(world: World, level: int) -> None:
    path = f"/groups/{world.acme.id}/members"
    assert _post(world, path, world.owner_token, user_id=world.outsider.id, access_level=level) == (
        400,
        {"message": {"access_level": ["is not included in the list"]}},
    )


def test_user_by_username_and_parameter_rules(world: World) -> None:
    path = f"/groups/{world.acme.id}/members"
    token = world.owner_token
    assert _post(world, path, token, username=world.outsider.username, access_level=20)[0] == 201
    both = _post(world, path, token, username="x", user_id=1, access_level=20)
    assert both == (400, {"error": "user_id, username are mutually exclusive"})
    assert _post(world, path, token, user_id=world.admin.id)[1] == {
        "error": "access_level is missing"
    }


def test_put_changes_the_role_and_follows_the_same_rules(world: World) -> None:
    project = world.sandbox.gl(world.maintainer_token).projects.get(world.project.id)
    member = project.members.get(world.developer.id)
    member.access_level = gitlab.const.AccessLevel.MAINTAINER
    member.save()
    stored = world.sandbox.sim.state.memberships[(source_ref(world.project), world.developer.id)]
    assert stored.access_level == AccessLevel.MAINTAINER
    path = f"/projects/{world.project.id}/members/{world.developer.id}"
    to_owner = world.sandbox.call("PUT", path, world.maintainer_token, json={"access_level": 50})
    assert to_owner.status_code == 403
    missing = world.sandbox.call(
        "PUT",
        f"/projects/{world.project.id}/members/{world.outsider.id}",
        world.maintainer_token,
        json={"access_level": 30},
    )
    assert (missing.status_code, missing.json()) == (404, {"message": "404 Not found"})
