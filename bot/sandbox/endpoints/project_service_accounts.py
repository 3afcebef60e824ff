"""Project service accounts (GitLab 18.10, behind `allow_projects_to_create_service_accounts`).

ee/lib/api/project_service_accounts.rb: the project is looked up (404), then the flag (off:
`404 Not Found`), then `admin_service_accounts` on the project (Maintainer or Owner, or admin;
else 403). Creating one also needs `create_service_account`: in
ee/spec/services/namespaces/service_accounts/create_service_spec.rb project Maintainers and
Owners succeed with `allow_top_level_group_owners_to_create_service_accounts` on; without it
only admins (the service's error is `400 Bad request - ... in this project.`). Only create and
list are simulated.
"""

from __future__ import annotations

import secrets

from bot.sandbox.access import find_project, has_level
from bot.sandbox.entities import service_account_entity
from bot.sandbox.messages import ApiResponse, bad_request, forbidden, not_found
from bot.sandbox.models import AccessLevel, Project, UserType
from bot.sandbox.pagination import paginate
from bot.sandbox.routing import Context, Router

NO_PERMISSION = "User does not have permission to create a service account in this project."


def _managed_project(ctx: Context) -> Project:
    project = find_project(ctx.state, ctx.user, ctx.args["id"])
    if not ctx.state.features.allow_projects_to_create_service_accounts:
        raise not_found()
    if ctx.user.is_resource_bot or not has_level(
        ctx.state, ctx.user, project, AccessLevel.MAINTAINER
    ):
        raise forbidden()
    return project


def list_accounts(ctx: Context) -> ApiResponse:
    project = _managed_project(ctx)
    reader = ctx.reader()
    order_by = reader.choice("order_by", ("id", "username")) or "id"
    sort = reader.choice("sort", ("asc", "desc")) or "desc"
    reader.check()
    accounts = [u for u in ctx.state.users.values() if u.provisioned_by_project_id == project.id]
    accounts.sort(key=lambda u: getattr(u, order_by), reverse=sort == "desc")
    return paginate(ctx.request, accounts, service_account_entity)


def create_account(ctx: Context) -> ApiResponse:
    project = _managed_project(ctx)
    settings = ctx.state.settings
    if not (ctx.user.is_admin or settings.allow_top_level_group_owners_to_create_service_accounts):
        raise bad_request(NO_PERMISSION)
    reader = ctx.reader()
    name = reader.string("name") or "Service account user"
    username = (
        reader.string("username") or f"service_account_project_{project.id}_{secrets.token_hex(16)}"
    )
    email = reader.string("email") or f"{username}@noreply.{ctx.state.host}"
    reader.check()
    if any(u.email.lower() == email.lower() for u in ctx.state.users.values()):
        raise bad_request("Email has already been taken")
    account = ctx.state.add_user(
        username, name=name, email=email, user_type=UserType.SERVICE_ACCOUNT
    )
    account.provisioned_by_project_id = project.id
    return ApiResponse(201, service_account_entity(account))


def register(router: Router) -> None:
    router.get("/projects/{id}/service_accounts", list_accounts, paginated=True)
    router.post("/projects/{id}/service_accounts", create_account)
