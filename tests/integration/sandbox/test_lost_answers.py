"""GitLab did the work, the client never heard: every write tokenbot makes, end to end.

A real `gitlab.Gitlab` client (0.5 s timeout) talks to the served simulator. Each write is
hit by a fault with `after=True` (a 502, a dropped connection, or an answer slower than the
client waits): the client must see the failure, and the simulator's state must show the work
done. Faults without `after` fail before the work, so nothing is done.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import gitlab
import pytest
import requests
from gitlab.v4.objects import GroupServiceAccount

from bot.sandbox import (
    FaultInjector,
    FaultKind,
    add_deploy_token,
    add_personal_token,
    add_resource_token,
    add_service_account,
    add_trigger,
    add_variable,
)
from tests.integration.sandbox.conftest import World

CLIENT_TIMEOUT_S = 0.5
SLOW_MS = 2000  # well past the client's timeout

Setup = Callable[[World], dict[str, Any]]
Act = Callable[[gitlab.Gitlab, World, dict[str, Any]], object]
Done = Callable[[World, dict[str, Any]], bool]


@dataclass(frozen=True)
class Write:
    """One write tokenbot makes: the fault's target, how to do it, how to see it done."""

    method: str
    path: str
    act: Act
    done: Done
    setup: Setup = lambda _world: {}


def _project(gl: gitlab.Gitlab, world: World) -> Any:
    return gl.projects.get(world.project.id, lazy=True)


def _account(gl: gitlab.Gitlab, world: World, ctx: dict[str, Any]) -> GroupServiceAccount:
    group = gl.groups.get(world.acme.id, lazy=True)
    return GroupServiceAccount(group.service_accounts, {"id": ctx["account"].id})


def _named(world: World, name: str, *, user_id: int | None = None) -> bool:
    return any(
        t.name == name and (user_id is None or t.user_id == user_id)
        for t in world.sandbox.sim.state.tokens.values()
    )


def _with_account(world: World) -> dict[str, Any]:
    account = add_service_account(world.sandbox.sim.state, world.acme, "sa-robot", name="Robot")
    return {"account": account}


def _with_account_token(world: World) -> dict[str, Any]:
    ctx = _with_account(world)
    ctx["token"], _ = add_personal_token(world.sandbox.sim.state, ctx["account"], name="sa")
    return ctx


def _with_project_token(world: World) -> dict[str, Any]:
    token, _ = add_resource_token(world.sandbox.sim.state, world.project, name="ci")
    return {"token": token}


def _rotated(world: World, ctx: dict[str, Any]) -> bool:
    old = ctx["token"]
    tokens = world.sandbox.sim.state.tokens.values()
    return old.revoked and any(t.previous_id == old.id for t in tokens)


