"""The simulator's expiry workers: POST GitLab's expiring-token hooks to the registered URLs.

Modelled on GitLab's daily cron workers `PersonalAccessTokens::ExpiringWorker` (which also
covers project and group access tokens, the bot users' tokens) and `DeployTokens::ExpiringWorker`
(`app/workers/personal_access_tokens/expiring_worker.rb`, `app/workers/deploy_tokens/
expiring_worker.rb` in gitlab-org/gitlab). For each notification interval a token is due when
it expires within that many days and was not yet notified for it; GitLab then runs the hooks
of the token's project or group (and of its parent groups: group hooks see their subgroups'
and projects' events) and records the interval as sent, so each interval is sent once.

Intervals (`doc/user/project/integrations/webhook_events.md`): access tokens 7 days before
expiry, and 30 and 60 days when the project's or group's setting "Add additional webhook
triggers" is on (GitLab 17.9+; `HookStore.extended_access_token_triggers` here); deploy
tokens 7, 30 and 60 days. This simulator sends only the nearest due interval and counts the
longer ones as sent, so a token that appears at 5 days left gets one hook, not three.

Each delivery is a real HTTP POST with GitLab's headers: `Content-Type: application/json`,
`X-Gitlab-Event`, `X-Gitlab-Token` (the hook's secret), `X-Gitlab-Event-UUID`, `User-Agent`.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.sandbox.hook_models import Delivery, GroupHook
from bot.sandbox.hook_payloads import (
    ACCESS_TOKEN_HOOK,
    DEPLOY_TOKEN_HOOK,
    access_token_payload,
    deploy_token_payload,
)
from bot.sandbox.models import Group, Project, SourceKind, SourceRef
from bot.sandbox.state import SandboxState

ACCESS_TOKEN_INTERVALS = (7,)
EXTENDED_ACCESS_TOKEN_INTERVALS = (7, 30, 60)
DEPLOY_TOKEN_INTERVALS = (7, 30, 60)
TIMEOUT_SECONDS = 10.0  # GitLab's webhook timeout
KEEP_DELIVERIES = 500


@dataclass(frozen=True)
class Outgoing:
    hook: GroupHook
    event: str
    payload: dict[str, Any]


def due_interval(expires: date, today: date, intervals: tuple[int, ...]) -> int | None:
    """The nearest interval the token is inside (expiring within that many days), if any."""
    left = (expires - today).days
    if left < 0:
        return None
    inside = [days for days in sorted(intervals) if left <= days]
    return inside[0] if inside else None


def _place(state: SandboxState, ref: SourceRef) -> Project | Group | None:
    if ref.kind is SourceKind.PROJECT:
        return state.projects.get(ref.id)
    return state.groups.get(ref.id)


def _hooks_for(state: SandboxState, place: Project | Group, flag: str) -> list[GroupHook]:
    group_id = place.namespace_id if isinstance(place, Project) else place.id
    group = state.groups.get(group_id)
    chain = state.ancestors(group) if group is not None else []
    return [
        hook
        for g in chain
        for hook in state.group_hooks.of_group(g.id)
        if hook.events.get(flag, False)
    ]


def _claim(state: SandboxState, kind: str, token_id: int, due: int, every: tuple[int, ...]) -> bool:
    """Mark `due` and the longer intervals as sent; False if `due` was sent already."""
    notified = state.group_hooks.notified
    if (kind, token_id, due) in notified:
        return False
    notified.update((kind, token_id, days) for days in every if days >= due)
    return True


def expiring_outgoing(state: SandboxState) -> list[Outgoing]:
    """What both workers would send now, marking it sent (call under `state.lock`)."""
    return _access_token_outgoing(state) + _deploy_token_outgoing(state)


def _access_token_outgoing(state: SandboxState) -> list[Outgoing]:
    today, now = state.today(), state.now()
    every = (
        EXTENDED_ACCESS_TOKEN_INTERVALS
        if state.group_hooks.extended_access_token_triggers
        else ACCESS_TOKEN_INTERVALS
    )
    found: list[Outgoing] = []
    for token in sorted(state.tokens.values(), key=lambda t: t.id):
        owner = state.users.get(token.user_id)
        source = owner.bot_source if owner is not None else None
        place = _place(state, source) if source is not None else None
        if place is None or token.expires_at is None or not token.is_active(now):
            continue
        due = due_interval(token.expires_at, today, every)
        hooks = _hooks_for(state, place, "resource_access_token_events")
        if due is not None and hooks and _claim(state, "access", token.id, due, every):
            payload = access_token_payload(state, place, token)
            found += [Outgoing(hook, ACCESS_TOKEN_HOOK, payload) for hook in hooks]
    return found


def _deploy_token_outgoing(state: SandboxState) -> list[Outgoing]:
    today, now, every = state.today(), state.now(), DEPLOY_TOKEN_INTERVALS
    found: list[Outgoing] = []
    for token in sorted(state.deploy_tokens.values(), key=lambda t: t.id):
        place = _place(state, token.source)
        if place is None or token.expires_at is None or not token.is_active(now):
            continue
        due = due_interval(token.expires_at.date(), today, every)
        hooks = _hooks_for(state, place, "resource_deploy_token_events")
        if due is not None and hooks and _claim(state, "deploy", token.id, due, every):
            payload = deploy_token_payload(state, place, token)
            found += [Outgoing(hook, DEPLOY_TOKEN_HOOK, payload) for hook in hooks]
    return found


def post_hook(outgoing: Outgoing, *, timeout: float = TIMEOUT_SECONDS) -> int:
    """POST one hook; the HTTP status, or 0 when nothing answered."""
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "GitLab/18.0.0-sandbox",
        "X-Gitlab-Event": outgoing.event,
        "X-Gitlab-Event-UUID": str(uuid.uuid4()),
        "X-Gitlab-Instance": "https://gitlab.sandbox.test",
    }
    if outgoing.hook.token:
        headers["X-Gitlab-Token"] = outgoing.hook.token
    body = json.dumps(outgoing.payload).encode()
    request = urllib.request.Request(  # noqa: S310 - http(s) only: the hooks API checks
        outgoing.hook.url, data=body, headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except (OSError, ValueError):
        return 0


def run_expiry_workers(
    state: SandboxState, *, send: Callable[[Outgoing], int] = post_hook
) -> list[Delivery]:
    """One run of both workers: choose under the lock, POST outside it, log each delivery."""
    with state.lock:
        outgoing = expiring_outgoing(state)
    return deliver(state, outgoing, send=send)


def deliver(
    state: SandboxState,
    outgoing: list[Outgoing],
    *,
    send: Callable[[Outgoing], int] = post_hook,
) -> list[Delivery]:
    """POST each (outside the lock) and log it in `state.group_hooks.deliveries`."""
    deliveries = [
        Delivery(o.hook.id, o.hook.url, o.event, str(o.payload["event_name"]), send(o), state.now())
        for o in outgoing
    ]
    with state.lock:
        log = state.group_hooks.deliveries
        log.extend(deliveries)
        del log[:-KEEP_DELIVERIES]
    return deliveries


def start_expiry_ticker(state: SandboxState, *, every_seconds: float = 60.0) -> Callable[[], None]:
    """Run the workers now and every `every_seconds` (the demo's stand-in for GitLab's daily
    cron; the intervals follow the simulator's clock). Returns a stop function."""
    stop = threading.Event()

    def loop() -> None:
        while True:
            run_expiry_workers(state)
            if stop.wait(every_seconds):
                return

    threading.Thread(target=loop, name="sandbox-expiry-hooks", daemon=True).start()
    return stop.set
