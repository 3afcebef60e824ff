"""Fixtures: a simulator served on 127.0.0.1 (port 0) per test, and a small seeded world."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import gitlab
import pytest
import requests

from bot.sandbox import (
    AccessLevel,
    GitlabSimulator,
    Group,
    OAuthApplication,
    Project,
    SandboxServer,
    User,
    add_oauth_application,
    add_personal_token,
    add_service_account,
    set_password,
)
from tests.integration.sandbox.oauth_flow import CALLBACK


@dataclass
class Sandbox:
    """A running simulator plus helpers to seed it and call it."""

    sim: GitlabSimulator
    url: str

    @property
    def api(self) -> str:
        return f"{self.url}/api/v4"

    def token_for(
        self,
        user: User,
        *,
        scopes: tuple[str, ...] = ("api",),
        expires_at: date | None = None,
        revoked: bool = False,
    ) -> str:
        expiry = expires_at or self.sim.state.today() + timedelta(days=30)
        _, secret = add_personal_token(
            self.sim.state, user, scopes=scopes, expires_at=expiry, revoked=revoked
        )
        return secret

    def gl(self, token: str, **kwargs: Any) -> gitlab.Gitlab:
        return gitlab.Gitlab(self.url, private_token=token, **kwargs)

    def call(
        self, method: str, path: str, token: str | None = None, **kwargs: Any
    ) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}))
        if token is not None:
            headers["PRIVATE-TOKEN"] = token
        return requests.request(method, f"{self.api}{path}", headers=headers, timeout=10, **kwargs)


@dataclass
class World:
    """acme (group) > acme/platform (subgroup) > acme/platform/api (project), plus people."""

    sandbox: Sandbox
    acme: Group
    platform: Group
    project: Project
    other_project: Project
    admin: User
    owner: User
    maintainer: User
    developer: User
    outsider: User
    admin_token: str
    owner_token: str
    maintainer_token: str
    developer_token: str
    outsider_token: str

    @property
    def encoded_project(self) -> str:
        return self.project.path_with_namespace.replace("/", "%2F")


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    sim = GitlabSimulator()
    with SandboxServer(sim) as server:
        yield Sandbox(sim, server.url)


@pytest.fixture
def world(sandbox: Sandbox) -> World:
    state = sandbox.sim.state
    acme = state.add_group("acme")
    platform = state.add_group("platform", parent=acme)
    project = state.add_project("api", group=platform)
    other = state.add_project("billing", group=acme)
    admin = state.add_user("root", is_admin=True)
    owner = state.add_user("olga.owner", name="Olga Owner")
    maintainer = state.add_user("mia.maintainer", name="Mia Maintainer")
    developer = state.add_user("dan.developer", name="Dan Developer")
    outsider = state.add_user("oscar.outsider", name="Oscar Outsider")
    state.add_member(owner, acme, AccessLevel.OWNER)
    state.add_member(maintainer, platform, AccessLevel.MAINTAINER)
    state.add_member(developer, project, AccessLevel.DEVELOPER)
    state.add_member(developer, acme, AccessLevel.GUEST)
    return World(
        sandbox,
        acme,
        platform,
        project,
        other,
        admin,
        owner,
        maintainer,
        developer,
        outsider,
        sandbox.token_for(admin),
        sandbox.token_for(owner),
        sandbox.token_for(maintainer),
        sandbox.token_for(developer),
        sandbox.token_for(outsider),
    )


@dataclass
class OAuthWorld:
    """A simulator on a movable clock with an OAuth app for tokenbot and people who sign in."""

    sandbox: Sandbox
    now: list[datetime]
    app: OAuthApplication
    client_secret: str
    alice: User
    robot: User
    project: Project

    def advance(self, **delta: float) -> None:
        self.now[0] += timedelta(**delta)


PASSWORD = "correct horse battery"


@pytest.fixture
def oauth_world() -> Iterator[OAuthWorld]:
    now = [datetime(2026, 5, 4, 9, 0, tzinfo=UTC)]
    sim = GitlabSimulator(clock=lambda: now[0])
    state = sim.state
    group = state.add_group("acme")
    project = state.add_project("api", group=group)
    alice = state.add_user("alice", name="Alice Anders", password=PASSWORD)
    robot = add_service_account(state, group, "sa-robot", name="Robot")
    set_password(state, robot, PASSWORD)
    state.add_member(alice, group, AccessLevel.DEVELOPER)
    app, secret = add_oauth_application(
        state, name="tokenbot", redirect_uris=[CALLBACK], scopes=["read_user"]
    )
    with SandboxServer(sim) as server:
        yield OAuthWorld(Sandbox(sim, server.url), now, app, secret, alice, robot, project)
