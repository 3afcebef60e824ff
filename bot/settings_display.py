"""Settings for people to read: the reference table and each setting's effective value."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from urllib.parse import urlsplit, urlunsplit

from pydantic import SecretStr

from bot.domain.request_policy import UNDATED, RequestPolicy
from bot.domain.tokens import ROLE_BEARING, AccessLevel, Scope
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
        if name == "tokenbot_policy":
            shown += policy_pairs(settings.request_policy, prefix=name.upper())
            continue
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


def policy_pairs(policy: RequestPolicy, *, prefix: str) -> list[tuple[str, str]]:
    """The effective request policy, key by key as TOKENBOT_POLICY names them, every key
    filled in (from the other settings where the policy leaves it out)."""
    pairs = [("types", _joined(t.value for t in policy.types))]
    for token_type, rule in policy.rules.items():
        key = token_type.value
        pairs.append((f"{key}.scopes", _joined(s.value for s in policy.scopes_for(token_type))))
        if token_type in ROLE_BEARING:
            pairs.append((f"{key}.roles", _joined(_roles(policy.roles_for(token_type)))))
        if token_type not in UNDATED:
            pairs.append((f"{key}.max_lifetime_days", str(rule.max_lifetime_days)))
            pairs.append((f"{key}.default_lifetime_days", str(rule.lifetime_default)))
        anyone = "(anyone linked to GitLab)"
        pairs.append((f"{key}.requesters", _joined(rule.requesters) if rule.requesters else anyone))
        pairs.append((f"{key}.approvals", str(rule.approvals)))
    risky = policy.risky
    pairs += [
        ("risky.scopes", _joined(s.value for s in Scope if s in risky.scopes)),
        ("risky.roles", _joined(_roles(r for r in AccessLevel if r in risky.roles))),
        ("risky.lifetime_over_days", str(risky.lifetime_over_days)),
        ("risky.group_wide", str(risky.group_wide).lower()),
        ("risky.approvals", str(risky.approvals)),
    ]
    return [(f"{prefix}.{key}", value) for key, value in pairs]


def _roles(roles: Iterable[AccessLevel]) -> Iterator[str]:
    return (r.name.lower() for r in roles)


def _joined(values: Iterable[str]) -> str:
    return ",".join(values) or "(none)"


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
