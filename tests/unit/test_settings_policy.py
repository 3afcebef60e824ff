"""TOKENBOT_POLICY: what a policy table means, and one line naming the key for each mistake."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.config import SettingsError, describe, load_settings
from bot.domain.request_policy import REQUESTABLE, RequestPolicy
from bot.domain.tokens import AccessLevel, Scope, TokenType, valid_scopes
from bot.settings_policy import PolicyDefaults, parse_policy

T = TokenType
DEFAULTS = PolicyDefaults(max_lifetime_days=180, default_lifetime_days=60)


def _policy(raw: dict[str, Any], defaults: PolicyDefaults = DEFAULTS) -> RequestPolicy:
    return parse_policy(raw, defaults)


def test_no_policy_allows_every_type_with_the_global_settings() -> None:
    policy = _policy({})
    assert policy.types == REQUESTABLE
    rule = policy.rules[T.PROJECT_ACCESS_TOKEN]
    assert rule.allowed_scopes == valid_scopes(T.PROJECT_ACCESS_TOKEN)
    assert (rule.max_lifetime_days, rule.default_lifetime_days) == (180, 60)
    assert rule.roles == frozenset(AccessLevel)
    assert (rule.requesters, rule.approvals) == ((), 1)
    assert (policy.risky.approvals, policy.risky.lifetime_over_days) == (2, 60)


def test_a_full_policy_sets_each_type_and_what_is_risky() -> None:
    policy = _policy(
        {
            "types": ["project_access_token", "group_access_token"],
            "requesters": ["acme"],
            "project_access_token": {
                "scopes": ["read_api", "read_repository"],
                "roles": ["Reporter", "developer"],
                "max_lifetime_days": 90,
                "default_lifetime_days": 30,
                "requesters": ["/acme/platform/"],
                "approvals": 2,
            },
            "group_access_token": {"max_lifetime_days": 30},
            "risky": {"scopes": ["api"], "roles": ["maintainer"], "lifetime_over_days": 20},
        }
    )
    assert policy.types == (T.PROJECT_ACCESS_TOKEN, T.GROUP_ACCESS_TOKEN)
    project = policy.rules[T.PROJECT_ACCESS_TOKEN]
    assert policy.scopes_for(T.PROJECT_ACCESS_TOKEN) == (Scope.READ_API, Scope.READ_REPOSITORY)
    assert policy.roles_for(T.PROJECT_ACCESS_TOKEN) == (AccessLevel.REPORTER, AccessLevel.DEVELOPER)
    assert (project.max_lifetime_days, project.lifetime_default) == (90, 30)
    assert (project.requesters, project.approvals) == (("acme/platform",), 2)
    group = policy.rules[T.GROUP_ACCESS_TOKEN]
    assert (group.max_lifetime_days, group.lifetime_default, group.requesters) == (
        30,
        30,
        ("acme",),
    )
    assert policy.risky.scopes == frozenset({Scope.API})
    assert policy.risky.roles == frozenset({AccessLevel.MAINTAINER})


def test_one_approval_when_risky_if_two_approvals_are_off() -> None:
    assert _policy({}, PolicyDefaults(two_approvals_when_risky=False)).risky.approvals == 1


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"tokens": []}, "tokens: unknown key; expected types, requesters, risky or a type"),
        (
            {"types": ["personal_access_token"]},
            "types: tokenbot cannot issue 'personal_access_token'",
        ),
        ({"types": "deploy_token"}, "types: must be a list of strings"),
        (
            {"types": ["deploy_token"], "group_access_token": {}},
            "group_access_token: configured, but group_access_token is not in types",
        ),
        ({"deploy_token": []}, "deploy_token: must be a table of settings"),
        (
            {"deploy_token": {"scope": ["api"]}},
            "deploy_token.scope: unknown key; expected scopes, roles",
        ),
        (
            {"deploy_token": {"scopes": ["api"]}},
            "deploy_token.scopes: GitLab gives deploy_token no 'api' scope",
        ),
        (
            {"deploy_token": {"scopes": ["sudo"]}},
            "deploy_token.scopes: 'sudo' is not a GitLab scope tokenbot knows",
        ),
        ({"deploy_token": {"scopes": []}}, "deploy_token.scopes: give at least one scope"),
        (
            {"pipeline_trigger_token": {"scopes": ["api"]}},
            "pipeline_trigger_token.scopes: pipeline_trigger_token takes no scopes",
        ),
        ({"deploy_token": {"roles": ["owner"]}}, "deploy_token.roles: deploy_token has no role"),
        (
            {"group_access_token": {"roles": ["boss"]}},
            "group_access_token.roles: 'boss' is not a role",
        ),
        (
            {"group_access_token": {"max_lifetime_days": 400}},
            "group_access_token.max_lifetime_days: 400 is not 1 to 365 (GitLab's maximum)",
        ),
        (
            {"group_access_token": {"max_lifetime_days": "30"}},
            "group_access_token.max_lifetime_days: must be a whole number of days",
        ),
        (
            {"group_access_token": {"default_lifetime_days": 200}},
            "group_access_token.default_lifetime_days: 200 is above max_lifetime_days (180)",
        ),
        (
            {"pipeline_trigger_token": {"max_lifetime_days": 30}},
            "pipeline_trigger_token.max_lifetime_days: GitLab gives pipeline_trigger_token no",
        ),
        (
            {"group_access_token": {"requesters": [""]}},
            "group_access_token.requesters: a group path cannot be empty",
        ),
        (
            {"group_access_token": {"approvals": 0}},
            "group_access_token.approvals: must be 1 to 5 (got 0)",
        ),
        ({"risky": {"approvals": True}}, "risky.approvals: must be 1 to 5 (got True)"),
        ({"risky": {"group_wide": "yes"}}, "risky.group_wide: must be true or false"),
        ({"risky": {"lifetime_over_days": 0}}, "risky.lifetime_over_days: 0 is not 1 to 365"),
        ({"risky": {"types": []}}, "risky.types: unknown key; expected scopes, roles"),
        # An empty list read as "anyone" would open a type the docs say it closes.
        ({"requesters": []}, "requesters: an empty list would let nobody request"),
        (
            {"requesters": ["acme/admins"], "project_access_token": {"requesters": []}},
            "project_access_token.requesters: an empty list would let nobody request",
        ),
    ],
)
def test_a_bad_policy_is_one_line_naming_the_key(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        _policy(raw)


def test_the_config_file_holds_the_policy_as_a_table(tmp_path: Path) -> None:
    config = tmp_path / "tokenbot.toml"
    config.write_text(
        "tokenbot_max_lifetime_days = 120\n"
        "[tokenbot_policy.group_access_token]\nmax_lifetime_days = 30\n"
        "[tokenbot_policy.risky]\napprovals = 3\n"
    )
    policy = load_settings(config).request_policy
    assert policy.rules[T.GROUP_ACCESS_TOKEN].max_lifetime_days == 30
    assert policy.rules[T.DEPLOY_TOKEN].max_lifetime_days == 120  # the global maximum
    assert policy.risky.approvals == 3


def test_the_environment_holds_it_as_json_and_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "tokenbot.toml"
    config.write_text("[tokenbot_policy]\ntypes = ['deploy_token']\n")
    monkeypatch.setenv("TOKENBOT_POLICY", json.dumps({"types": ["group_access_token"]}))
    assert load_settings(config).request_policy.types == (T.GROUP_ACCESS_TOKEN,)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("{not json", "TOKENBOT_POLICY: not JSON"),
        ('{"risky": {"approvals": 9}}', "TOKENBOT_POLICY: risky.approvals: must be 1 to 5 (got 9)"),
        ("[1, 2]", "TOKENBOT_POLICY: Input should be a valid dictionary"),
    ],
)
def test_a_bad_policy_stops_the_settings_with_one_line(
    monkeypatch: pytest.MonkeyPatch, value: str, message: str
) -> None:
    monkeypatch.setenv("TOKENBOT_POLICY", value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


def test_tokenbot_settings_shows_the_effective_policy_key_by_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    policy = {"types": ["group_access_token", "pipeline_trigger_token"]}
    policy["group_access_token"] = {"scopes": ["read_api"], "max_lifetime_days": 30}  # type: ignore[assignment]
    monkeypatch.setenv("TOKENBOT_POLICY", json.dumps(policy))
    shown = dict(describe(load_settings()))
    assert "TOKENBOT_POLICY" not in shown
    assert shown["TOKENBOT_POLICY.types"] == "group_access_token,pipeline_trigger_token"
    assert shown["TOKENBOT_POLICY.group_access_token.scopes"] == "read_api"
    assert shown["TOKENBOT_POLICY.group_access_token.max_lifetime_days"] == "30"
    assert shown["TOKENBOT_POLICY.group_access_token.default_lifetime_days"] == "30"
    assert shown["TOKENBOT_POLICY.group_access_token.requesters"] == "(anyone linked to GitLab)"
    assert shown["TOKENBOT_POLICY.pipeline_trigger_token.scopes"] == "(none)"
    assert "TOKENBOT_POLICY.pipeline_trigger_token.max_lifetime_days" not in shown
    assert shown["TOKENBOT_POLICY.risky.approvals"] == "2"


def test_the_complete_example_in_the_docs_is_a_valid_policy(tmp_path: Path) -> None:
    text = (Path(__file__).parents[2] / "docs" / "policy.md").read_text(encoding="utf-8")
    example = text.split("```toml\n", 1)[1].split("```", 1)[0]
    config = tmp_path / "tokenbot.toml"
    config.write_text(example, encoding="utf-8")
    policy = load_settings(config).request_policy
    assert Scope.API not in policy.scopes_for(T.PROJECT_ACCESS_TOKEN)
    group = policy.rules[T.GROUP_ACCESS_TOKEN]
    assert (group.max_lifetime_days, group.requesters, group.approvals) == (
        30,
        ("acme/platform",),
        2,
    )
    assert policy.rules[T.DEPLOY_TOKEN].max_lifetime_days == 180
