"""Settings for people to read: the reference table and each setting's effective value."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from pydantic import SecretStr

from bot.settings_model import Settings, secret_fields


def reference_markdown() -> str:
    """The settings table for docs/configuration.md, generated so it cannot drift."""
    secret = set(secret_fields())
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
