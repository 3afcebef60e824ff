"""Deploy keys and a GitLab.com Ultimate group's credentials inventory, as GitLab answers.

Sources: `lib/api/deploy_keys.rb` and the entities `ssh_key.rb`, `deploy_key.rb`,
`deploy_keys_project.rb` (docs https://docs.gitlab.com/api/deploy_keys/);
`ee/lib/api/manage/groups.rb` with `ee/spec/requests/api/manage/groups_spec.rb` (docs
https://docs.gitlab.com/api/groups/#group-credentials-inventory); `lib/api/
personal_access_tokens.rb` for the admin listing and its filters.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.sandbox import (
    AccessLevel,
    add_deploy_key,
    add_personal_token,
    add_resource_token,
    add_service_account,
    enable_deploy_key,
    make_ultimate_on_gitlab_com,
)
from tests.integration.sandbox.conftest import World

EXPIRES = datetime(2027, 1, 5, tzinfo=UTC)


def test_a_projects_deploy_keys_show_expiry_and_push_to_maintainers(world: World) -> None:
    state, box = world.sandbox.sim.state, world.sandbox
    key = add_deploy_key(state, world.project, title="k8s", can_push=True, expires_at=EXPIRES)
    path = f"/projects/{world.encoded_project}/deploy_keys"

    listed = box.call("GET", path, world.maintainer_token)
    assert listed.status_code == 200
    (shown,) = listed.json()
    assert shown["id"] == key.id
    assert shown["title"] == "k8s"
    assert shown["expires_at"] == "2027-01-05T00:00:00.000Z"
    assert shown["can_push"] is True
    assert shown["key"].startswith("ssh-ed25519 ")
    assert shown["fingerprint_sha256"].startswith("SHA256:")
    assert box.call("GET", f"{path}/{key.id}", world.maintainer_token).json()["id"] == key.id


def test_deploy_keys_need_a_maintainer_and_an_unknown_one_is_not_found(world: World) -> None:
    box = world.sandbox
    path = f"/projects/{world.encoded_project}/deploy_keys"
    assert (
        box.call("GET", path, world.developer_token).status_code == 403
    )  # authorize_admin_project
    assert box.call("GET", path, world.outsider_token).status_code == 404
    missing = box.call("GET", f"{path}/999", world.maintainer_token)
    assert (missing.status_code, missing.json()) == (404, {"message": "404 Not found"})


def test_the_instance_list_of_deploy_keys_is_for_admins_and_names_the_projects(
    world: World,
) -> None:
    state, box = world.sandbox.sim.state, world.sandbox
    key = add_deploy_key(state, world.project, title="shared", can_push=True)
    enable_deploy_key(key, world.other_project)
    assert box.call("GET", "/deploy_keys", world.owner_token).status_code == 403
    (shown,) = box.call("GET", "/deploy_keys", world.admin_token).json()
    assert [p["id"] for p in shown["projects_with_write_access"]] == [world.project.id]
    assert [p["id"] for p in shown["projects_with_readonly_access"]] == [world.other_project.id]
    assert "can_push" not in shown


def test_the_credentials_inventory_is_not_found_off_gitlab_com(world: World) -> None:
    box = world.sandbox
    for kind in ("personal_access_tokens", "resource_access_tokens"):
        answer = box.call("GET", f"/groups/{world.acme.id}/manage/{kind}", world.owner_token)
        assert answer.status_code == 404


def test_the_credentials_inventory_needs_an_ultimate_top_level_group_and_an_owner(
    world: World,
) -> None:
    state, box = world.sandbox.sim.state, world.sandbox
    make_ultimate_on_gitlab_com(state, world.acme)
    base = f"/groups/{world.acme.id}/manage/resource_access_tokens"
    assert box.call("GET", base, world.owner_token).status_code == 200
    assert box.call("GET", base, world.maintainer_token).status_code == 403
    sub = f"/groups/{world.platform.id}/manage/resource_access_tokens"
    assert box.call("GET", sub, world.owner_token).status_code == 404
    other = state.add_group("free-group")
    state.add_member(world.owner, other, AccessLevel.OWNER)
    free = f"/groups/{other.id}/manage/resource_access_tokens"
    assert box.call("GET", free, world.owner_token).status_code == 404


def test_resource_access_tokens_cover_the_whole_hierarchy_with_their_resource(
    world: World,
) -> None:
    state, box = world.sandbox.sim.state, world.sandbox
    make_ultimate_on_gitlab_com(state, world.acme)
    in_project, _ = add_resource_token(state, world.project, name="ci", level=AccessLevel.DEVELOPER)
    in_subgroup, _ = add_resource_token(state, world.platform, name="grp")
    outside = state.add_group("elsewhere")
    add_resource_token(state, outside, name="not-ours")
    add_personal_token(state, world.owner, name="a-person")  # not a resource token
    listed = box.call(
        "GET", f"/groups/{world.acme.id}/manage/resource_access_tokens", world.owner_token
    ).json()
    assert [(t["id"], t["resource_type"], t["resource_id"], t["access_level"]) for t in listed] == [
        (in_project.id, "project", world.project.id, 30),
        (in_subgroup.id, "group", world.platform.id, 40),
    ]


def test_personal_access_tokens_are_the_enterprise_users_and_service_accounts(
    world: World,
) -> None:
    state, box = world.sandbox.sim.state, world.sandbox
    make_ultimate_on_gitlab_com(state, world.acme, enterprise_users=[world.maintainer])
    robot = add_service_account(state, world.acme, "service_account_group_1_robot", name="R")
    mine, _ = add_personal_token(state, world.maintainer, name="laptop")
    robots, _ = add_personal_token(state, robot, name="nightly")
    add_personal_token(state, world.developer, name="not-enterprise")
    listed = box.call(
        "GET",
        f"/groups/{world.acme.id}/manage/personal_access_tokens",
        world.owner_token,
        params={"state": "active"},
    ).json()
    ids = [t["id"] for t in listed]
    assert mine.id in ids
    assert robots.id in ids
    assert all(state.tokens[i].user_id in {world.maintainer.id, robot.id} for i in ids)
    assert "last_used_ips" not in listed[0]  # Entities::PersonalAccessToken


def test_admins_list_anyones_pats_with_the_finders_filters(world: World) -> None:
    state, box = world.sandbox.sim.state, world.sandbox
    today = state.today()
    used, _ = add_personal_token(
        state, world.maintainer, name="used", expires_at=today + timedelta(9)
    )
    used.last_used_at, used.last_used_ips = state.now() - timedelta(hours=1), ["198.51.100.4"]
    add_personal_token(state, world.maintainer, name="gone", revoked=True)
    add_personal_token(state, world.developer, name="someone-else")

    def names(**params: object) -> list[str]:
        answer = box.call("GET", "/personal_access_tokens", world.admin_token, params=params)
        assert answer.status_code == 200
        return [t["name"] for t in answer.json()]

    mid = world.maintainer.id
    assert "someone-else" not in names(user_id=mid)
    assert "gone" not in names(user_id=mid, state="active")
    assert names(user_id=mid, revoked="true") == ["gone"]
    hour_ago = (state.now() - timedelta(hours=2)).isoformat()
    assert names(user_id=mid, last_used_after=hour_ago) == ["used"]
    assert "used" not in names(user_id=mid, created_before="2000-01-01T00:00:00Z")
    (shown,) = [
        t
        for t in box.call(
            "GET", "/personal_access_tokens", world.admin_token, params={"user_id": mid}
        ).json()
        if t["name"] == "used"
    ]
    assert shown["last_used_ips"] == ["198.51.100.4"]
