"""Effective roles (inherited from ancestor groups), visibility and `:id` lookups."""

from __future__ import annotations

from bot.sandbox.messages import not_found
from bot.sandbox.models import AccessLevel, Group, Membership, Project, SourceKind, User
from bot.sandbox.state import SandboxState, source_ref


def inherited_memberships(
    state: SandboxState, user_id: int, source: Project | Group
) -> list[Membership]:
    """Direct membership plus those in every ancestor group."""
    if isinstance(source, Project):
        chain: list[Project | Group] = [source, *state.ancestors(state.groups[source.namespace_id])]
    else:
        chain = list(state.ancestors(source))
    found = (state.memberships.get((source_ref(item), user_id)) for item in chain)
    return [m for m in found if m is not None]


def highest_membership(
    state: SandboxState, user_id: int, source: Project | Group
) -> Membership | None:
    members = inherited_memberships(state, user_id, source)
    return max(members, key=lambda m: m.access_level, default=None)


def effective_level(state: SandboxState, user: User, source: Project | Group) -> AccessLevel:
    member = highest_membership(state, user.id, source)
    return AccessLevel.NO_ACCESS if member is None else member.access_level


def has_level(state: SandboxState, user: User, source: Project | Group, level: AccessLevel) -> bool:
    """Admins pass every role check, like GitLab's admin mode."""
    return user.is_admin or effective_level(state, user, source) >= level


def can_see_project(state: SandboxState, user: User, project: Project) -> bool:
    return user.is_admin or effective_level(state, user, project) > AccessLevel.NO_ACCESS


def can_see_group(state: SandboxState, user: User, group: Group) -> bool:
    """Private groups are visible to members and to members of anything below them."""
    if user.is_admin:
        return True
    for ref in state.membership_refs_by_user.get(user.id, set()):
        if ref.kind is SourceKind.GROUP:
            start = state.groups.get(ref.id)
        else:
            project = state.projects.get(ref.id)
            start = None if project is None else state.groups[project.namespace_id]
        if start is not None and group in state.ancestors(start):
            return True
    return effective_level(state, user, group) > AccessLevel.NO_ACCESS


def find_project(state: SandboxState, user: User, raw_id: str) -> Project:
    project = (
        state.projects.get(int(raw_id)) if raw_id.isdigit() else state.project_by_full_path(raw_id)
    )
    if project is None or not can_see_project(state, user, project):
        raise not_found("Project")
    return project


def find_group(state: SandboxState, user: User, raw_id: str) -> Group:
    group = state.groups.get(int(raw_id)) if raw_id.isdigit() else state.group_by_full_path(raw_id)
    if group is None or not can_see_group(state, user, group):
        raise not_found("Group")
    return group


def find_user(state: SandboxState, raw_id: str) -> User:
    user = state.users.get(int(raw_id)) if raw_id.isdigit() else None
    if user is None:
        raise not_found("User")
    return user
