"""Which token types live in a project, which in a group, and what to say when they do not
match the path given (in the names the forms show, never an internal id)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.credentials import NamespaceKind
from bot.domain.profiles import PROFILES
from bot.domain.request_policy import Problem
from bot.domain.tokens import TokenType

# Types that exist in one kind of namespace only; the rest (deploy tokens) live in either.
PLACE_OF: dict[TokenType, NamespaceKind] = {
    TokenType.PROJECT_ACCESS_TOKEN: NamespaceKind.PROJECT,
    TokenType.PIPELINE_TRIGGER_TOKEN: NamespaceKind.PROJECT,
    TokenType.GROUP_ACCESS_TOKEN: NamespaceKind.GROUP,
    TokenType.SERVICE_ACCOUNT_PAT: NamespaceKind.GROUP,
}


def type_name(token_type: TokenType) -> str:
    """The type as the forms list it ("Project access token")."""
    return PROFILES[token_type].title


def types_for_kind(types: Sequence[TokenType], kind: NamespaceKind | None) -> tuple[TokenType, ...]:
    """The types among `types` that can live in a namespace of this kind (None: unknown, all)."""
    if kind is None:
        return tuple(types)
    return tuple(t for t in types if PLACE_OF.get(t, kind) is kind)


def kind_problem(
    token_type: TokenType, kind: NamespaceKind, path: str, offered: Sequence[TokenType]
) -> Problem | None:
    """Why `token_type` cannot be made at `path`, a `kind`, naming what can; None if it can."""
    needed = PLACE_OF.get(token_type)
    if needed is None or needed is kind:
        return None
    fitting = [type_name(t).lower() for t in types_for_kind(offered, kind)]
    instead = f" Choose {_either(fitting)}, or give a {needed.value} path." if fitting else ""
    return Problem(
        "token_type",
        f"A {type_name(token_type).lower()} lives in a {needed.value}; {path} is a"
        f" {kind.value}.{instead}",
    )


def _either(names: list[str]) -> str:
    articled = [f"an {n}" if n[0] in "aeiou" else f"a {n}" for n in names]
    if len(articled) == 1:
        return articled[0]
    return ", ".join(articled[:-1]) + " or " + articled[-1]