WRITES: dict[str, Write] = {
    "project-token-create": Write(
        "POST",
        "*/projects/*/access_tokens",
        lambda gl, w, _: _project(gl, w).access_tokens.create({"name": "lost", "scopes": ["api"]}),
        lambda w, _: _named(w, "lost"),
    ),
    "group-token-create": Write(
        "POST",
        "*/groups/*/access_tokens",
        lambda gl, w, _: gl.groups.get(w.platform.id, lazy=True).access_tokens.create(
            {"name": "lost", "scopes": ["read_api"], "access_level": 30}
        ),
        lambda w, _: _named(w, "lost"),
    ),
    "service-account-token-create": Write(
        "POST",
        "*/service_accounts/*/personal_access_tokens",
        lambda gl, w, ctx: _account(gl, w, ctx).access_tokens.create(
            {"name": "lost", "scopes": ["api"]}
        ),
        lambda w, ctx: _named(w, "lost", user_id=ctx["account"].id),
        _with_account,
    ),
    "deploy-token-create": Write(
        "POST",
        "*/projects/*/deploy_tokens",
        lambda gl, w, _: _project(gl, w).deploytokens.create(
            {"name": "lost", "scopes": ["read_repository"]}
        ),
        lambda w, _: any(t.name == "lost" for t in w.sandbox.sim.state.deploy_tokens.values()),
    ),
    "trigger-create": Write(
        "POST",
        "*/projects/*/triggers",
        lambda gl, w, _: _project(gl, w).triggers.create({"description": "lost"}),
        lambda w, _: any(t.description == "lost" for t in w.sandbox.sim.state.triggers.values()),
    ),
    "project-token-rotate": Write(
        "POST",
        "*/projects/*/access_tokens/*/rotate",
        lambda gl, w, ctx: _project(gl, w).access_tokens.rotate(ctx["token"].id),
        _rotated,
        _with_project_token,
    ),
    "service-account-token-rotate": Write(
        "POST",
        "*/personal_access_tokens/*/rotate",
        lambda gl, w, ctx: _account(gl, w, ctx).access_tokens.rotate(ctx["token"].id),
        _rotated,
        _with_account_token,
    ),
    "variable-create": Write(
        "POST",
        "*/projects/*/variables",
        lambda gl, w, _: _project(gl, w).variables.create({"key": "LOST", "value": "v"}),
        lambda w, _: any(v.key == "LOST" for v in w.sandbox.sim.state.variables),
    ),
    "variable-update": Write(
        "PUT",
        "*/projects/*/variables/KEY",
        lambda gl, w, _: _project(gl, w).variables.update("KEY", {"value": "new"}),
        lambda w, _: [v.value for v in w.sandbox.sim.state.variables] == ["new"],
        lambda w: {"variable": add_variable(w.sandbox.sim.state, w.project, "KEY", "old")},
    ),
    "project-token-revoke": Write(
        "DELETE",
        "*/projects/*/access_tokens/*",
        lambda gl, w, ctx: _project(gl, w).access_tokens.delete(ctx["token"].id),
        lambda _w, ctx: ctx["token"].revoked,
        _with_project_token,
    ),
    "service-account-token-revoke": Write(
        "DELETE",
        "*/service_accounts/*/personal_access_tokens/*",
        lambda gl, w, ctx: _account(gl, w, ctx).access_tokens.delete(ctx["token"].id),
        lambda _w, ctx: ctx["token"].revoked,
        _with_account_token,
    ),
    "deploy-token-delete": Write(
        "DELETE",
        "*/projects/*/deploy_tokens/*",
        lambda gl, w, ctx: _project(gl, w).deploytokens.delete(ctx["token"].id),
        lambda w, ctx: ctx["token"].id not in w.sandbox.sim.state.deploy_tokens,
        lambda w: {"token": add_deploy_token(w.sandbox.sim.state, w.project, name="d")[0]},
    ),
    "trigger-delete": Write(
        "DELETE",
        "*/projects/*/triggers/*",
        lambda gl, w, ctx: _project(gl, w).triggers.delete(ctx["trigger"].id),
        lambda w, ctx: ctx["trigger"].id not in w.sandbox.sim.state.triggers,
        lambda w: {
            "trigger": add_trigger(w.sandbox.sim.state, w.project, w.owner, description="t")
        },
    ),
}


def _fail_with_502(faults: FaultInjector, write: Write, *, after: bool) -> None:
    faults.error(502, path=write.path, method=write.method, count=1, after=after)


def _drop(faults: FaultInjector, write: Write, *, after: bool) -> None:
    faults.drop_connection(path=write.path, method=write.method, count=1, after=after)


def _slow(faults: FaultInjector, write: Write, *, after: bool) -> None:
    faults.latency(SLOW_MS, path=write.path, method=write.method, count=1, after=after)


def _is_502(error: BaseException) -> bool:
    return isinstance(error, gitlab.GitlabError) and error.response_code == 502


MODES: dict[str, tuple[Callable[..., None], type[BaseException], Callable[..., bool]]] = {
    "502": (_fail_with_502, gitlab.GitlabError, _is_502),
    "drop": (_drop, requests.ConnectionError, lambda _e: True),
    "slow": (_slow, requests.exceptions.ReadTimeout, lambda _e: True),
}


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("name", list(WRITES))
def test_after_fault_client_sees_failure_but_the_work_is_done(
    world: World, name: str, mode: str
) -> None:
    write = WRITES[name]
    arm, raised, check = MODES[mode]
    ctx = write.setup(world)
    assert not write.done(world, ctx)
    arm(world.sandbox.sim.faults, write, after=True)
    gl = world.sandbox.gl(world.owner_token, timeout=CLIENT_TIMEOUT_S)
    started = time.perf_counter()
    with pytest.raises(raised) as failure:
        write.act(gl, world, ctx)
    assert check(failure.value)
    assert time.perf_counter() - started < SLOW_MS / 1000  # the client gave up first
    assert write.done(world, ctx)  # ... yet GitLab did it, and it is committed
    assert world.sandbox.sim.faults.rules() == []


@pytest.mark.parametrize("mode", ["502", "drop"])
@pytest.mark.parametrize(
    "name", ["project-token-create", "deploy-token-create", "trigger-create", "variable-update"]
)
def test_before_fault_fails_the_request_and_nothing_is_done(
    world: World, name: str, mode: str
) -> None:
    write = WRITES[name]
    arm, raised, check = MODES[mode]
    ctx = write.setup(world)
    arm(world.sandbox.sim.faults, write, after=False)
    gl = world.sandbox.gl(world.owner_token, timeout=CLIENT_TIMEOUT_S)
    with pytest.raises(raised) as failure:
        write.act(gl, world, ctx)
    assert check(failure.value)
    assert not write.done(world, ctx)
    write.act(gl, world, ctx)  # the rule is spent: the retry goes through
    assert write.done(world, ctx)


