"""Fixtures: a simulator served on 127.0.0.1 (port 0) per test, and a small seeded world."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import gitlab
import pytest
import requests

from bot.sandbox import (
    AccessLevel,
    GitlabSimulator,
    Group,
    Project,
    SandboxServer,
    User,
    add_personal_token,
)


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
