"""Group webhooks through python-gitlab (`group.hooks`), for `tokenbot webhooks install`."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, Protocol, TypeVar

import gitlab

from bot.services.webhook_port import GroupHookInfo, HookSpec

T = TypeVar("T")


class _Caller(Protocol):
    def call(self, what: str, operation: Callable[[], T], *, change: str | None = None) -> T: ...


def hook_info(attrs: dict[str, Any]) -> GroupHookInfo:
    events = frozenset(k for k, v in attrs.items() if k.endswith("_events") and v is True)
    return GroupHookInfo(int(attrs["id"]), str(attrs.get("url") or ""), events)


def _data(spec: HookSpec) -> dict[str, Any]:
    return {
        "url": spec.url,
        "token": spec.secret.reveal(),
        "enable_ssl_verification": spec.enable_ssl_verification,
        **spec.events,
    }


def list_hooks(caller: _Caller, gl: gitlab.Gitlab, group: str) -> list[GroupHookInfo]:
    hooks = gl.groups.get(group, lazy=True).hooks
    found = caller.call(f"hooks of group '{group}'", partial(hooks.list, iterator=True))
    return [hook_info(h.attributes) for h in found]


def create_hook(caller: _Caller, gl: gitlab.Gitlab, group: str, spec: HookSpec) -> GroupHookInfo:
    hooks = gl.groups.get(group, lazy=True).hooks
    made = caller.call(
        f"hooks of group '{group}'",
        partial(hooks.create, _data(spec)),
        change=f"the webhook of group '{group}'",
    )
    return hook_info(made.attributes)


def update_hook(
    caller: _Caller, gl: gitlab.Gitlab, group: str, hook_id: int, spec: HookSpec
) -> GroupHookInfo:
    hooks = gl.groups.get(group, lazy=True).hooks
    answer = caller.call(
        f"hook {hook_id} of group '{group}'", partial(hooks.update, hook_id, _data(spec))
    )
    return hook_info({"id": hook_id, **answer})
