"""Settings: environment over config file, one-line errors naming the setting, no secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Settings, SettingsError, describe, load_settings
from bot.domain.platform import Offering, Tier


def test_defaults_need_no_configuration_at_all(tmp_path: Path) -> None:
    settings = load_settings()
    assert settings.effective_database_url.endswith("tokenbot.db")
    assert settings.effective_database_url.startswith("sqlite:///")
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.lifetime_policy.default_days == 90
    assert settings.platform.offering is Offering.UNKNOWN


def test_the_environment_beats_the_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "tokenbot.toml"
    config.write_text(
        'gitlab_url = "https://gitlab.example.com"\nTOKENBOT_DEFAULT_LIFETIME_DAYS = 30\n'
    )
    monkeypatch.setenv("TOKENBOT_DEFAULT_LIFETIME_DAYS", "45")
    settings = load_settings(config)
    assert settings.gitlab_url == "https://gitlab.example.com"
    assert settings.tokenbot_default_lifetime_days == 45
    assert settings.platform.offering is Offering.SELF_MANAGED


def test_the_config_file_can_come_from_tokenbot_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "c.toml"
    config.write_text('tokenbot_gitlab_tier = "premium"\ngitlab_url = "https://gitlab.com"\n')
    monkeypatch.setenv("TOKENBOT_CONFIG", str(config))
    platform = load_settings().platform
    assert (platform.offering, platform.tier) == (Offering.GITLAB_COM, Tier.PREMIUM)


def test_a_malformed_number_is_one_line_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TOKENBOT_DEFAULT_LIFETIME_DAYS", "ninety")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith("TOKENBOT_DEFAULT_LIFETIME_DAYS:")
    assert "\n" not in message


def test_a_lifetime_over_gitlabs_maximum_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOKENBOT_MAX_LIFETIME_DAYS", "400")
    with pytest.raises(SettingsError, match=r"^TOKENBOT_MAX_LIFETIME_DAYS"):
        load_settings()


def test_a_malformed_secret_is_named_but_never_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxp-user-token-value-1234")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert str(caught.value) == "SLACK_BOT_TOKEN: must start with xoxb-"
    assert "xoxp-user-token-value-1234" not in repr(caught.value)


def test_secrets_are_hidden_in_the_settings_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITLAB_TOKEN", "glpat-secretsecret")
    settings = load_settings()
    assert "glpat-secretsecret" not in repr(settings)
    assert settings.gitlab_token is not None
    assert settings.gitlab_token.get_secret_value() == "glpat-secretsecret"


def test_a_secret_can_be_read_from_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = tmp_path / "gitlab_token"
    secret.write_text("glpat-fromfile\n")
    monkeypatch.setenv("GITLAB_TOKEN_FILE", str(secret))
    settings = load_settings()
    assert settings.gitlab_token is not None
    assert settings.gitlab_token.get_secret_value() == "glpat-fromfile"


def test_a_secret_and_its_file_together_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITLAB_TOKEN_FILE", str(tmp_path / "x"))
    monkeypatch.setenv("GITLAB_TOKEN", "glpat-x")
    with pytest.raises(SettingsError, match="both set"):
        load_settings()


def test_an_unknown_key_in_the_config_file_is_named(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('gitlab_ulr = "https://x"\n')
    with pytest.raises(SettingsError, match="unknown setting GITLAB_ULR"):
        load_settings(config)


def test_a_missing_config_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="does not exist"):
        load_settings(tmp_path / "nope.toml")


def test_a_bad_url_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITLAB_URL", "gitlab.example.com")
    with pytest.raises(SettingsError, match=r"^GITLAB_URL: must be an http"):
        load_settings()


def test_require_names_the_missing_setting() -> None:
    with pytest.raises(SettingsError, match=r"^SLACK_BOT_TOKEN is not set"):
        load_settings().require("SLACK_BOT_TOKEN")


def test_settings_show_numbers_and_hide_a_database_password() -> None:
    settings = Settings(
        database_url="postgresql://tokenbot:s3cret-pw@db.internal:5432/tokenbot",
        tokenbot_reminder_days=(30, 7),
    )
    shown = dict(describe(settings))
    assert shown["TOKENBOT_REMINDER_DAYS"] == "30,7"
    assert shown["DATABASE_URL"] == "postgresql://tokenbot:***@db.internal:5432/tokenbot"
    assert "s3cret-pw" not in repr(shown)


SIGN_IN = {
    "TOKENBOT_GITLAB_OAUTH_CLIENT_ID": "app-id",
    "TOKENBOT_GITLAB_OAUTH_CLIENT_SECRET": "gloas-app-secret",
    "TOKENBOT_PUBLIC_URL": "https://tokenbot.example.com/",
    "TOKENBOT_SECRET_KEY": "k" * 32,
}


def test_gitlab_sign_in_is_on_with_all_three_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in SIGN_IN.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    assert settings.sign_in_enabled
    assert settings.oauth_redirect_uri == "https://tokenbot.example.com/gitlab/oauth/callback"
    assert "gloas-app-secret" not in repr(settings)


@pytest.mark.parametrize("left_out", sorted(SIGN_IN))
def test_gitlab_sign_in_half_configured_names_what_is_missing(
    monkeypatch: pytest.MonkeyPatch, left_out: str
) -> None:
    for name, value in SIGN_IN.items():
        if name != left_out:
            monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert left_out in str(caught.value)
    assert "gloas-app-secret" not in str(caught.value)
    assert "\n" not in str(caught.value).strip()


def test_the_oauth_secret_can_come_from_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret_file = tmp_path / "oauth-secret"
    secret_file.write_text("gloas-from-a-file\n")
    for name, value in SIGN_IN.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("TOKENBOT_GITLAB_OAUTH_CLIENT_SECRET")
    monkeypatch.setenv("TOKENBOT_GITLAB_OAUTH_CLIENT_SECRET_FILE", str(secret_file))
    settings = load_settings()
    assert settings.tokenbot_gitlab_oauth_client_secret is not None
    assert settings.tokenbot_gitlab_oauth_client_secret.get_secret_value() == "gloas-from-a-file"


def test_a_public_url_that_is_not_http_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOKENBOT_PUBLIC_URL", "tokenbot.example.com")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert "TOKENBOT_PUBLIC_URL" in str(caught.value)


def test_approver_settings_are_read_and_bad_ids_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOKENBOT_FALLBACK_APPROVERS", "U0SEC, W0LEAD")
    monkeypatch.setenv("TOKENBOT_APPROVER_GROUPS", "acme/platform=S0LEADS")
    monkeypatch.setenv("TOKENBOT_APPROVAL_REMINDER_HOURS", "8")
    settings = load_settings()
    assert settings.tokenbot_fallback_approvers == ("U0SEC", "W0LEAD")
    assert settings.approver_groups == {"acme/platform": "S0LEADS"}
    assert settings.tokenbot_approval_reminder_hours == 8
    monkeypatch.setenv("TOKENBOT_FALLBACK_APPROVERS", "U0SEC,#security")
    with pytest.raises(SettingsError, match=r"^TOKENBOT_FALLBACK_APPROVERS: .*'#security'"):
        load_settings()
    monkeypatch.setenv("TOKENBOT_FALLBACK_APPROVERS", "")
    monkeypatch.setenv("TOKENBOT_APPROVER_GROUPS", "acme=C0CHANNEL")
    with pytest.raises(SettingsError, match="not a Slack user group id"):
        load_settings()
