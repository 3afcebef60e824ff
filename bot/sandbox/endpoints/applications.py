"""`POST|GET /applications`, `DELETE /applications/:id`: instance OAuth applications (admins).

lib/api/applications.rb: `authenticated_as_admin!` (403 otherwise); `name`, `redirect_uri`
and `scopes` (space-separated) are required, `confidential` defaults to true; the answer is
`Entities::ApplicationWithSecret` (201). Scopes must be ones GitLab knows
(`enforce_configured_scopes`): otherwise `{"message": {"scopes": ["doesn't match configured
on the server."]}}` (Doorkeeper's locale).
"""

from __future__ import annotations

from typing import Any

from bot.sandbox.messages import ApiResponse, forbidden, model_errors, no_content, not_found
from bot.sandbox.oauth_authorize import OAUTH_SCOPES, uri_is_valid
from bot.sandbox.oauth_models import OAuthApplication
from bot.sandbox.oauth_store import delete_application as remove_application
from bot.sandbox.oauth_store import register_application
from bot.sandbox.routing import Context, Router


def application_entity(app: OAuthApplication) -> dict[str, Any]:
    return {
        "id": app.id,
        "application_id": app.uid,
        "application_name": app.name,
        "callback_url": "\n".join(app.redirect_uris),
        "confidential": app.confidential,
    }


def _admin_only(ctx: Context) -> None:
    if not ctx.user.is_admin:
        raise forbidden()


def create_application(ctx: Context) -> ApiResponse:
    _admin_only(ctx)
    reader = ctx.reader()
    name = reader.string("name", required=True) or ""
    redirect_uri = reader.string("redirect_uri", required=True) or ""
    scopes = (reader.string("scopes", required=True) or "").split()
    confidential = reader.boolean("confidential")
    reader.check()
    uris = redirect_uri.split()
    if not uris or not all(uri_is_valid(u) for u in uris):
        raise model_errors({"redirect_uri": ["must be a valid URI."]})
    if not scopes or not set(scopes) <= OAUTH_SCOPES:
        raise model_errors({"scopes": ["doesn't match configured on the server."]})
    app, secret = register_application(
        ctx.state,
        name=name,
        redirect_uris=uris,
        scopes=scopes,
        confidential=True if confidential is None else confidential,
    )
    return ApiResponse(201, {**application_entity(app), "secret": secret})


def list_applications(ctx: Context) -> ApiResponse:
    _admin_only(ctx)
    apps = sorted(ctx.state.oauth.applications.values(), key=lambda a: a.id)
    return ApiResponse(200, [application_entity(a) for a in apps])


def delete_application(ctx: Context) -> ApiResponse:
    _admin_only(ctx)
    raw = ctx.args["app_id"]
    app = ctx.state.oauth.applications.get(int(raw)) if raw.isdigit() else None
    if app is None:
        raise not_found("Application")
    remove_application(ctx.state, app)
    return no_content()


def register(router: Router) -> None:
    router.post("/applications", create_application)
    router.get("/applications", list_applications)
    router.delete("/applications/{app_id}", delete_application)
