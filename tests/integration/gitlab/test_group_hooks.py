"""Group webhooks: the simulator's hooks API through python-gitlab, `install_webhooks` run
twice, and the simulator's expiry workers POSTing GitLab's hooks over HTTP.

GitLab facts checked against gitlab-org/gitlab: the group hooks API (`lib/api/group_hooks.rb`,
`doc/api/group_webhooks.md`: Owners only, `token` write-only, 422 `Invalid url given`); the
expiring-token hooks (`doc/user/project/integrations/webhook_events.md`: `X-Gitlab-Event:
Resource Access Token Hook`, `object_kind: access_token`, `event_name: expiring_access_token`,
7 days before expiry, 30 and 60 under the "additional webhook triggers" setting; deploy tokens
7, 30 and 60 days) and the daily workers that send them
(`app/workers/personal_access_tokens/expiring_worker.rb`,
`app/workers/deploy_tokens/expiring_worker.rb`).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

from bot.db.unit_of_work import SqlUnitOfWork
from bot.domain.audit import AuditAction
from bot.domain.credentials import Secret
from bot.gitlab.gateway import PythonGitlabGateway
from bot.sandbox import AccessLevel, add_deploy_token, add_resource_token
from bot.sandbox.hook_sender import due_interval, run_expiry_workers
from bot.services.gitlab_errors import GitLabError
from bot.services.webhook_install import (
    HookState,
    InstallChange,
    InstallDeps,
    hook_status,
    install_webhooks,
)
from tests.integration.gitlab.conftest import NOW, TODAY, Company

SECRET = "hook-secret-for-tests-only"


class Receiver:
    """An HTTP server on 127.0.0.1 that records every POST (headers and JSON body)."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], Any]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length))
                outer.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/gitlab/webhook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


def _install(
    company: Company, gateway: PythonGitlabGateway, sql_uow: Callable[[], SqlUnitOfWork], url: str
) -> list[Any]:
    deps = InstallDeps(gateway, sql_uow, lambda: NOW)
    return install_webhooks(["acme"], url=url, secret=Secret(SECRET), deps=deps)


def test_install_twice_leaves_one_hook_with_the_events_and_secret(
    company: Company, gateway: PythonGitlabGateway, sql_uow: Callable[[], SqlUnitOfWork]
) -> None:
    url = "http://tokenbot.example.test/gitlab/webhook"
    (first,) = _install(company, gateway, sql_uow, url)
    (second,) = _install(company, gateway, sql_uow, url)
    assert first.change is InstallChange.CREATED
    assert second.change is InstallChange.UPDATED
    assert second.hook_id == first.hook_id
    (hook,) = company.sim.state.group_hooks.of_group(company.acme.id)
    assert hook.url == url
    assert hook.token == SECRET
    assert hook.events["resource_access_token_events"]
    assert hook.events["member_events"]
    assert hook.events["subgroup_events"]
    assert not hook.events["push_events"]  # GitLab's default, turned off
    listed = gateway.group_hooks("acme")
    assert [h.id for h in listed] == [hook.id]
    with sql_uow() as uow:
        actions = [e.action for e in uow.audit.events()]
    assert actions.count(AuditAction.WEBHOOK_INSTALLED) == 2
    assert hook_status("acme", url=url, gitlab=gateway).state is HookState.INSTALLED


def test_the_hooks_api_never_returns_the_secret_and_refuses_bad_urls(
    company: Company, gateway: PythonGitlabGateway, sql_uow: Callable[[], SqlUnitOfWork]
) -> None:
    _install(company, gateway, sql_uow, "http://tokenbot.example.test/gitlab/webhook")
    api = f"{company.url}/api/v4/groups/{company.acme.id}/hooks"
    headers = {"PRIVATE-TOKEN": company.bot_token}
    listed = requests.get(api, headers=headers, timeout=5).json()
    assert SECRET not in json.dumps(listed)
    bad = requests.post(api, headers=headers, data={"url": "not a url"}, timeout=5)
    assert bad.status_code == 422
    assert bad.json() == {"error": "Invalid url given"}
    hook_id = listed[0]["id"]
    assert requests.delete(f"{api}/{hook_id}", headers=headers, timeout=5).status_code == 204
    assert company.sim.state.group_hooks.hooks == {}


def test_only_owners_may_see_a_groups_hooks(company: Company) -> None:
    alice = company.token(company.alice)  # Maintainer of acme/platform, not Owner
    with pytest.raises(GitLabError):
        company.gateway(alice).group_hooks("acme/platform")
    status = hook_status("acme/platform", url=None, gitlab=company.gateway(alice))
    assert status.state is HookState.UNREADABLE


def test_a_missing_hook_is_reported_missing(gateway: PythonGitlabGateway) -> None:
    assert hook_status("acme", url=None, gitlab=gateway).state is HookState.MISSING


