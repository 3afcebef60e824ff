"""The inventory of people's PATs, deploy keys and the credentials inventory API, through
python-gitlab against the simulator: the path GitLab allows is used, the others fall back.

GitLab: `lib/api/personal_access_tokens.rb` (administrators list anyone's PATs),
`ee/lib/api/manage/groups.rb` (GitLab.com Ultimate, Owners: 404 elsewhere, 403 to
non-Owners), `lib/api/deploy_keys.rb` (per project for Maintainers; `GET /deploy_keys` for
administrators, with `projects_with_write_access`/`projects_with_readonly_access`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain.credentials import InventoryProgress, PlaceTokens
from bot.domain.tokens import AccessLevel, TokenType
from bot.gitlab.people_tokens import PART
from bot.sandbox import (
    add_deploy_key,
    add_personal_token,
    add_resource_token,
    enable_deploy_key,
    make_ultimate_on_gitlab_com,
)
from tests.integration.gitlab.conftest import NOW, TODAY, Company


def _admin_token(company: Company) -> str:
    state = company.sim.state
    root = state.add_user("root", is_admin=True)
    _, secret = add_personal_token(state, root, scopes=("api", "admin_mode"))
    return secret


def _places(company: Company, token: str | None = None) -> tuple[list[PlaceTokens], list[str]]:
    seen: list[InventoryProgress] = []
    places = list(company.gateway(token).inventory_places(["acme"], progress=seen.append))
    return places, list(seen[-1].errors) if seen else []


def _personal(places: list[PlaceTokens]) -> PlaceTokens:
    (part,) = [p for p in places if p.part == PART]
    return part


def test_an_admin_lists_the_members_pats_with_owner_role_and_last_use(company: Company) -> None:
    state = company.sim.state
    laptop, _ = add_personal_token(
        state, company.alice, name="laptop", expires_at=TODAY + timedelta(days=5)
    )
    laptop.last_used_at, laptop.last_used_ips = NOW - timedelta(hours=3), ["203.0.113.9"]
    places, _ = _places(company, _admin_token(company))
    part = _personal(places)
    assert part.readable
    assert part.key == f"group:{company.acme.id}/{PART}"
    (record,) = [r for r in part.records if r.name == "laptop"]
    assert record.token_type is TokenType.PERSONAL_ACCESS_TOKEN
    assert (record.account, record.access_level) == ("alice", AccessLevel.MAINTAINER)
    assert record.namespace is not None
    assert record.namespace.path == "acme"
    assert record.expires_on == TODAY + timedelta(days=5)
    assert record.last_used_ips == ("203.0.113.9",)
    assert record.last_used_at == NOW - timedelta(hours=3)


def test_pats_of_the_bot_group_bots_and_service_accounts_are_not_listed_twice(
    company: Company,
) -> None:
    state = company.sim.state
    bot_token, _ = add_resource_token(state, company.platform, name="grp-bot")
    places, _ = _places(company, _admin_token(company))
    part = _personal(places)
    ids = {r.gitlab_id for r in part.records}
    assert bot_token.id not in ids  # already the group access token of acme/platform
    assert all(r.user_id != company.bot.id for r in part.records)  # the SA is in its own place
    everything = [(r.token_type, r.gitlab_id) for p in places for r in p.records]
    assert len(everything) == len(set(everything))


def test_without_an_admin_or_the_manage_api_pats_are_unreadable_and_reported(
    company: Company,
) -> None:
    add_personal_token(company.sim.state, company.alice, name="laptop")
    places, errors = _places(company)  # tokenbot: an Owner of acme, not an admin
    part = _personal(places)
    assert not part.readable
    assert part.records == ()
    assert any("people's personal access tokens of acme" in e for e in errors)
    assert any("no credentials inventory API (404" in e for e in errors)


def test_deploy_keys_are_read_per_project_without_an_admin(company: Company) -> None:
    state = company.sim.state
    expires = datetime(2026, 12, 1, tzinfo=UTC)
    add_deploy_key(state, company.api, title="k8s", can_push=True, expires_at=expires)
    company.sim.requests.clear()
    places, _ = _places(company)
    (key,) = [r for p in places for r in p.records if r.token_type is TokenType.DEPLOY_KEY]
    assert (key.name, key.expires_on, key.scopes) == ("k8s", expires.date(), ("write_repository",))
    assert key.namespace is not None
    assert key.namespace.path == "acme/platform/api"
    assert company.sim.requests.count(path="*/projects/*/deploy_keys") == 2  # api and billing
    assert company.sim.requests.count(path="/api/v4/deploy_keys") == 0


def test_an_admin_reads_every_deploy_key_in_one_listing(company: Company) -> None:
    state = company.sim.state
    shared = add_deploy_key(state, company.api, title="shared", can_push=True)
    enable_deploy_key(shared, company.billing)
    token = _admin_token(company)
    company.sim.requests.clear()
    places, _ = _places(company, token)
    keys = {
        (p.namespace.path, r.scopes)
        for p in places
        for r in p.records
        if r.token_type is TokenType.DEPLOY_KEY
    }
    assert keys == {
        ("acme/platform/api", ("write_repository",)),
        ("acme/billing", ("read_repository",)),
    }
    assert company.sim.requests.count(path="/api/v4/deploy_keys") == 1
    assert company.sim.requests.count(path="*/projects/*/deploy_keys") == 0


def test_on_gitlab_com_ultimate_one_listing_replaces_each_places_access_tokens(
    company: Company,
) -> None:
    state = company.sim.state
    make_ultimate_on_gitlab_com(state, company.acme, enterprise_users=[company.alice])
    project_token, _ = add_resource_token(
        state, company.api, name="ci", level=AccessLevel.DEVELOPER
    )
    group_token, _ = add_resource_token(state, company.platform, name="grp")
    laptop, _ = add_personal_token(state, company.alice, name="laptop")
    company.sim.requests.clear()
    places, errors = _places(company)
    by_place = {p.key: {r.gitlab_id: r for r in p.records} for p in places}
    ci = by_place[f"project:{company.api.id}"][project_token.id]
    assert (ci.token_type, ci.access_level) == (
        TokenType.PROJECT_ACCESS_TOKEN,
        AccessLevel.DEVELOPER,
    )
    assert by_place[f"group:{company.platform.id}"][group_token.id].name == "grp"
    assert company.sim.requests.count(path="*/access_tokens") == 0
    assert company.sim.requests.count(path="*/manage/resource_access_tokens") == 1
    part = _personal(places)
    assert part.readable
    assert laptop.id in {r.gitlab_id for r in part.records}
    assert not any("no credentials inventory API" in e for e in errors)


def test_the_manage_api_refused_to_a_non_owner_falls_back_to_each_place(
    company: Company,
) -> None:
    state = company.sim.state
    make_ultimate_on_gitlab_com(state, company.acme)
    project_token, _ = add_resource_token(state, company.api, name="ci")
    # alice is a Maintainer of acme/platform only: she may read that subtree's tokens
    _, secret = add_personal_token(state, company.alice, name="alice-api")
    seen: list[InventoryProgress] = []
    gateway = company.gateway(secret)
    places = list(gateway.inventory_places(["acme/platform"], progress=seen.append))
    assert project_token.id in {r.gitlab_id for p in places for r in p.records}
    errors = seen[-1].errors
    assert not any("manage" in e for e in errors)  # a subgroup: the API is not even asked
    company.sim.requests.clear()
    _, owner_less = _places(company, secret)
    assert any("no credentials inventory API (403" in e for e in owner_less)


def test_the_inventory_paces_itself_at_gitlabs_reported_quota(company: Company) -> None:
    # 10 a second: at 400/s the walk would run into 429s (about one per worker in flight
    # once the window is spent). Spread over each window, it is answered in (nearly: a window
    # may turn while requests are in flight) every request, so it spans several windows
    # without being refused. No clock is asserted: the simulator's answers are the measure.
    company.sim.throttle.configure(limit=10, period_s=1)
    records = list(company.gateway(requests_per_second=400.0).inventory(["acme"]))
    made = company.sim.requests.count()
    refused = company.sim.requests.count(status=429)
    assert records
    assert made - refused > 15  # more than one window's quota was answered
    assert refused <= 2
