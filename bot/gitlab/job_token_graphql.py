"""Fine-grained job token permissions over GitLab's GraphQL API (`POST /api/graphql`).

The pinned python-gitlab has a GraphQL client only with its optional `gql` extra, which is not
installed; `Gitlab.http_post` to the GraphQL endpoint sends the same authentication, retries and
errors as every REST call. Documents and fields are GitLab's (gitlab-org/gitlab):
- `ciJobTokenScopeAddGroupOrProject` (app/graphql/mutations/ci/job_token_scope/
  add_group_or_project.rb): `projectPath` (the project whose allowlist it is), `targetPath` (the
  group or project let in), `defaultPermissions`, `jobTokenPolicies`; answers the
  `ciJobTokenScopeAllowlistEntry` and an `errors` array ("Target project is already in the job
  token scope" when the entry exists: the service's message, not a GraphQL error).
- `Project.ciJobTokenScopeAllowlist` (types/ci/job_token_scope/allowlist_type.rb):
  `projectsAllowlist` and `groupsAllowlist` connections of entries with `defaultPermissions`,
  `jobTokenPolicies` and the `target` (`CiJobTokenAccessibleProject` or `...Group`).
Top-level `errors` (`[{"message": ...}]`) are authorization and document errors.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar

import gitlab

from bot.domain.job_token_access import Place, SourceKind
from bot.domain.job_token_policies import JobPolicies, from_gitlab
from bot.services.gitlab_errors import PermissionDeniedError, ValidationError

T = TypeVar("T")
_PAGES = 50  # 100 entries a page: more than any allowlist tokenbot will meet

_ENTRY = """defaultPermissions jobTokenPolicies
  target { ... on CiJobTokenAccessibleProject { id fullPath }
           ... on CiJobTokenAccessibleGroup { id fullPath } }"""
ADD_ENTRY = (
    "mutation TokenbotAddJobTokenEntry($input: CiJobTokenScopeAddGroupOrProjectInput!) {\n"
    "  ciJobTokenScopeAddGroupOrProject(input: $input) {\n"
    f"    ciJobTokenScopeAllowlistEntry {{ {_ENTRY} }}\n"
    "    errors\n  }\n}"
)
_CONNECTION = {SourceKind.PROJECT: "projectsAllowlist", SourceKind.GROUP: "groupsAllowlist"}


def read_entries_query(kind: SourceKind) -> str:
    return (
        "query TokenbotJobTokenEntries($project: ID!, $after: String) {\n"
        "  project(fullPath: $project) { ciJobTokenScopeAllowlist {\n"
        f"    {_CONNECTION[kind]}(first: 100, after: $after) {{\n"
        f"      nodes {{ {_ENTRY} }}\n"
        "      pageInfo { hasNextPage endCursor } } } }\n}"
    )


class Caller(Protocol):
    def call(self, what: str, operation: Callable[[], T], *, change: str | None = None) -> T: ...


def add_with_policies(
    caller: Caller,
    gl: gitlab.Gitlab,
    target: Place,
    kind: SourceKind,
    source: Place,
    *,
    policies: JobPolicies,
) -> JobPolicies | None:
    """Add `source` to `target`'s allowlist with exactly `policies`, then read the entry back:
    the permissions GitLab lists for it, or None if GitLab had the entry already."""
    variables = {
        "input": {
            "projectPath": target.path,
            "targetPath": source.path,
            "defaultPermissions": False,
            "jobTokenPolicies": list(policies.policies),
        }
    }
    data = _execute(
        caller,
        gl,
        ADD_ENTRY,
        variables,
        what=f"the job token allowlist of {target.path}",
        change=f"adding {source.path} to the job token allowlist of {target.path}",
    )
    answer = _field(data, "ciJobTokenScopeAddGroupOrProject")
    refusals = [str(e)[:300] for e in answer.get("errors") or []]
    listed = entry_policies(caller, gl, target, kind, source)
    if refusals:
        if listed is not None:
            return None  # there already: someone else's entry, not taken over
        raise ValidationError("GitLab refused the entry: " + "; ".join(refusals))
    if listed is None:
        raise ValidationError("GitLab answered the add but does not list the entry")
    return listed


def entry_policies(
    caller: Caller, gl: gitlab.Gitlab, target: Place, kind: SourceKind, source: Place
) -> JobPolicies | None:
    """The permissions of `source`'s entry on `target`'s allowlist; None if it is not listed."""
    after: str | None = None
    for _page in range(_PAGES):
        data = _execute(
            caller,
            gl,
            read_entries_query(kind),
            {"project": target.path, "after": after},
            what=f"the job token allowlist of {target.path}",
        )
        project = data.get("project")
        if not isinstance(project, Mapping):
            raise PermissionDeniedError(f"GitLab does not show {target.path} to tokenbot")
        allowlist = _field(project, "ciJobTokenScopeAllowlist")
        connection = _field(allowlist, _CONNECTION[kind])
        for node in connection.get("nodes") or []:
            if isinstance(node, Mapping) and _is(node.get("target"), source):
                return from_gitlab(
                    bool(node.get("defaultPermissions", True)), node.get("jobTokenPolicies") or ()
                )
        page = _field(connection, "pageInfo")
        if not page.get("hasNextPage"):
            return None
        after = str(page.get("endCursor") or "")
    return None


def _is(target: object, source: Place) -> bool:
    """Entries name their target by GraphQL `ID` (a number, or a `gid://gitlab/Project/1`)."""
    if not isinstance(target, Mapping):
        return False
    raw = str(target.get("id", "")).rsplit("/", 1)[-1]
    if raw.isdigit():
        return int(raw) == source.id
    return str(target.get("fullPath", "")).lower() == source.path.lower()


def _execute(
    caller: Caller,
    gl: gitlab.Gitlab,
    document: str,
    variables: Mapping[str, Any],
    *,
    what: str,
    change: str | None = None,
) -> Mapping[str, Any]:
    url = f"{gl.url.rstrip('/')}/api/graphql"
    body = {"query": document, "variables": dict(variables)}
    answer = caller.call(what, lambda: gl.http_post(url, post_data=body), change=change)
    if not isinstance(answer, Mapping):
        raise ValidationError("GitLab's GraphQL API gave no JSON object")
    errors = answer.get("errors")
    if errors:
        raise _top_level(errors)
    data = answer.get("data")
    if not isinstance(data, Mapping):
        raise ValidationError("GitLab's GraphQL API gave no data")
    return data


def _top_level(errors: object) -> Exception:
    messages = (
        [str(e.get("message", ""))[:300] for e in errors if isinstance(e, Mapping)]
        if isinstance(errors, list)
        else [str(errors)[:300]]
    )
    said = "; ".join(m for m in messages if m) or "an error without a message"
    if "permission" in said.lower():
        return PermissionDeniedError(f"GitLab refused: {said}")
    return ValidationError(f"GitLab's GraphQL API refused the request: {said}")


def _field(data: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = data.get(name)
    if not isinstance(value, Mapping):
        raise ValidationError(f"GitLab's GraphQL answer has no {name}")
    return value