def test_the_expiry_worker_posts_gitlabs_access_token_hook_once(
    company: Company,
    gateway: PythonGitlabGateway,
    sql_uow: Callable[[], SqlUnitOfWork],
    receiver: Receiver,
) -> None:
    state = company.sim.state
    token, _ = add_resource_token(
        state,
        company.api,
        name="deploy-bot",
        level=AccessLevel.DEVELOPER,
        expires_at=TODAY + timedelta(days=7),
    )
    add_resource_token(state, company.api, name="far-off", expires_at=TODAY + timedelta(days=40))
    _install(company, gateway, sql_uow, receiver.url)
    (delivery,) = run_expiry_workers(state)
    assert delivery.status == 200
    assert run_expiry_workers(state) == []  # each interval once, like GitLab's *_sent_at
    ((headers, body),) = receiver.received
    assert headers["x-gitlab-event"] == "Resource Access Token Hook"
    assert headers["x-gitlab-token"] == SECRET
    assert headers["content-type"] == "application/json"
    assert body["object_kind"] == "access_token"
    assert body["event_name"] == "expiring_access_token"
    assert body["project"]["path_with_namespace"] == "acme/platform/api"
    attrs = body["object_attributes"]
    assert (attrs["id"], attrs["name"]) == (token.id, "deploy-bot")
    assert attrs["expires_at"] == (TODAY + timedelta(days=7)).isoformat()
    assert attrs["user_id"] == token.user_id


def test_deploy_tokens_get_their_hook_at_30_days(
    company: Company,
    gateway: PythonGitlabGateway,
    sql_uow: Callable[[], SqlUnitOfWork],
    receiver: Receiver,
) -> None:
    expires = datetime.combine(TODAY + timedelta(days=25), datetime.min.time(), UTC)
    add_deploy_token(company.sim.state, company.platform, name="registry", expires_at=expires)
    _install(company, gateway, sql_uow, receiver.url)
    (delivery,) = run_expiry_workers(company.sim.state)
    assert delivery.event == "Resource Deploy Token Hook"
    ((_, body),) = receiver.received
    assert body["object_kind"] == "deploy_token"
    assert body["group"]["full_path"] == "acme/platform"
    assert body["object_attributes"]["deploy_token_type"] == "group_type"


def test_the_30_and_60_day_access_token_triggers_need_the_setting() -> None:
    assert due_interval(TODAY + timedelta(days=25), TODAY, (7,)) is None
    assert due_interval(TODAY + timedelta(days=25), TODAY, (7, 30, 60)) == 30
    assert due_interval(TODAY + timedelta(days=5), TODAY, (7, 30, 60)) == 7
    assert due_interval(TODAY - timedelta(days=1), TODAY, (7,)) is None


def test_an_unreachable_hook_is_logged_with_status_0(
    company: Company, gateway: PythonGitlabGateway, sql_uow: Callable[[], SqlUnitOfWork]
) -> None:
    add_resource_token(
        company.sim.state, company.api, name="soon", expires_at=TODAY + timedelta(days=3)
    )
    _install(company, gateway, sql_uow, "http://127.0.0.1:9/gitlab/webhook")
    (delivery,) = run_expiry_workers(company.sim.state)
    assert delivery.status == 0
    assert company.sim.state.group_hooks.deliveries == [delivery]


def test_adding_a_group_member_sends_gitlabs_member_hook(
    company: Company,
    gateway: PythonGitlabGateway,
    sql_uow: Callable[[], SqlUnitOfWork],
    receiver: Receiver,
) -> None:
    _install(company, gateway, sql_uow, receiver.url)
    api = f"{company.url}/api/v4/groups/{company.platform.id}/members"
    headers = {"PRIVATE-TOKEN": company.bot_token}
    data = {"user_id": company.dan.id, "access_level": 30}
    assert requests.post(api, headers=headers, data=data, timeout=5).status_code == 201
    deadline = time.monotonic() + 10
    while not receiver.received and time.monotonic() < deadline:
        time.sleep(0.02)
    ((headers_seen, body),) = receiver.received
    assert headers_seen["x-gitlab-event"] == "Member Hook"
    assert headers_seen["x-gitlab-token"] == SECRET
    assert body["event_name"] == "user_add_to_group"
    assert (body["group_path"], body["group_id"]) == ("platform", company.platform.id)
    assert (body["user_id"], body["group_access"]) == (company.dan.id, "Developer")


def test_with_the_extra_triggers_an_access_token_is_hooked_at_30_then_at_7_days(
    company: Company,
    gateway: PythonGitlabGateway,
    sql_uow: Callable[[], SqlUnitOfWork],
    receiver: Receiver,
) -> None:
    state = company.sim.state
    add_resource_token(state, company.api, name="later", expires_at=TODAY + timedelta(days=25))
    _install(company, gateway, sql_uow, receiver.url)
    assert run_expiry_workers(state) == []  # 7 days only, by default
    state.group_hooks.extended_access_token_triggers = True
    assert len(run_expiry_workers(state)) == 1  # the 30-day trigger
    assert run_expiry_workers(state) == []
    company.sim.state.clock = lambda: NOW + timedelta(days=19)  # 6 days left
    assert len(run_expiry_workers(state)) == 1  # the 7-day trigger, on the simulator's clock
    assert [b["object_attributes"]["name"] for _, b in receiver.received] == ["later", "later"]
