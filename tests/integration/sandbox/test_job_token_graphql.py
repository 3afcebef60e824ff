"""The simulator's `POST /api/graphql` for fine-grained job token permissions, as GitLab answers.

Sources (gitlab-org/gitlab, read from its gitlabhq/gitlabhq mirror):
- app/graphql/mutations/ci/job_token_scope/add_group_or_project.rb: `authorize :admin_project`
  on `projectPath`, `targetPath` found as `Group.find_by_full_path || Project.find_by_full_path`,
  `defaultPermissions` (default true) and `jobTokenPolicies`; a refused add answers
  `errors: [result.message]` in the payload, not a top-level error.
- app/graphql/mutations/ci/job_token_scope/update_job_token_policies.rb
  (`ciJobTokenScopeUpdatePolicies`, both arguments required).
- app/services/ci/job_token_scope/add_project_service.rb ("Target project is already in the job
  token scope") and edit_scope_validations.rb ("The group or project does not exist.").
- lib/ci/job_token/policies.rb: the `CiJobTokenScopePolicies` values.
- app/graphql/types/ci/job_token_scope/allowlist_type.rb and allowlist_entry_type.rb: the
  `projectsAllowlist` / `groupsAllowlist` entries with `defaultPermissions`, `jobTokenPolicies`.
Docs: https://docs.gitlab.com/ci/jobs/fine_grained_permissions/ (Maintainer role needed).
"""

from __future__ import annotations

from typing import Any

import requests

from bot.domain.job_token_access import SourceKind
from bot.gitlab.job_token_graphql import ADD_ENTRY, read_entries_query
from tests.integration.sandbox.conftest import World

_UPDATE = (
    "mutation($input: CiJobTokenScopeUpdatePoliciesInput!) {"
    " ciJobTokenScopeUpdatePolicies(input: $input) {"
    " ciJobTokenScopeAllowlistEntry { defaultPermissions jobTokenPolicies } errors } }"
)


