"""Direct and effective (`members/all`, inherited from ancestor groups) memberships."""

from __future__ import annotations

from typing import Any

from bot.sandbox.access import find_group, find_project, highest_membership
from bot.sandbox.entities import member_entity
from bot.sandbox.messages import ApiResponse, record_not_found
from bot.sandbox.models import Group, Membership, Project, SourceRef
from bot.sandbox.pagination import paginate
from bot.sandbox.routing import Context, Router
from bot.sandbox.state import SandboxState, source_ref


def _source(ctx: Context) -> Project | Group:
    if ctx.request.path.lstrip("/").startswith("projects/"):
        return find_project(ctx.state, ctx.user, ctx.args["id"])
    return find_group(ctx.state, ctx.user, ctx.args["id"])


def _chain_refs(state: SandboxState, source: Project | Group) -> set[SourceRef]:
    groups = state.ancestors(
        state.groups[source.namespace_id] if isinstance(source, Project) else source
    )
    refs = {source_ref(g) for g in groups}
    return refs | {source_ref(source)}


def _effective_members(state: SandboxState, source: Project | Group) -> list[Membership]:
    refs = _chain_refs(state, source)
    user_ids = sorted({uid for ref, uid in state.memberships if ref in refs})
    found = (highest_membership(state, uid, source) for uid in user_ids)
    return [m for m in found if m is not None]


def _filtered(ctx: Context, members: list[Membership]) -> list[Membership]:
    reader = ctx.reader()
    query = (reader.string("query") or "").lower()
    raw_ids = reader.string_list("user_ids")
    reader.check()
    wanted = {int(i) for i in raw_ids if i.isdigit()} if raw_ids is not None else None
    kept = []
    for member in members:
        user = ctx.state.users[member.user_id]
        if query and query not in user.username.lower() and query not in user.name.lower():
            continue
        if wanted is None or user.id in wanted:
            kept.append(member)
    return kept


def _page(ctx: Context, members: list[Membership]) -> ApiResponse:
    def render(member: Membership) -> dict[str, Any]:
        return member_entity(ctx.state, member, ctx.web)

    return paginate(ctx.request, _filtered(ctx, members), render)


def list_all_members(ctx: Context) -> ApiResponse:
    return _page(ctx, _effective_members(ctx.state, _source(ctx)))


def show_effective_member(ctx: Context) -> ApiResponse:
    source = _source(ctx)
    raw = ctx.args["user_id"]
    member = highest_membership(ctx.state, int(raw), source) if raw.isdigit() else None
    if member is None:
        raise record_not_found()
    return ApiResponse(200, member_entity(ctx.state, member, ctx.web))


def list_direct_members(ctx: Context) -> ApiResponse:
    source = _source(ctx)
    ref = source_ref(source)
    members = [m for (r, _), m in ctx.state.memberships.items() if r == ref]
    return _page(ctx, sorted(members, key=lambda m: m.user_id))


def show_direct_member(ctx: Context) -> ApiResponse:
    source = _source(ctx)
    raw = ctx.args["user_id"]
    member = ctx.state.memberships.get((source_ref(source), int(raw))) if raw.isdigit() else None
    if member is None:
        raise record_not_found()
    return ApiResponse(200, member_entity(ctx.state, member, ctx.web))


def register(router: Router) -> None:
    for kind in ("projects", "groups"):
        router.get(f"/{kind}/{{id}}/members/all", list_all_members, paginated=True)
        router.get(f"/{kind}/{{id}}/members/all/{{user_id}}", show_effective_member)
        router.get(f"/{kind}/{{id}}/members", list_direct_members, paginated=True)
        router.get(f"/{kind}/{{id}}/members/{{user_id}}", show_direct_member)
