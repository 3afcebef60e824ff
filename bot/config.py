"""Settings from the environment and an optional TOML config file (environment wins).

Nothing is read at import time: the CLI calls `load_settings()`. Every failure becomes a
`SettingsError` whose one-line message names the setting and never shows a secret's value.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from bot.domain.platform import Offering, Platform, Tier
from bot.domain.policy import GITLAB_MAX_LIFETIME_DAYS, LifetimePolicy
from bot.domain.request_policy import REQUESTABLE, RequestPolicy, TypeRule
from bot.domain.tokens import valid_scopes

CONFIG_ENV = "TOKENBOT_CONFIG"
MIN_SECRET_KEY_LENGTH = 32
SLACK_DEFAULT_API_URL = "https://slack.com/api/"


class SettingsError(ValueError):
    """A missing or malformed setting; str() is the one line to show the person."""


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "tokenbot"


def _prefixed(prefix: str) -> Any:
    def check(value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith(prefix):
            raise ValueError(f"must start with {prefix}")
        return value

    return check


class Settings(BaseSettings):
    """Every setting; the environment variable is the field name in capitals."""

    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore", frozen=True)
    _secret_sources: dict[str, Path] = PrivateAttr(default_factory=dict)

    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the database. Default: a SQLite file"
        " `tokenbot.db` in TOKENBOT_DATA_DIR. PostgreSQL: `postgresql://user@host/db`.",
    )
    tokenbot_data_dir: Path = Field(
        default_factory=_default_data_dir,
        description="Directory for the SQLite database"
        " and other local state. Default: `$XDG_DATA_HOME/tokenbot` or"
        " `~/.local/share/tokenbot`.",
    )
    gitlab_url: str | None = Field(
        None, description="Base URL of your GitLab, e.g. `https://gitlab.example.com`."
    )
    gitlab_token: SecretStr | None = Field(
        None, description="The bot's own GitLab credential (a service-account token)."
    )
    slack_bot_token: SecretStr | None = Field(None, description="Slack bot token (`xoxb-...`).")
    slack_signing_secret: SecretStr | None = Field(
        None, description="Slack signing secret, used to verify requests in HTTP mode."
    )
    slack_app_token: SecretStr | None = Field(
        None, description="Slack app-level token (`xapp-...`); when set, Socket Mode is used."
    )
    port: Annotated[int, Field(ge=0, le=65535)] = Field(
        3000, description="Port of the HTTP server in HTTP mode (`tokenbot run`)."
    )
    slack_api_url: str = Field(SLACK_DEFAULT_API_URL, description="Base URL of Slack's Web API.")
    tokenbot_gitlab_offering: Literal["auto", "gitlab_com", "self_managed", "dedicated"] = Field(
        "auto",
        description="Which GitLab you run: `gitlab_com`, `self_managed`, `dedicated`,"
        " or `auto` (GitLab.com if GITLAB_URL is gitlab.com, Self-Managed if it is another"
        " host, unknown if unset).",
    )
    tokenbot_gitlab_tier: Tier = Field(
        Tier.UNKNOWN,
        description="Your GitLab tier: `free`, `premium`, `ultimate` or"
        " `unknown`. The advisor uses it to say which credentials you can have.",
    )
    tokenbot_default_lifetime_days: Annotated[int, Field(ge=1, le=GITLAB_MAX_LIFETIME_DAYS)] = (
        Field(
            90,
            description="Lifetime the advisor recommends for credentials with an expiry"
            " date, in days.",
        )
    )
    tokenbot_max_lifetime_days: Annotated[int, Field(ge=1, le=GITLAB_MAX_LIFETIME_DAYS)] = Field(
        GITLAB_MAX_LIFETIME_DAYS,
        description="Longest lifetime policy allows, in days (GitLab's own maximum is 365).",
    )
    tokenbot_log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="Log level."
    )
    tokenbot_log_format: Literal["auto", "json", "text"] = Field(
        "auto",
        description="Log format on standard error: `json` (one object per line), `text`, or"
        " `auto`: text on a terminal, JSON otherwise. See docs/observability.md.",
    )
    tokenbot_metrics_port: Annotated[int, Field(ge=0, le=65535)] | None = Field(
        None,
        description="Serve Prometheus metrics at `/metrics` on this port, on a server of their"
        " own (`tokenbot run`). Unset: HTTP mode serves them at `/metrics` on PORT, Socket Mode"
        " not at all. See docs/observability.md.",
    )
    tokenbot_watched_groups: Annotated[tuple[str, ...], NoDecode] = Field(
        (),
        description="Comma-separated GitLab group paths whose credentials tokenbot"
        " inventories, e.g. `acme,partners/shared`.",
    )
    tokenbot_reminders_channel: str | None = Field(
        None,
        description="Slack channel id (`C...`) where expiry reminders are posted; the bot"
        " must be a member. Without it, no reminders are posted.",
    )
    tokenbot_reminders_routes: Annotated[tuple[str, ...], NoDecode] = Field(
        (),
        description="Comma-separated `group/path=CHANNELID` pairs: reminders for tokens in"
        " that namespace go to that channel; the most specific path wins.",
    )
    tokenbot_reminder_days: Annotated[tuple[int, ...], NoDecode] = Field(
        (30, 14, 7, 3, 1),
        description="Comma-separated days before expiry on which a token is reminded of;"
        " the expiry day (or, if missed, an 'expired' notice) always follows.",
    )
    tokenbot_reminder_time: str = Field(
        "09:00", description="Time of day (`HH:MM`) of the daily reminder sweep."
    )
    tokenbot_reminder_timezone: str = Field(
        "UTC",
        description="IANA time zone of TOKENBOT_REMINDER_TIME, e.g. `Europe/Berlin`. Expiry"
        " days are always counted in UTC, as GitLab does.",
    )
    tokenbot_digest_threshold: Annotated[int, Field(ge=1, le=1000)] = Field(
        5,
        description="When a sweep has more reminders than this for one channel, it posts"
        " one digest grouped by days left instead.",
    )
    tokenbot_sync_interval_hours: Annotated[float, Field(gt=0, le=168)] = Field(
        6.0, description="How often `tokenbot run` syncs the watched groups' inventory."
    )
    tokenbot_owners: Annotated[tuple[str, ...], NoDecode] = Field(
        (),
        description="Comma-separated `group/path=SLACKID` pairs: who owns tokens in that"
        " namespace that tokenbot did not create (the most specific path wins).",
    )
    tokenbot_admins: Annotated[tuple[str, ...], NoDecode] = Field(
        (),
        description="Comma-separated Slack user ids who may act on any reminder (rotate,"
        " renew, revoke, claim, let expire).",
    )
    tokenbot_renew_needs_approval: Literal["never", "risky", "always"] = Field(
        "risky",
        description="Whether Renew on a reminder goes through approval: `never`, `risky`"
        " (when the renewed token would carry a risk flag) or `always`.",
    )
    tokenbot_self_rotate_days: Annotated[int, Field(ge=1, le=364)] | None = Field(
        None,
        description="Rotate the bot's own GitLab token when this many days or fewer are"
        " left, writing the new value back to GITLAB_TOKEN_FILE. Unset: never.",
    )
    tokenbot_gitlab_ca_bundle: Path | None = Field(
        None,
        description="PEM file with the CA certificates of a self-managed GitLab behind"
        " a private CA.",
    )
    tokenbot_gitlab_timeout_seconds: Annotated[float, Field(gt=0, le=300)] = Field(
        10.0, description="Timeout of one GitLab API request, in seconds."
    )
    tokenbot_gitlab_retry_seconds: Annotated[float, Field(ge=0, le=600)] = Field(
        30.0,
        description="How long one GitLab call may keep retrying 429s, 5xx answers and"
        " dropped connections (honouring Retry-After), in seconds.",
    )
    tokenbot_gitlab_requests_per_second: Annotated[float, Field(gt=0, le=10000)] = Field(
        20.0,
        description="Most GitLab API requests tokenbot starts per second, across all"
        " its threads (GitLab.com allows about 33 per second per user).",
    )
    tokenbot_inventory_concurrency: Annotated[int, Field(ge=1, le=64)] = Field(
        8, description="How many projects an inventory reads at the same time."
    )
    tokenbot_secret_key: SecretStr | None = Field(
        None,
        description="Key (any random string of 32 or more characters) that encrypts a new"
        " token's secret while it waits to be revealed. Without it, tokens can only be"
        " delivered into CI/CD variables.",
    )
    tokenbot_secret_ttl_minutes: Annotated[int, Field(ge=1, le=1440)] = Field(
        60,
        description="How long a new token's secret waits to be revealed before it is"
        " discarded, in minutes.",
    )
    tokenbot_provisioning_timeout_seconds: Annotated[int, Field(ge=1, le=86400)] = Field(
        300,
        description="How long a request may stay in provisioning before the reconciler"
        " (every minute in tokenbot run, or `tokenbot reconcile`) takes it over: it adopts and"
        " delivers what GitLab made, or sets the request back to failed for Retry. Also how"
        " long after an unanswered create it checks GitLab for credentials no request"
        " accounts for.",
    )
    tokenbot_pending_days: Annotated[int, Field(ge=1, le=90)] = Field(
        7, description="How long a token request waits for approval before it expires, in days."
    )
    tokenbot_approvers: Annotated[tuple[str, ...], NoDecode] = Field(
        (),
        description="Comma-separated chat user ids (Slack `U...` ids) who may approve any"
        " request, besides the target's Maintainers and Owners in GitLab.",
    )
    tokenbot_approvals_channel: str | None = Field(
        None,
        description="Slack channel id (`C...`) where token requests are posted for"
        " approval; the bot must be a member.",
    )
    tokenbot_approvals_routes: Annotated[tuple[str, ...], NoDecode] = Field(
        (),
        description="Comma-separated `group/path=CHANNELID` pairs: requests for that"
        " namespace (and everything under it) go to that channel instead of"
        " TOKENBOT_APPROVALS_CHANNEL; the most specific path wins.",
    )
    tokenbot_user_map: Annotated[tuple[str, ...], NoDecode] = Field(
        (),
        description="Comma-separated `SLACKID=gitlab_username` pairs that link people"
        " explicitly, overriding the match by e-mail address.",
    )
    tokenbot_two_approvals_when_risky: bool = Field(
        True,
        description="Require two different approvers for risky requests (api scope,"
        " write scopes, Owner role, group-wide token, long lifetime).",
    )

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

    def secret_file(self, name: str) -> Path | None:
        """The file a secret setting was read from (`NAME_FILE`), if it came from one."""
        return self._secret_sources.get(name.lower())

    @property
    def approvals_routes(self) -> dict[str, str]:
        return _split_pairs(self.tokenbot_approvals_routes)

    @property
    def user_map(self) -> dict[str, str]:
        return _split_pairs(self.tokenbot_user_map)

    @field_validator("tokenbot_secret_key")
    @classmethod
    def _long_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < MIN_SECRET_KEY_LENGTH:
            raise ValueError(f"must have at least {MIN_SECRET_KEY_LENGTH} characters")
        return value

    @field_validator("gitlab_url", "slack_api_url")
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
        "tokenbot_user_map",
        "tokenbot_approvals_routes",
        "tokenbot_reminders_routes",
        "tokenbot_owners",
        "tokenbot_admins",
        "tokenbot_reminder_days",
        mode="before",
    )
    @classmethod
    def _comma_list(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip().strip("/") for part in value.split(",") if part.strip())
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

    @model_validator(mode="after")
    def _lifetimes(self) -> Settings:
        if self.tokenbot_default_lifetime_days > self.tokenbot_max_lifetime_days:
            raise ValueError(
                "TOKENBOT_DEFAULT_LIFETIME_DAYS must not exceed TOKENBOT_MAX_LIFETIME_DAYS"
            )
        return self

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
        if offering == "auto":
            if self.gitlab_url is None:
                return Platform(Offering.UNKNOWN, self.tokenbot_gitlab_tier)
            host = (urlsplit(self.gitlab_url).hostname or "").lower()
            com = host == "gitlab.com" or host.endswith(".gitlab.com")
            offering = "gitlab_com" if com else "self_managed"
        return Platform(Offering(offering), self.tokenbot_gitlab_tier)

    @property
    def request_policy(self) -> RequestPolicy:
        rules = {
            t: TypeRule(valid_scopes(t), max_lifetime_days=self.tokenbot_max_lifetime_days)
            for t in REQUESTABLE
        }
        return RequestPolicy(
            rules=rules,
            two_approvals_when_risky=self.tokenbot_two_approvals_when_risky,
            pending_days=self.tokenbot_pending_days,
            long_lifetime_days=self.tokenbot_default_lifetime_days,
            approvers=frozenset(self.tokenbot_approvers),
        )

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


def load_settings(config_file: Path | None = None) -> Settings:
    """Read the config file (if any: argument, else TOKENBOT_CONFIG) and the environment."""
    env = os.environ
    path = config_file or (Path(env[CONFIG_ENV]) if env.get(CONFIG_ENV) else None)
    file_values = _read_config_file(path) if path else {}
    sources: dict[str, Path] = {}
    file_values.update(_secret_files(file_values, env, sources))
    try:
        settings = Settings(**file_values)
    except ValidationError as exc:
        raise SettingsError(_one_line(exc)) from None
    settings._secret_sources.update(sources)
    return settings


def _read_config_file(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SettingsError(f"config file {path} does not exist") from None
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SettingsError(f"config file {path}: {exc}") from None
    known = set(Settings.model_fields) | {f"{n}_file" for n in _secret_fields()}
    values = {key.lower(): value for key, value in data.items()}
    unknown = sorted(set(values) - known)
    if unknown:
        raise SettingsError(f"config file {path}: unknown setting {unknown[0].upper()}")
    return values


def _secret_fields() -> list[str]:
    return [n for n, f in Settings.model_fields.items() if "SecretStr" in str(f.annotation)]


def _secret_files(
    file_values: dict[str, Any], env: Mapping[str, str], sources: dict[str, Path]
) -> dict[str, str]:
    """SECRET_FILE=/path settings (Docker and Kubernetes secrets) read into SECRET."""
    lowered = {key.lower(): value for key, value in env.items()}
    from_file = {n: file_values.pop(f"{n}_file", None) for n in _secret_fields()}
    found: dict[str, str] = {}
    for name in _secret_fields():
        source = lowered.get(f"{name}_file") or from_file[name]
        if not source:
            continue
        if lowered.get(name) or file_values.get(name):
            raise SettingsError(f"{name.upper()} and {name.upper()}_FILE are both set; keep one")
        try:
            found[name] = Path(source).read_text(encoding="utf-8").strip()
            sources[name] = Path(source)
        except OSError as exc:
            message = f"{name.upper()}_FILE: cannot read {source}: {exc.strerror}"
            raise SettingsError(message) from None
    return found


def _one_line(exc: ValidationError) -> str:
    error = exc.errors()[0]
    field = str(error["loc"][0]).upper() if error["loc"] else "settings"
    message = str(error["msg"]).removeprefix("Value error, ")
    if field in {n.upper() for n in _secret_fields()} or not error["loc"]:
        return f"{field}: {message}"
    return f"{field}: {message} (got {error.get('input')!r})"


def reference_markdown() -> str:
    """The settings table for docs/configuration.md, generated so it cannot drift."""
    secret = set(_secret_fields())
    rows = ["| Setting | Default | What it is |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        if field.default_factory is not None:
            default = "see description"
        elif field.default is None:
            default = "unset"
        else:
            default = f"`{getattr(field.default, 'value', field.default)}`"
        note = (
            f" Secret; can also be read from the file named by `{name.upper()}_FILE`."
            if (name in secret)
            else ""
        )
        rows.append(f"| `{name.upper()}` | {default} | {field.description}{note} |")
    return "\n".join(rows) + "\n"


def describe(settings: Settings) -> list[tuple[str, str]]:
    """Each setting's effective value for display; secrets show only whether they are set."""
    shown = []
    for name in Settings.model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            text = "(set)"
        elif isinstance(value, tuple):
            text = ",".join(str(item) for item in value) or "(none)"
        elif value is None:
            text = "(unset)"
        else:
            text = _without_password(str(getattr(value, "value", value)))
        shown.append((name.upper(), text))
    return shown


def _without_password(text: str) -> str:
    """A URL's password (DATABASE_URL, say) shown as ***; anything else unchanged."""
    parts = urlsplit(text)
    if not parts.scheme or parts.password is None:
        return text
    host = parts.hostname or ""
    if parts.port is not None:
        host += f":{parts.port}"
    netloc = f"{parts.username or ''}:***@{host}"
    return urlunsplit(parts._replace(netloc=netloc))


def _check_pairs(value: tuple[str, ...], shape: str) -> tuple[str, ...]:
    for pair in value:
        left, sep, right = pair.partition("=")
        if not sep or not left.strip() or not right.strip():
            raise ValueError(f"'{pair}' is not {shape}")
    return value


def _split_pairs(value: tuple[str, ...]) -> dict[str, str]:
    return {a.strip().strip("/"): b.strip() for a, _, b in (p.partition("=") for p in value)}