def _graphql(world: World, token: str, query: str, variables: dict[str, Any]) -> Any:
    response = requests.post(
        f"{world.sandbox.url}/api/graphql",
        json={"query": query, "variables": variables},
        headers={"PRIVATE-TOKEN": token},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return response.json()


def _add(world: World, token: str, target: str, policies: list[str]) -> Any:
    given = {
        "projectPath": world.project.path_with_namespace,
        "targetPath": target,
        "defaultPermissions": False,
        "jobTokenPolicies": policies,
    }
    return _graphql(world, token, ADD_ENTRY, {"input": given})


def _entries(world: World, token: str, kind: SourceKind) -> Any:
    variables = {"project": world.project.path_with_namespace, "after": None}
    return _graphql(world, token, read_entries_query(kind), variables)


def test_a_maintainer_adds_an_entry_with_exactly_its_policies(world: World) -> None:
    answer = _add(world, world.owner_token, "acme/billing", ["READ_PACKAGES"])
    payload = answer["data"]["ciJobTokenScopeAddGroupOrProject"]
    assert payload["errors"] == []
    assert payload["ciJobTokenScopeAllowlistEntry"]["jobTokenPolicies"] == ["READ_PACKAGES"]
    assert world.other_project.id in world.project.job_token_project_allowlist
    listed = _entries(world, world.owner_token, SourceKind.PROJECT)
    nodes = listed["data"]["project"]["ciJobTokenScopeAllowlist"]["projectsAllowlist"]["nodes"]
    assert [
        (n["target"]["fullPath"], n["defaultPermissions"], n["jobTokenPolicies"]) for n in nodes
    ] == [("acme/billing", False, ["READ_PACKAGES"])]


def test_adding_it_again_is_refused_in_the_payload_errors(world: World) -> None:
    _add(world, world.owner_token, "acme/billing", ["READ_PACKAGES"])
    again = _add(world, world.owner_token, "acme/billing", ["ADMIN_PACKAGES"])
    assert "errors" not in again
    payload = again["data"]["ciJobTokenScopeAddGroupOrProject"]
    assert payload["errors"] == ["Target project is already in the job token scope"]
    assert world.project.job_token_entry_permissions["project:" + str(world.other_project.id)] == (
        False,
        ("READ_PACKAGES",),
    )


def test_a_developer_gets_a_top_level_resource_error_and_nothing_changes(world: World) -> None:
    answer = _add(world, world.developer_token, "acme/billing", ["READ_PACKAGES"])
    assert answer["data"] == {"ciJobTokenScopeAddGroupOrProject": None}
    assert "don't have permission" in answer["errors"][0]["message"]
    assert world.project.job_token_project_allowlist == []
    listed = _entries(world, world.developer_token, SourceKind.PROJECT)
    assert listed["data"] == {"project": None}
    assert listed["errors"]


def test_a_policy_gitlab_does_not_have_is_a_variable_error(world: World) -> None:
    answer = _add(world, world.owner_token, "acme/billing", ["ADMIN_EVERYTHING"])
    assert "data" not in answer or answer["data"] is None
    assert "jobTokenPolicies.0" in answer["errors"][0]["message"]
    assert world.project.job_token_project_allowlist == []


def test_an_unknown_target_is_refused_in_the_payload(world: World) -> None:
    answer = _add(world, world.owner_token, "acme/nowhere", ["READ_JOBS"])
    payload = answer["data"]["ciJobTokenScopeAddGroupOrProject"]
    assert payload["errors"] == ["The group or project does not exist."]


def test_a_group_goes_to_the_groups_allowlist_and_policies_can_be_updated(world: World) -> None:
    _add(world, world.owner_token, "acme", ["READ_RELEASES"])
    assert world.acme.id in world.project.job_token_group_allowlist
    given = {
        "projectPath": world.project.path_with_namespace,
        "targetPath": "acme",
        "defaultPermissions": False,
        "jobTokenPolicies": ["ADMIN_RELEASES", "READ_JOBS"],
    }
    updated = _graphql(world, world.owner_token, _UPDATE, {"input": given})
    entry = updated["data"]["ciJobTokenScopeUpdatePolicies"]["ciJobTokenScopeAllowlistEntry"]
    assert entry["jobTokenPolicies"] == ["ADMIN_RELEASES", "READ_JOBS"]
    listed = _entries(world, world.owner_token, SourceKind.GROUP)
    groups = listed["data"]["project"]["ciJobTokenScopeAllowlist"]["groupsAllowlist"]
    assert groups["nodes"][0]["jobTokenPolicies"] == ["ADMIN_RELEASES", "READ_JOBS"]
    assert groups["pageInfo"]["hasNextPage"] is False


def test_an_entry_added_over_rest_has_default_permissions(world: World) -> None:
    response = world.sandbox.call(
        "POST",
        f"/projects/{world.project.id}/job_token_scope/allowlist",
        world.owner_token,
        json={"target_project_id": world.other_project.id},
    )
    assert response.status_code == 201
    listed = _entries(world, world.owner_token, SourceKind.PROJECT)
    node = listed["data"]["project"]["ciJobTokenScopeAllowlist"]["projectsAllowlist"]["nodes"][0]
    assert (node["defaultPermissions"], node["jobTokenPolicies"]) == (True, [])


def test_without_a_token_graphql_is_401(world: World) -> None:
    response = requests.post(
        f"{world.sandbox.url}/api/graphql", json={"query": ADD_ENTRY}, timeout=10
    )
    assert response.status_code == 401


def test_a_maintainer_who_cannot_see_the_target_is_refused_in_the_payload(world: World) -> None:
    answer = _add(world, world.maintainer_token, "acme/billing", ["READ_PACKAGES"])
    payload = answer["data"]["ciJobTokenScopeAddGroupOrProject"]
    assert payload["errors"] == [
        "The target_project that you are attempting to access does not exist or you don't"
        " have permission to perform this action"
    ]
    assert world.project.job_token_project_allowlist == []
