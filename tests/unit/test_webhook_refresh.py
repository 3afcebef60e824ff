"""The webhook refresh worker (one thread, bursts coalesced, busy retried) and the check lines."""

from __future__ import annotations

import threading

from bot.services.checks import Status
from bot.services.checks_webhooks import WebhookCheckDeps, webhook_checks
from bot.services.gitlab_errors import PermissionDeniedError
from bot.services.webhook_port import GroupHookInfo, HookSpec
from bot.services.webhook_queue import RefreshQueue
from bot.services.webhooks import RefreshOutcome, RefreshReport

URL = "https://tokenbot.example.test/gitlab/webhook"


def test_a_burst_of_events_is_refreshed_in_few_runs_and_busy_ones_again() -> None:
    runs: list[tuple[str, ...]] = []
    first_started, release, done = threading.Event(), threading.Event(), threading.Event()

    def refresh(groups: tuple[str, ...]) -> RefreshReport:
        runs.append(groups)
        if len(runs) == 1:
            first_started.set()
            release.wait(5)
            return RefreshReport(RefreshOutcome.BUSY, groups)
        done.set()
        return RefreshReport(RefreshOutcome.DONE, groups)

    queue = RefreshQueue(refresh, retry_seconds=0.01)
    try:
        queue.submit(["acme"])
        assert first_started.wait(5)
        for _ in range(50):  # arrive while the first run is busy
            queue.submit(["acme", "beta"])
        release.set()
        assert done.wait(5)
    finally:
        queue.close()
    assert runs[0] == ("acme",)
    assert runs[1] == ("acme", "beta")  # 50 deliveries, one run
    assert len(runs) == 2


def test_a_failing_refresh_does_not_stop_the_worker() -> None:
    failed, done = threading.Event(), threading.Event()

    def refresh(groups: tuple[str, ...]) -> RefreshReport:
        if not failed.is_set():
            failed.set()
            raise RuntimeError("boom")
        done.set()
        return RefreshReport(RefreshOutcome.DONE, groups)

    queue = RefreshQueue(refresh)
    try:
        queue.submit(["acme"])
        assert failed.wait(5)
        queue.submit(["acme"])
        assert done.wait(5)
    finally:
        queue.close()


class FakeHooks:
    def __init__(self, hooks: dict[str, list[GroupHookInfo]]) -> None:
        self.hooks = hooks

    def group_hooks(self, group: str) -> list[GroupHookInfo]:
        if group not in self.hooks:
            raise PermissionDeniedError("403 Forbidden")
        return self.hooks[group]

    def create_group_hook(self, group: str, spec: HookSpec) -> GroupHookInfo:
        raise AssertionError("checks never write")

    def update_group_hook(self, group: str, hook_id: int, spec: HookSpec) -> GroupHookInfo:
        raise AssertionError("checks never write")


def test_check_lines_say_which_groups_have_tokenbots_hook() -> None:
    hooks = FakeHooks(
        {
            "acme": [GroupHookInfo(1, URL, frozenset({"resource_access_token_events"}))],
            "beta": [GroupHookInfo(2, "https://elsewhere.test/hook")],
            "gamma": [GroupHookInfo(3, URL + "/", frozenset({"push_events"}))],
        }
    )
    deps = WebhookCheckDeps(hooks, True, ("acme", "beta", "gamma", "delta"), URL)
    results = {r.target: r for r in webhook_checks(deps)}
    assert results["acme"].status is Status.PASS
    assert results["beta"].status is Status.WARN
    assert "tokenbot webhooks install" in (results["beta"].fix or "")
    assert results["gamma"].status is Status.WARN
    assert "resource_access_token_events off" in results["gamma"].detail
    assert results["delta"].status is Status.WARN
    assert "Owners only" in results["delta"].detail


def test_no_check_line_without_the_secret() -> None:
    assert webhook_checks(WebhookCheckDeps(FakeHooks({}), False, ("acme",))) == []
    assert webhook_checks(None) == []
    (skipped,) = webhook_checks(WebhookCheckDeps(None, True, ("acme",)))
    assert skipped.status is Status.SKIP
