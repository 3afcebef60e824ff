"""Settings from the environment and an optional TOML config file (environment wins).

Nothing is read at import time: the CLI calls `load_settings()`. Every failure becomes a
`SettingsError` whose one-line message names the setting and never shows a secret's value.

The settings are declared in `settings_fields.py` and checked in `settings_model.py`; they are
shown by `settings_display.py`. This module reads them and re-exports what callers use.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bot.settings_display import describe, reference_markdown
from bot.settings_fields import SLACK_DEFAULT_API_URL
from bot.settings_model import MIN_SECRET_KEY_LENGTH, Settings, SettingsError, secret_fields

__all__ = [
    "CONFIG_ENV",
    "MIN_SECRET_KEY_LENGTH",
    "SLACK_DEFAULT_API_URL",
    "Settings",
    "SettingsError",
    "describe",
    "load_settings",
    "reference_markdown",
]

CONFIG_ENV = "TOKENBOT_CONFIG"


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
    settings._config_file = path
    return settings


def _read_config_file(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SettingsError(f"config file {path} does not exist") from None
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SettingsError(f"config file {path}: {exc}") from None
    known = set(Settings.model_fields) | {f"{n}_file" for n in secret_fields()}
    values = {key.lower(): value for key, value in data.items()}
    unknown = sorted(set(values) - known)
    if unknown:
        raise SettingsError(f"config file {path}: unknown setting {unknown[0].upper()}")
    return values


def _secret_files(
    file_values: dict[str, Any], env: Mapping[str, str], sources: dict[str, Path]
) -> dict[str, str]:
    """SECRET_FILE=/path settings (Docker and Kubernetes secrets) read into SECRET."""
    lowered = {key.lower(): value for key, value in env.items()}
    from_file = {n: file_values.pop(f"{n}_file", None) for n in secret_fields()}
    found: dict[str, str] = {}
    for name in secret_fields():
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
    if field in {n.upper() for n in secret_fields()} or not error["loc"]:
        return f"{field}: {message}"
    if field == "TOKENBOT_POLICY":  # the message names the key; the input is a whole table
        return f"{field}: {message}"
    return f"{field}: {message} (got {error.get('input')!r})"
