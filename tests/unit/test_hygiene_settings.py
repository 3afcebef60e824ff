"""TOKENBOT_UNUSED_DAYS and TOKENBOT_LARGE_GROUP_PROJECTS: defaults, checks, and the rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import SettingsError, load_settings
from bot.domain.tokens import TokenType
from bot.hygiene_wiring import rules_of


def test_the_defaults() -> None:
    rules = rules_of(load_settings())
    assert (rules.unused_days, rules.large_group_projects) == (30, 20)
    assert rules.default_lifetime_days[TokenType.PROJECT_ACCESS_TOKEN] == 90
    assert rules.max_lifetime_days[TokenType.PERSONAL_ACCESS_TOKEN] == 365


def test_both_come_from_the_environment_and_the_lifetimes_from_the_policy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TOKENBOT_UNUSED_DAYS", "45")
    monkeypatch.setenv("TOKENBOT_LARGE_GROUP_PROJECTS", "50")
    monkeypatch.setenv("TOKENBOT_DEFAULT_LIFETIME_DAYS", "30")
    monkeypatch.setenv("TOKENBOT_MAX_LIFETIME_DAYS", "180")
    rules = rules_of(load_settings())
    assert (rules.unused_days, rules.large_group_projects) == (45, 50)
    assert rules.default_lifetime_days[TokenType.GROUP_ACCESS_TOKEN] == 30
    assert rules.max_lifetime_days[TokenType.DEPLOY_TOKEN] == 180


def test_both_come_from_the_config_file(tmp_path: Path) -> None:
    config = tmp_path / "tokenbot.toml"
    config.write_text("tokenbot_unused_days = 60\nTOKENBOT_LARGE_GROUP_PROJECTS = 5\n")
    settings = load_settings(config)
    assert (settings.tokenbot_unused_days, settings.tokenbot_large_group_projects) == (60, 5)


@pytest.mark.parametrize("name", ["TOKENBOT_UNUSED_DAYS", "TOKENBOT_LARGE_GROUP_PROJECTS"])
@pytest.mark.parametrize("value", ["0", "-3", "many"])
def test_each_must_be_at_least_one(name: str, value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=f"^{name}"):
        load_settings()
