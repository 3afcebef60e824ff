"""`/user` and `/users`: the current user and user lookups."""

from __future__ import annotations

from typing import Any

from bot.sandbox.access import find_user
from bot.sandbox.entities import user_basic, user_private, user_public
from bot.sandbox.messages import ApiResponse
from bot.sandbox.models import User
from bot.sandbox.pagination import paginate
from bot.sandbox.routing import Context, Router

_READ_USER = ("read_user",)


def show_current_user(ctx: Context) -> ApiResponse:
    return ApiResponse(200, user_private(ctx.user, ctx.web))


def _matches(user: User, username: str | None, search: str | None, *, admin: bool) -> bool:
    if username is not None and user.username.lower() != username.lower():
        return False
    if search:
        needle = search.lower()
        # Only administrators may find people by their private e-mail address.
        return (
            needle in user.username.lower()
            or needle in user.name.lower()
            or (admin and needle == user.email.lower())
        )
    return True


def list_users(ctx: Context) -> ApiResponse:
    reader = ctx.reader()
    username = reader.string("username")
    search = reader.string("search")
    reader.check()
    users = [
        u
        for u in sorted(ctx.state.users.values(), key=lambda u: -u.id)
        if _matches(u, username, search, admin=ctx.user.is_admin)
    ]

    def render(user: User) -> dict[str, Any]:
        return user_private(user, ctx.web) if ctx.user.is_admin else user_basic(user, ctx.web)

    return paginate(ctx.request, users, render)


def show_user(ctx: Context) -> ApiResponse:
    user = find_user(ctx.state, ctx.args["user_id"])
    if ctx.user.is_admin or user.id == ctx.user.id:
        return ApiResponse(200, user_private(user, ctx.web))
    return ApiResponse(200, user_public(user, ctx.web))


def register(router: Router) -> None:
    router.get("/user", show_current_user, extra_scopes=_READ_USER)
    router.get("/users", list_users, extra_scopes=_READ_USER)
    router.get("/users/{user_id}", show_user, extra_scopes=_READ_USER)
