"""Users, groups, projects and effective (inherited) memberships."""

from __future__ import annotations

import gitlab
import pytest

from bot.sandbox import AccessLevel
from tests.integration.sandbox.conftest import World


def test_auth_sets_current_user(world: World) -> None:
    gl = world.sandbox.gl(world.developer_token)
    gl.auth()
    assert gl.user is not None
    assert gl.user.username == "dan.developer"
    assert gl.user.web_url == f"{world.sandbox.url}/dan.developer"


def test_users_lookup_by_username_is_case_insensitive(world: World) -> None:
    users = world.sandbox.gl(world.developer_token).users.list(username="OLGA.owner")
    assert [u.id for u in users] == [world.owner.id]


def test_users_search_matches_name_and_username(world: World) -> None:
    users = world.sandbox.gl(world.developer_token).users.list(search="maint")
    assert [u.username for u in users] == ["mia.maintainer"]


def test_user_email_visible_to_admin_only(world: World) -> None:
    as_user = world.sandbox.call("GET", f"/users/{world.owner.id}", world.developer_token).json()
    as_admin = world.sandbox.call("GET", f"/users/{world.owner.id}", world.admin_token).json()
    assert "email" not in as_user
    assert as_admin["email"] == world.owner.email


def test_unknown_user_is_404_user_not_found(world: World) -> None:
    response = world.sandbox.call("GET", "/users/4242", world.developer_token)
    assert response.status_code == 404
    assert response.json() == {"message": "404 User Not Found"}


def test_members_all_returns_highest_inherited_level(world: World) -> None:
    project = world.sandbox.gl(world.developer_token).projects.get(world.project.id)
    assert project.members_all.get(world.developer.id).access_level == AccessLevel.DEVELOPER
    assert project.members_all.get(world.owner.id).access_level == AccessLevel.OWNER
    assert project.members_all.get(world.maintainer.id).access_level == AccessLevel.MAINTAINER


def test_members_all_of_non_member_is_404_not_found(world: World) -> None:
    response = world.sandbox.call(
        "GET",
        f"/projects/{world.project.id}/members/all/{world.outsider.id}",
        world.developer_token,
    )
    assert response.status_code == 404
    assert response.json() == {"message": "404 Not found"}


def test_group_members_all_includes_parent_group_members(world: World) -> None:
    group = world.sandbox.gl(world.maintainer_token).groups.get(world.platform.id)
    assert group.members_all.get(world.owner.id).access_level == AccessLevel.OWNER
    with pytest.raises(gitlab.GitlabGetError):
        group.members_all.get(world.outsider.id)


def test_members_all_list_contains_each_user_once(world: World) -> None:
    members = world.sandbox.call(
        "GET", f"/projects/{world.project.id}/members/all", world.developer_token
    ).json()
    levels = {m["username"]: m["access_level"] for m in members}
    assert levels == {"olga.owner": 50, "mia.maintainer": 40, "dan.developer": 30}


def test_direct_members_exclude_inherited_ones(world: World) -> None:
    members = world.sandbox.gl(world.developer_token).projects.get(world.project.id).members.list()
    assert [m.username for m in members] == ["dan.developer"]


def test_project_access_token_bot_is_a_member_at_its_level(world: World) -> None:
    project = world.sandbox.gl(world.maintainer_token).projects.get(world.project.id)
    token = project.access_tokens.create({"name": "bot", "scopes": ["api"], "access_level": 20})
    assert project.members_all.get(token.user_id).access_level == 20


def test_group_subgroups_descendants_and_projects(world: World) -> None:
    gl = world.sandbox.gl(world.owner_token)
    acme = gl.groups.get("acme")
    assert [g.full_path for g in acme.subgroups.list()] == ["acme/platform"]
    assert [g.full_path for g in acme.descendant_groups.list()] == ["acme/platform"]
    direct = [p.path_with_namespace for p in acme.projects.list()]
    nested = [p.path_with_namespace for p in acme.projects.list(include_subgroups=True)]
    assert direct == ["acme/billing"]
    assert sorted(nested) == ["acme/billing", "acme/platform/api"]


def test_parent_group_is_visible_to_members_of_a_subgroup(world: World) -> None:
    response = world.sandbox.call("GET", f"/groups/{world.acme.id}", world.maintainer_token)
    assert response.status_code == 200
    assert response.json()["full_path"] == "acme"


def test_group_invisible_to_outsider_is_404_group_not_found(world: World) -> None:
    response = world.sandbox.call("GET", f"/groups/{world.acme.id}", world.outsider_token)
    assert response.status_code == 404
    assert response.json() == {"message": "404 Group Not Found"}


def test_projects_list_shows_only_visible_projects(world: World) -> None:
    as_maintainer = world.sandbox.gl(world.maintainer_token).projects.list(get_all=True)
    as_admin = world.sandbox.gl(world.admin_token).projects.list(get_all=True)
    assert [p.path_with_namespace for p in as_maintainer] == ["acme/platform/api"]
    assert len(as_admin) == 2


def test_projects_min_access_level_filter(world: World) -> None:
    gl = world.sandbox.gl(world.developer_token)
    assert len(gl.projects.list(min_access_level=10)) == 2
    assert [p.path for p in gl.projects.list(min_access_level=30)] == ["api"]
