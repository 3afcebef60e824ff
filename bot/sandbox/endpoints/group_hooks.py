"""Group webhooks: `GET/POST /groups/:id/hooks`, `GET/PUT/DELETE /groups/:id/hooks/:hook_id`.

As GitLab's `lib/api/group_hooks.rb` (group webhooks API, `doc/api/group_webhooks.md`): only
the group's Owners (and admins) see or change its hooks; `url` is required on create; the
secret `token` is write-only; an invalid `url` is refused with 422 `Invalid url given`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from bot.sandbox.access import find_group, has_level
from bot.sandbox.hook_models import EVENT_FLAGS, GroupHook
from bot.sandbox.messages import ApiError, ApiResponse, forbidden, no_content, not_found
from bot.sandbox.models import AccessLevel, Group
from bot.sandbox.pagination import paginate
from bot.sandbox.params import ParamReader
from bot.sandbox.routing import Context, Router

MAX_URL = 2048


def _owned_group(ctx: Context) -> Group:
    group = find_group(ctx.state, ctx.user, ctx.args["id"])
    if not has_level(ctx.state, ctx.user, group, AccessLevel.OWNER):
        raise forbidden()
    return group


def hook_entity(hook: GroupHook) -> dict[str, Any]:
    return {
        "id": hook.id,
        "url": hook.url,
        "name": hook.name,
        "description": hook.description,
        "group_id": hook.group_id,
        "created_at": hook.created_at.isoformat().replace("+00:00", "Z"),
        "enable_ssl_verification": hook.enable_ssl_verification,
        "alert_status": "executable",
        **hook.events,
    }


def _hook(ctx: Context, group: Group) -> GroupHook:
    raw = ctx.args["hook_id"]
    hook = ctx.state.group_hooks.hooks.get(int(raw)) if raw.isdigit() else None
    if hook is None or hook.group_id != group.id:
        raise not_found("Hook")
    return hook


def _valid_url(url: str) -> bool:
    parts = urlsplit(url)
    return len(url) <= MAX_URL and parts.scheme in ("http", "https") and bool(parts.netloc)


def _apply(reader: ParamReader, hook: GroupHook) -> None:
    """Set what the request gives; what it leaves out keeps its value."""
    for flag in EVENT_FLAGS:
        value = reader.boolean(flag)
        if value is not None:
            hook.events[flag] = value
    ssl = reader.boolean("enable_ssl_verification")
    if ssl is not None:
        hook.enable_ssl_verification = ssl
    for text in ("token", "name", "description"):
        value_text = reader.string(text, max_length=2048)
        if value_text is not None:
            setattr(hook, text, value_text)


def list_hooks(ctx: Context) -> ApiResponse:
    group = _owned_group(ctx)
    return paginate(ctx.request, ctx.state.group_hooks.of_group(group.id), hook_entity)


def show_hook(ctx: Context) -> ApiResponse:
    return ApiResponse(200, hook_entity(_hook(ctx, _owned_group(ctx))))


def create_hook(ctx: Context) -> ApiResponse:
    reader = ctx.reader()
    url = reader.string("url", required=True) or ""
    reader.check()
    group = _owned_group(ctx)
    if not _valid_url(url):
        raise ApiError(422, {"error": "Invalid url given"})
    hook = GroupHook(ctx.state.next_id("hooks"), group.id, url, ctx.state.now())
    _apply(reader, hook)
    reader.check()
    ctx.state.group_hooks.hooks[hook.id] = hook
    return ApiResponse(201, hook_entity(hook))


def update_hook(ctx: Context) -> ApiResponse:
    reader = ctx.reader()
    group = _owned_group(ctx)
    hook = _hook(ctx, group)
    url = reader.string("url")
    if url is not None and not _valid_url(url):
        raise ApiError(422, {"error": "Invalid url given"})
    _apply(reader, hook)
    reader.check()
    if url is not None:
        hook.url = url
    return ApiResponse(200, hook_entity(hook))


def delete_hook(ctx: Context) -> ApiResponse:
    hook = _hook(ctx, _owned_group(ctx))
    del ctx.state.group_hooks.hooks[hook.id]
    return no_content()


def register(router: Router) -> None:
    base = "/groups/{id}/hooks"
    router.get(base, list_hooks, paginated=True)
    router.post(base, create_hook)
    router.get(f"{base}/{{hook_id}}", show_hook)
    router.put(f"{base}/{{hook_id}}", update_hook)
    router.delete(f"{base}/{{hook_id}}", delete_hook)
