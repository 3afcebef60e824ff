"""`GET|PUT /application/settings`: administrators only (`authenticated_as_admin!` -> 403).

lib/api/settings.rb presents `Entities::ApplicationSetting`; the simulator shows and accepts
only the keys it enforces (bot/sandbox/instance.py). Unknown keys are ignored, as Grape's
`declared_params` drops them; a non-boolean value is Grape's `<key> is invalid`.
"""

from __future__ import annotations

from bot.sandbox.instance import SETTING_KEYS, settings_entity
from bot.sandbox.messages import ApiResponse, forbidden
from bot.sandbox.routing import Context, Router


def _admin_only(ctx: Context) -> None:
    if not ctx.user.is_admin:
        raise forbidden()


def show_settings(ctx: Context) -> ApiResponse:
    _admin_only(ctx)
    return ApiResponse(200, settings_entity(ctx.state.settings))


def update_settings(ctx: Context) -> ApiResponse:
    _admin_only(ctx)
    reader = ctx.reader()
    values = {key: reader.boolean(key) for key in SETTING_KEYS}
    reader.check()
    for key, value in values.items():
        if value is not None:
            setattr(ctx.state.settings, key, value)
    return ApiResponse(200, settings_entity(ctx.state.settings))


def register(router: Router) -> None:
    router.get("/application/settings", show_settings)
    router.put("/application/settings", update_settings)
