"""A simulated GitLab on 127.0.0.1 with a company, and tokenbot's gateway pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.gitlab.client import ClientOptions
from bot.gitlab.gateway import PythonGitlabGateway, build_gateway
from bot.gitlab.http import RetryPolicy
from bot.sandbox import (
    AccessLevel,
    GitlabSimulator,
    Group,
    Project,
    SandboxServer,
    User,
    add_personal_token,
    add_service_account,
)

TODAY = date(2026, 11, 22)
FAST_RETRY = RetryPolicy(total_seconds=3.0, max_attempts=4, first_backoff=0.01, max_backoff=0.05)


@dataclass
class Company:
    sim: GitlabSimulator
    url: str
    acme: Group
    platform: Group
    api: Project
    billing: Project
    elsewhere: Group
    tool: Project
    bot: User
    bot_token: str
    alice: User
    dan: User

    def gateway(self, token: str | None = None, **options: object) -> PythonGitlabGateway:
        settings = {"timeout_seconds": 2.0, "retry": FAST_RETRY} | options
        return build_gateway(ClientOptions(self.url, token or self.bot_token, **settings))  # type: ignore[arg-type]

    def token(
        self,
        user: User,
        *,
        scopes: tuple[str, ...] = ("api",),
        days: int = 60,
        revoked: bool = False,
    ) -> str:
        _, secret = add_personal_token(
            self.sim.state,
            user,
            scopes=scopes,
            expires_at=TODAY + timedelta(days=days),
            revoked=revoked,
        )
        return secret


NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


@pytest.fixture
def company() -> Iterator[Company]:
    # The simulator's clock, not freezegun: freezing time.monotonic would stall the HTTP
    # layer's retry deadline and rate budget.
    sim = GitlabSimulator(clock=lambda: NOW)
    state = sim.state
    # tokenbot is an Owner, not an admin: GitLab lets it create service accounts only so.
    state.settings.allow_top_level_group_owners_to_create_service_accounts = True
    acme = state.add_group("acme")
    platform = state.add_group("platform", parent=acme)
    api = state.add_project("api", group=platform)
    billing = state.add_project("billing", group=acme)
    elsewhere = state.add_group("elsewhere")
    tool = state.add_project("tool", group=elsewhere)
    bot = add_service_account(state, acme, "tokenbot", name="tokenbot")
    state.add_member(bot, acme, AccessLevel.OWNER)
    state.add_member(bot, elsewhere, AccessLevel.DEVELOPER)
    alice = state.add_user("alice", name="Alice Anders", email="alice@acme.test")
    dan = state.add_user("dan", name="Dan Dumont", email="dan@acme.test")
    state.add_member(alice, platform, AccessLevel.MAINTAINER)
    state.add_member(dan, api, AccessLevel.DEVELOPER)
    with SandboxServer(sim) as server:
        _, bot_token = add_personal_token(
            state, bot, name="tokenbot", scopes=("api",), expires_at=TODAY + timedelta(days=60)
        )
        yield Company(
            sim,
            server.url,
            acme,
            platform,
            api,
            billing,
            elsewhere,
            tool,
            bot,
            bot_token,
            alice,
            dan,
        )


@pytest.fixture
def gateway(company: Company) -> PythonGitlabGateway:
    return company.gateway()
