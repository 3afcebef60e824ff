"""`Settings`: every setting (`bot/settings_fields.py`), checked, and what they mean together.

Validators turn each malformed value into one line naming the setting; the properties derive
what the rest of tokenbot uses (the platform, the request policy, the routes).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import PrivateAttr, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from bot.domain.breakglass import MAX_HOURS, BreakGlassPolicy
from bot.domain.links import OAUTH_CALLBACK_PATH
from bot.domain.platform import Offering, Platform, parse_version
from bot.domain.policy import GITLAB_MAX_LIFETIME_DAYS, LifetimePolicy
from bot.domain.request_policy import RequestPolicy
from bot.settings_fields import SettingsFields
from bot.settings_policy import PolicyDefaults, parse_policy

MIN_SECRET_KEY_LENGTH = 32
SIGN_IN_SETTINGS = (
    "tokenbot_gitlab_oauth_client_id",
    "tokenbot_gitlab_oauth_client_secret",
    "tokenbot_public_url",
)


class SettingsError(ValueError):
    """A missing or malformed setting; str() is the one line to show the person."""


def _prefixed(prefix: str) -> Any:
    def check(value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith(prefix):
            raise ValueError(f"must start with {prefix}")
        return value

    return check


class Settings(SettingsFields):
    """Every setting; the environment variable is the field name in capitals."""

    _secret_sources: dict[str, Path] = PrivateAttr(default_factory=dict)
    _config_file: Path | None = PrivateAttr(default=None)

    _check_bot = field_validator("slack_bot_token")(_prefixed("xoxb-"))
    _check_app = field_validator("slack_app_token")(_prefixed("xapp-"))

    @field_validator("tokenbot_user_map")
    @classmethod
    def _pairs(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _check_pairs(value, "SLACKID=gitlab_username")

    @field_validator("tokenbot_approvals_routes", "tokenbot_reminders_routes")
    @classmethod
    def _routes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _check_pairs(value, "group/path=CHANNELID")

    @field_validator("tokenbot_approver_groups")
    @classmethod
    def _group_pairs(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        value = _check_pairs(value, "group/path=SUBTEAMID")
        for group in _split_pairs(value).values():
            if not _SLACK_ID.fullmatch(group) or not group.startswith("S"):
                raise ValueError(f"'{group}' is not a Slack user group id (S...)")
        return value

    @field_validator("tokenbot_fallback_approvers")
    @classmethod
    def _slack_users(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for user in value:
            if not _SLACK_ID.fullmatch(user) or user[0] not in "UW":
                raise ValueError(f"'{user}' is not a Slack user id (U... or W...)")
        return value

    @field_validator("tokenbot_owners")
    @classmethod
    def _owner_pairs(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _check_pairs(value, "group/path=SLACKID")

    @field_validator("tokenbot_reminder_days")
    @classmethod
    def _days(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if any(day < 1 or day > GITLAB_MAX_LIFETIME_DAYS for day in value):
            raise ValueError("days must be between 1 and 365")
        return tuple(sorted(set(value), reverse=True))

    @field_validator("tokenbot_reminder_time")
    @classmethod
    def _time(cls, value: str) -> str:
        hour, sep, minute = value.partition(":")
        if not (sep and hour.isdigit() and minute.isdigit()) or int(hour) > 23 or int(minute) > 59:
            raise ValueError("use HH:MM, e.g. 09:00")
        return f"{int(hour):02d}:{int(minute):02d}"

    @field_validator("tokenbot_reminder_timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("not a known IANA time zone, e.g. Europe/Berlin") from None
        return value

    @property
    def reminders_routes(self) -> dict[str, str]:
        return _split_pairs(self.tokenbot_reminders_routes)

    @property
    def owners(self) -> dict[str, str]:
        return _split_pairs(self.tokenbot_owners)

    @property
    def config_file(self) -> Path | None:
        """The TOML file the settings were read from (`--config` or TOKENBOT_CONFIG), if any."""
        return self._config_file

    def secret_file(self, name: str) -> Path | None:
        """The file a secret setting was read from (`NAME_FILE`), if it came from one."""
        return self._secret_sources.get(name.lower())

    @property
    def approvals_routes(self) -> dict[str, str]:
        return _split_pairs(self.tokenbot_approvals_routes)

    @property
    def approver_groups(self) -> dict[str, str]:
        return _split_pairs(self.tokenbot_approver_groups)

    @property
    def user_map(self) -> dict[str, str]:
        return _split_pairs(self.tokenbot_user_map)

    @field_validator("tokenbot_secret_key")
    @classmethod
    def _long_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < MIN_SECRET_KEY_LENGTH:
            raise ValueError(f"must have at least {MIN_SECRET_KEY_LENGTH} characters")
        return value

    @field_validator("gitlab_url", "slack_api_url", "tokenbot_public_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise ValueError("must be an http:// or https:// URL")
        return value

    @field_validator(
        "tokenbot_watched_groups",
        "tokenbot_approvers",
        "tokenbot_fallback_approvers",
        "tokenbot_approver_groups",
        "tokenbot_user_map",
        "tokenbot_approvals_routes",
        "tokenbot_reminders_routes",
        "tokenbot_owners",
        "tokenbot_admins",
        "tokenbot_reminder_days",
        "tokenbot_breakglass_groups",
        mode="before",
    )
    @classmethod
    def _comma_list(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip().strip("/") for part in value.split(",") if part.strip())
        return value

    @field_validator("tokenbot_breakglass_hours")
    @classmethod
    def _breakglass_hours(cls, value: int) -> int:
        if not 1 <= value <= MAX_HOURS:
            raise ValueError(f"must be 1 to {MAX_HOURS}: a break-glass token lives at most one day")
        return value

    @property
    def breakglass_policy(self) -> BreakGlassPolicy:
        return BreakGlassPolicy(
            self.tokenbot_breakglass_groups,
            self.tokenbot_breakglass_hours,
            self.tokenbot_breakglass_review_hours,
        )

    @field_validator("tokenbot_gitlab_version")
    @classmethod
    def _version(cls, value: str | None) -> str | None:
        if value is not None and parse_version(value) is None:
            raise ValueError("must be a GitLab version such as 18.6 or 19.2.1-ee")
        return value

    @field_validator("tokenbot_gitlab_ca_bundle")
    @classmethod
    def _readable(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"{value} is not a readable file")
        return value

    @field_validator("tokenbot_log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("tokenbot_policy", mode="before")
    @classmethod
    def _policy_json(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value) if value.strip() else {}
        except ValueError as exc:
            raise ValueError(f"not JSON ({exc})") from None

    @field_validator("tokenbot_policy")
    @classmethod
    def _policy(cls, value: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        known = info.data
        defaults = PolicyDefaults(
            max_lifetime_days=known.get("tokenbot_max_lifetime_days", GITLAB_MAX_LIFETIME_DAYS),
            default_lifetime_days=known.get("tokenbot_default_lifetime_days", 90),
            two_approvals_when_risky=known.get("tokenbot_two_approvals_when_risky", True),
        )
        parse_policy(value, defaults)  # only to refuse a policy that does not hold together
        return value

    @model_validator(mode="after")
    def _lifetimes(self) -> Settings:
        if self.tokenbot_default_lifetime_days > self.tokenbot_max_lifetime_days:
            raise ValueError(
                "TOKENBOT_DEFAULT_LIFETIME_DAYS must not exceed TOKENBOT_MAX_LIFETIME_DAYS"
            )
        return self

    @model_validator(mode="after")
    def _sign_in_complete(self) -> Settings:
        given = {n.upper() for n in SIGN_IN_SETTINGS if getattr(self, n) is not None}
        if given and len(given) < len(SIGN_IN_SETTINGS):
            lacking = sorted(n.upper() for n in SIGN_IN_SETTINGS if n.upper() not in given)
            raise ValueError(f"GitLab sign-in needs {', '.join(lacking)} too")
        if given and self.tokenbot_secret_key is None:
            raise ValueError("GitLab sign-in needs TOKENBOT_SECRET_KEY too")
        return self

    @property
    def sign_in_enabled(self) -> bool:
        """GitLab sign-in (account linking) is on: all of SIGN_IN_SETTINGS are set."""
        return all(getattr(self, n) is not None for n in SIGN_IN_SETTINGS)

    @property
    def oauth_redirect_uri(self) -> str | None:
        """Where GitLab sends people back after sign-in (TOKENBOT_PUBLIC_URL + callback)."""
        if self.tokenbot_public_url is None:
            return None
        return self.tokenbot_public_url.rstrip("/") + OAUTH_CALLBACK_PATH

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The environment beats the config file, which arrives as init arguments.
        return (env_settings, init_settings)

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.tokenbot_data_dir / 'tokenbot.db'}"

    @property
    def platform(self) -> Platform:
        offering = self.tokenbot_gitlab_offering
        version = parse_version(self.tokenbot_gitlab_version or "")
        if offering == "auto":
            if self.gitlab_url is None:
                return Platform(Offering.UNKNOWN, self.tokenbot_gitlab_tier, version)
            host = (urlsplit(self.gitlab_url).hostname or "").lower()
            com = host == "gitlab.com" or host.endswith(".gitlab.com")
            offering = "gitlab_com" if com else "self_managed"
        return Platform(Offering(offering), self.tokenbot_gitlab_tier, version)

    @property
    def request_policy(self) -> RequestPolicy:
        """TOKENBOT_POLICY, with the other settings where it leaves a key out."""
        defaults = PolicyDefaults(
            max_lifetime_days=self.tokenbot_max_lifetime_days,
            default_lifetime_days=self.tokenbot_default_lifetime_days,
            two_approvals_when_risky=self.tokenbot_two_approvals_when_risky,
            pending_days=self.tokenbot_pending_days,
            approvers=frozenset(self.tokenbot_approvers),
        )
        return parse_policy(self.tokenbot_policy, defaults)

    @property
    def lifetime_policy(self) -> LifetimePolicy:
        return LifetimePolicy(self.tokenbot_default_lifetime_days, self.tokenbot_max_lifetime_days)

    def require(self, *names: str) -> None:
        """Fail with a one-line error for the first of `names` that is not set."""
        for name in names:
            if getattr(self, name.lower()) is None:
                raise SettingsError(f"{name.upper()} is not set: {_describe(name.lower())}")


def _describe(field: str) -> str:
    return Settings.model_fields[field].description or "see docs/configuration.md"


def secret_fields() -> list[str]:
    return [n for n, f in Settings.model_fields.items() if "SecretStr" in str(f.annotation)]


_SLACK_ID = re.compile(r"[A-Z][A-Z0-9]{2,30}")


def _check_pairs(value: tuple[str, ...], shape: str) -> tuple[str, ...]:
    for pair in value:
        left, sep, right = pair.partition("=")
        if not sep or not left.strip() or not right.strip():
            raise ValueError(f"'{pair}' is not {shape}")
    return value


def _split_pairs(value: tuple[str, ...]) -> dict[str, str]:
    return {a.strip().strip("/"): b.strip() for a, _, b in (p.partition("=") for p in value)}
