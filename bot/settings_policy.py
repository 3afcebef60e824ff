"""TOKENBOT_POLICY: the per-type request policy as written in the config file or the
environment, checked key by key and turned into the domain's `RequestPolicy`.

Every mistake is a `ValueError` whose message starts with the key it is about
(`project_access_token.scopes: ...`), so the settings error names it in one line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.domain.policy import GITLAB_MAX_LIFETIME_DAYS
from bot.domain.request_policy import REQUESTABLE, UNDATED, RequestPolicy, RiskRule, TypeRule
from bot.domain.tokens import ROLE_BEARING, AccessLevel, Scope, TokenType, valid_scopes

MAX_APPROVALS = 5
TYPE_KEYS = (
    "scopes",
    "roles",
    "max_lifetime_days",
    "default_lifetime_days",
    "requesters",
    "approvals",
)
RISKY_KEYS = ("scopes", "roles", "lifetime_over_days", "group_wide", "approvals")
_TOP_KEYS = ("types", "requesters", "risky")
_ROLES = {r.name.lower(): r for r in AccessLevel}


@dataclass(frozen=True, slots=True)
class PolicyDefaults:
    """What the other settings say, used wherever the policy leaves a key out."""

    max_lifetime_days: int = GITLAB_MAX_LIFETIME_DAYS
    default_lifetime_days: int = 90
    two_approvals_when_risky: bool = True
    pending_days: int = 7
    approvers: frozenset[str] = field(default_factory=frozenset)


def parse_policy(raw: Mapping[str, Any], defaults: PolicyDefaults) -> RequestPolicy:
    """The request policy `raw` describes (ValueError naming the key if it is wrong)."""
    for name in raw:
        if name not in _TOP_KEYS and name not in {t.value for t in REQUESTABLE}:
            issued = ", ".join(t.value for t in REQUESTABLE)
            raise ValueError(
                f"{name}: unknown key; expected types, requesters, risky or a type tokenbot"
                f" issues ({issued})"
            )
    types = _types(raw.get("types"))
    left_out = sorted(set(raw) - set(_TOP_KEYS) - {t.value for t in types})
    if left_out:
        raise ValueError(f"{left_out[0]}: configured, but {left_out[0]} is not in types")
    requesters = _groups(raw["requesters"], "requesters") if "requesters" in raw else ()
    rules = {t: _rule(t, _table(raw, t.value), defaults, requesters) for t in types}
    return RequestPolicy(
        rules=rules,
        risky=_risky(_table(raw, "risky"), defaults),
        pending_days=defaults.pending_days,
        approvers=defaults.approvers,
    )


def _types(value: Any) -> tuple[TokenType, ...]:
    if value is None:
        return REQUESTABLE
    names = _strings(value, "types")
    for name in names:
        if name not in {t.value for t in REQUESTABLE}:
            issued = ", ".join(t.value for t in REQUESTABLE)
            raise ValueError(f"types: tokenbot cannot issue {name!r}; it issues {issued}")
    return tuple(t for t in REQUESTABLE if t.value in names)


def _rule(
    token_type: TokenType,
    table: Mapping[str, Any],
    defaults: PolicyDefaults,
    requesters: tuple[str, ...],
) -> TypeRule:
    key = token_type.value
    _only(table, TYPE_KEYS, key)
    if token_type in UNDATED:
        for name in ("max_lifetime_days", "default_lifetime_days"):
            if name in table:
                raise ValueError(f"{key}.{name}: GitLab gives {key} no expiry date")
    longest = _days(table, "max_lifetime_days", key, defaults.max_lifetime_days)
    first = _days(table, "default_lifetime_days", key, min(defaults.default_lifetime_days, longest))
    if first > longest:
        raise ValueError(
            f"{key}.default_lifetime_days: {first} is above max_lifetime_days ({longest})"
        )
    return TypeRule(
        allowed_scopes=_type_scopes(token_type, table.get("scopes")),
        max_lifetime_days=longest,
        requesters=_groups(table["requesters"], f"{key}.requesters")
        if "requesters" in table
        else requesters,
        roles=_type_roles(token_type, table.get("roles")),
        default_lifetime_days=first,
        approvals=_approvals(table, key, 1),
    )


def _type_scopes(token_type: TokenType, value: Any) -> frozenset[Scope]:
    key, valid = f"{token_type.value}.scopes", valid_scopes(token_type)
    if value is None:
        return valid
    if not valid:
        raise ValueError(f"{key}: {token_type.value} takes no scopes")
    scopes = _scopes(value, key)
    for scope in scopes:
        if scope not in valid:
            allowed = ", ".join(s.value for s in Scope if s in valid)
            raise ValueError(
                f"{key}: GitLab gives {token_type.value} no {scope.value!r} scope ({allowed})"
            )
    if not scopes:
        raise ValueError(f"{key}: give at least one scope, or leave the type out of types")
    return scopes


def _type_roles(token_type: TokenType, value: Any) -> frozenset[AccessLevel]:
    key = f"{token_type.value}.roles"
    if value is None:
        return frozenset(AccessLevel)
    if token_type not in ROLE_BEARING:
        raise ValueError(f"{key}: {token_type.value} has no role")
    roles = _roles(value, key)
    if not roles:
        raise ValueError(f"{key}: give at least one role, or leave the type out of types")
    return roles


def _risky(table: Mapping[str, Any], defaults: PolicyDefaults) -> RiskRule:
    _only(table, RISKY_KEYS, "risky")
    base = RiskRule()
    group_wide = table.get("group_wide", base.group_wide)
    if not isinstance(group_wide, bool):
        raise ValueError("risky.group_wide: must be true or false")
    approvals = 2 if defaults.two_approvals_when_risky else 1
    return RiskRule(
        scopes=_scopes(table["scopes"], "risky.scopes") if "scopes" in table else base.scopes,
        roles=_roles(table["roles"], "risky.roles") if "roles" in table else base.roles,
        lifetime_over_days=_days(
            table, "lifetime_over_days", "risky", defaults.default_lifetime_days
        ),
        group_wide=group_wide,
        approvals=_approvals(table, "risky", approvals),
    )


def _table(raw: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = raw.get(key, {})
    if not isinstance(value, Mapping):
        raise ValueError(f"{key}: must be a table of settings")
    return value


def _only(table: Mapping[str, Any], keys: tuple[str, ...], where: str) -> None:
    for name in table:
        if name not in keys:
            raise ValueError(f"{where}.{name}: unknown key; expected {', '.join(keys)}")


def _strings(value: Any, key: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f'{key}: must be a list of strings, e.g. ["a", "b"]')
    return [v.strip() for v in value]


def _scopes(value: Any, key: str) -> frozenset[Scope]:
    names = _strings(value, key)
    known = {s.value for s in Scope}
    for name in names:
        if name not in known:
            raise ValueError(f"{key}: {name!r} is not a GitLab scope tokenbot knows")
    return frozenset(Scope(n) for n in names)


def _roles(value: Any, key: str) -> frozenset[AccessLevel]:
    names = [n.lower() for n in _strings(value, key)]
    for name in names:
        if name not in _ROLES:
            raise ValueError(f"{key}: {name!r} is not a role ({', '.join(_ROLES)})")
    return frozenset(_ROLES[n] for n in names)


def _groups(value: Any, key: str) -> tuple[str, ...]:
    groups = tuple(g.strip("/") for g in _strings(value, key))
    if any(not g for g in groups):
        raise ValueError(f"{key}: a group path cannot be empty")
    if not groups:
        raise ValueError(
            f"{key}: an empty list would let nobody request; leave the key out to let anyone"
        )
    return groups


def _days(table: Mapping[str, Any], name: str, where: str, default: int) -> int:
    value = table.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{where}.{name}: must be a whole number of days")
    if not 1 <= value <= GITLAB_MAX_LIFETIME_DAYS:
        raise ValueError(
            f"{where}.{name}: {value} is not 1 to {GITLAB_MAX_LIFETIME_DAYS} (GitLab's maximum)"
        )
    return value


def _approvals(table: Mapping[str, Any], where: str, default: int) -> int:
    value = table.get("approvals", default)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_APPROVALS:
        raise ValueError(f"{where}.approvals: must be 1 to {MAX_APPROVALS} (got {value!r})")
    return value