def _in_thread(target: Callable[[], object]) -> tuple[threading.Thread, dict[str, object]]:
    result: dict[str, object] = {}

    def run() -> None:
        started = time.perf_counter()
        result["value"] = target()
        result["elapsed"] = time.perf_counter() - started

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, result


def _wait_for(condition: Callable[[], bool], timeout_s: float = 2.0) -> bool:
    deadline = time.perf_counter() + timeout_s
    while time.perf_counter() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def test_slow_after_commits_first_and_holds_no_lock_while_it_sleeps(world: World) -> None:
    world.sandbox.sim.faults.latency(800, path="*/access_tokens", method="POST", after=True)
    project = _project(world.sandbox.gl(world.owner_token, timeout=5), world)
    thread, result = _in_thread(
        lambda: project.access_tokens.create({"name": "late", "scopes": ["api"]})
    )
    assert _wait_for(lambda: _named(world, "late"))  # created while the answer is held back
    assert thread.is_alive()
    # Other requests flow meanwhile, and the state lock is free.
    started = time.perf_counter()
    assert world.sandbox.call("GET", "/user", world.developer_token).status_code == 200
    assert time.perf_counter() - started < 0.4
    assert world.sandbox.sim.state.lock.acquire(timeout=0.2)
    world.sandbox.sim.state.lock.release()
    thread.join(timeout=5)
    # A client patient enough gets the real answer, late.
    assert result["value"].name == "late"  # type: ignore[attr-defined]
    assert float(result["elapsed"]) >= 0.8  # type: ignore[arg-type]


def test_before_latency_is_unchanged_nothing_is_done_until_it_is_over(world: World) -> None:
    world.sandbox.sim.faults.latency(500, path="*/access_tokens", method="POST", count=1)
    project = _project(world.sandbox.gl(world.owner_token, timeout=5), world)
    thread, result = _in_thread(
        lambda: project.access_tokens.create({"name": "early", "scopes": ["api"]})
    )
    time.sleep(0.25)
    assert not _named(world, "early")
    thread.join(timeout=5)
    assert _named(world, "early")
    assert float(result["elapsed"]) >= 0.5  # type: ignore[arg-type]


def test_latency_before_and_after_both_apply_to_one_request(world: World) -> None:
    faults = world.sandbox.sim.faults
    faults.latency(150, path="*/user", count=1)
    faults.latency(250, path="*/user", count=1, after=True)
    started = time.perf_counter()
    assert world.sandbox.call("GET", "/user", world.developer_token).status_code == 200
    assert time.perf_counter() - started >= 0.4
    assert faults.rules() == []


def test_plan_separates_latency_before_and_after_the_work() -> None:
    faults = FaultInjector()
    faults.latency(100, path="/a")
    faults.latency(300, path="/a", after=True, count=1)
    rule = faults.drop_connection(path="/a", after=True)
    plan = faults.plan("GET", "/a")
    assert (plan.delay_s, plan.late_delay_s, plan.failure) == (0.1, 0.3, rule)
    assert rule.kind is FaultKind.DROP
    later = faults.plan("GET", "/a")
    assert (later.delay_s, later.late_delay_s, later.failure) == (0.1, 0.0, None)


def _port(world: World) -> int:
    return int(world.sandbox.url.rsplit(":", 1)[1])


def _abort_mid_request(world: World) -> None:
    """A client that sends a request, then resets the connection (RST) while it is served."""
    with socket.create_connection(("127.0.0.1", _port(world)), timeout=5) as sock:
        request = (
            f"GET /api/v4/user HTTP/1.1\r\nHost: sandbox\r\n"
            f"PRIVATE-TOKEN: {world.developer_token}\r\n\r\n"
        )
        sock.sendall(request.encode())
        time.sleep(0.05)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def test_client_gone_before_the_late_answer_leaves_no_traceback(
    world: World, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    sim = world.sandbox.sim
    sim.faults.latency(400, path="*/access_tokens", method="POST", count=1, after=True)
    gl = world.sandbox.gl(world.owner_token, timeout=0.1)
    with pytest.raises(requests.exceptions.ReadTimeout):
        _project(gl, world).access_tokens.create({"name": "gone", "scopes": ["api"]})
    sim.faults.latency(300, path="*/user", count=1, after=True)
    _abort_mid_request(world)
    # The log entry is written once the sleep is over, just before the late write.
    assert _wait_for(lambda: sim.requests.count(path="*/access_tokens") == 1)
    assert _wait_for(lambda: sim.requests.count(path="*/user") == 1)
    time.sleep(0.2)  # let the late writes hit the closed sockets
    assert world.sandbox.call("GET", "/user", world.developer_token).status_code == 200
    assert _named(world, "gone")
    err = capfd.readouterr().err
    assert "Traceback" not in err
    assert "Exception occurred" not in err
    assert [r for r in caplog.records if r.levelno >= 30] == []
