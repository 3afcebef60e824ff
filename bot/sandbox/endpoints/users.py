"""`/user` and `/users`: the current user and user lookups.

`search` follows app/finders/users_finder.rb and `User.search` (app/models/user.rb): any caller
finds people by username or name, or by the exact *public* e-mail (`with_public_email`); only
admins (`with_private_emails`) by the exact primary (or secondary) e-mail too.
`public_email=` filters on the exact public e-mail (`by_public_email`).
"""

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


def _email_matches(user: User, needle: str, *, admin: bool) -> bool:
    """Everyone matches the public e-mail; admins also the primary one. (GitLab's public e-mail
    is always one of the user's verified e-mails, which admins' search covers.)"""
    addresses = [user.public_email, user.email if admin else None]
    return any(a is not None and needle == a.lower() for a in addresses)


def _matches(user: User, query: dict[str, str | None], *, admin: bool) -> bool:
    username, search, public_email = query["username"], query["search"], query["public_email"]
    if username is not None and user.username.lower() != username.lower():
        return False
    if public_email is not None and (user.public_email or "") != public_email:
        return False
    if search:
        needle = search.lower()
        return (
            needle in user.username.lower()
            or needle in user.name.lower()
            or _email_matches(user, needle, admin=admin)
        )
    return True


def list_users(ctx: Context) -> ApiResponse:
    reader = ctx.reader()
    query = {name: reader.string(name) for name in ("username", "search", "public_email")}
    reader.check()
    users = [
        u
        for u in sorted(ctx.state.users.values(), key=lambda u: -u.id)
        if _matches(u, query, admin=ctx.user.is_admin)
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
    router.get("/users", list_users, extra_scopes=_READ_USER, paginated=True)
    router.get("/users/{user_id}", show_user, extra_scopes=_READ_USER)
