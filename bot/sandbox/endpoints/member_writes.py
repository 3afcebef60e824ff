"""`POST /:source/:id/members` and `PUT /:source/:id/members/:user_id` for groups and projects.

As lib/api/members.rb, lib/api/helpers/members_helpers.rb (`add_single_member_by_user_id`) and
app/services/members/{creator_service,projects/creator_service,groups/creator_service}.rb do:
managing members needs `admin_group_member` (group Owner) or `admin_project_member` (project
Maintainer), else 403; in a project, only someone who may `manage_owners` (an Owner) grants or
changes the Owner role (`AccessDeniedError`, 403). An unknown user is `404 User Not Found`, a
direct member already there `409 Member already exists`. Model validations answer 400
`{"message": {field: [...]}}`: `access_level` not a role, `expires_at` before today, or lower
than an inherited membership (app/models/member.rb `higher_access_level_than_group`).
"""

from __future__ import annotations

from datetime import date

from bot.sandbox.access import find_group, find_project, has_level
from bot.sandbox.entities import member_entity
from bot.sandbox.member_hooks import send_member_hooks
from bot.sandbox.messages import (
    ApiResponse,
    conflict,
    forbidden,
    model_errors,
    not_found,
    param_error,
    record_not_found,
)
from bot.sandbox.models import MEMBER_LEVELS, AccessLevel, Group, Membership, Project, User
from bot.sandbox.routing import Context, Router
from bot.sandbox.state import SandboxState, source_ref


def _source(ctx: Context) -> Project | Group:
    if ctx.request.path.lstrip("/").startswith("projects/"):
        return find_project(ctx.state, ctx.user, ctx.args["id"])
    return find_group(ctx.state, ctx.user, ctx.args["id"])


def _authorize_admin(ctx: Context, source: Project | Group) -> None:
    needed = AccessLevel.MAINTAINER if isinstance(source, Project) else AccessLevel.OWNER
    if ctx.user.is_resource_bot or not has_level(ctx.state, ctx.user, source, needed):
        raise forbidden()


def _guard_owner_role(ctx: Context, source: Project | Group, *levels: int) -> None:
    """Projects: granting or touching the Owner role needs `manage_owners` (an Owner)."""
    owner_role = isinstance(source, Project) and AccessLevel.OWNER in levels
    if owner_role and not has_level(ctx.state, ctx.user, source, AccessLevel.OWNER):
        raise forbidden()


def _role_name(level: AccessLevel) -> str:
    return level.name.replace("_", " ").title()


def _validation_errors(
    state: SandboxState, source: Project | Group, user: User, level: int, expires: date | None
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if level not in MEMBER_LEVELS:
        errors["access_level"] = ["is not included in the list"]
    elif (inherited := _highest_inherited(state, source, user)) is not None:
        group, member = inherited
        if member.access_level > level:
            errors["access_level"] = [
                f"should be greater than or equal to {_role_name(member.access_level)} "
                f"inherited membership from group {group.name}"
            ]
    if expires is not None and expires < state.today():
        errors["expires_at"] = ["cannot be a date in the past"]
    if user.is_resource_bot and user.bot_source != source_ref(source):
        errors["user_id"] = ["project bots cannot be added to other groups / projects"]
    return errors


def _highest_inherited(
    state: SandboxState, source: Project | Group, user: User
) -> tuple[Group, Membership] | None:
    """The user's highest membership in the groups above `source` (not `source` itself)."""
    if isinstance(source, Project):
        groups = state.ancestors(state.groups[source.namespace_id])
    else:
        groups = state.ancestors(source)[1:]
    found = [(g, state.memberships.get((source_ref(g), user.id))) for g in groups]
    present = [(g, m) for g, m in found if m is not None]
    return max(present, key=lambda pair: pair[1].access_level, default=None)


def _target_user(ctx: Context) -> User:
    reader = ctx.reader()
    raw_id, username = reader.string("user_id"), reader.string("username")
    if raw_id is not None and username is not None:
        raise param_error("user_id, username are mutually exclusive")
    if raw_id is None and username is None:
        raise param_error("user_id, username are missing, at least one parameter must be provided")
    if username is not None:
        user = ctx.state.user_by_username(username)
    else:
        user = ctx.state.users.get(int(raw_id)) if raw_id and raw_id.isdigit() else None
    if user is None:
        raise not_found("User")
    return user


def add_member(ctx: Context) -> ApiResponse:
    reader = ctx.reader()
    level = reader.integer("access_level", required=True) or 0
    expires = reader.day("expires_at")
    reader.check()
    source = _source(ctx)
    _authorize_admin(ctx, source)
    user = _target_user(ctx)
    if (source_ref(source), user.id) in ctx.state.memberships:
        raise conflict("Member already exists")
    _guard_owner_role(ctx, source, level)
    errors = _validation_errors(ctx.state, source, user, level, expires)
    if errors:
        raise model_errors(errors)
    member = ctx.state.add_member(user, source, AccessLevel(level), created_by=ctx.user)
    member.expires_at = expires
    if isinstance(source, Group):
        send_member_hooks(ctx.state, source, member, "user_add_to_group")
    return ApiResponse(201, member_entity(ctx.state, member, ctx.web))


def update_member(ctx: Context) -> ApiResponse:
    reader = ctx.reader()
    level = reader.integer("access_level", required=True) or 0
    expires = reader.day("expires_at")
    reader.check()
    source = _source(ctx)
    _authorize_admin(ctx, source)
    raw = ctx.args["user_id"]
    member = ctx.state.memberships.get((source_ref(source), int(raw))) if raw.isdigit() else None
    if member is None:
        raise record_not_found()
    _guard_owner_role(ctx, source, level, member.access_level)
    user = ctx.state.users[member.user_id]
    errors = _validation_errors(ctx.state, source, user, level, expires)
    if errors:
        raise model_errors(errors)
    member.access_level = AccessLevel(level)
    if reader.has("expires_at"):
        member.expires_at = expires
    if isinstance(source, Group):
        send_member_hooks(ctx.state, source, member, "user_update_for_group")
    return ApiResponse(200, member_entity(ctx.state, member, ctx.web))


def register(router: Router) -> None:
    for kind in ("projects", "groups"):
        router.post(f"/{kind}/{{id}}/members", add_member)
        router.put(f"/{kind}/{{id}}/members/{{user_id}}", update_member)
