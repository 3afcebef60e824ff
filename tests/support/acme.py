"""The GitLab side of `request_world`, for worlds built elsewhere.

Acme has `acme/platform/api` (whose `nightly-export` token expires in 5 days) and
`acme/payments/checkout`; alice is Maintainer of acme/platform, olga and omar Owners of acme,
dan Developer of acme/platform; the `tokenbot` service account is Owner of acme.
"""

from __future__ import annotations

from datetime import timedelta

from bot.sandbox import (
    AccessLevel,
    GitlabSimulator,
    add_personal_token,
    add_resource_token,
    add_service_account,
)


def seed_acme(sim: GitlabSimulator) -> str:
    """The people and projects of `request_world`; the bot's own GitLab token."""
    state = sim.state
    acme = state.add_group("acme")
    platform = state.add_group("platform", parent=acme)
    api = state.add_project("api", group=platform)
    add_resource_token(
        state,
        api,
        name="nightly-export",
        level=AccessLevel.REPORTER,
        scopes=("read_api",),
        expires_at=state.today() + timedelta(days=5),
    )
    payments = state.add_group("payments", parent=acme)
    state.add_project("checkout", group=payments)
    bot_account = add_service_account(state, acme, "tokenbot", name="tokenbot")
    state.add_member(bot_account, acme, AccessLevel.OWNER)
    people = {
        "alice": AccessLevel.MAINTAINER,
        "olga": AccessLevel.OWNER,
        "omar": AccessLevel.OWNER,
        "dan": AccessLevel.DEVELOPER,
    }
    for username, role in people.items():
        user = state.add_user(username, name=username.title())
        state.add_member(user, acme if role is AccessLevel.OWNER else platform, role)
    _, bot_token = add_personal_token(
        state, bot_account, scopes=("api",), expires_at=state.today() + timedelta(days=60)
    )
    return bot_token
