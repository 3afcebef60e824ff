"""Silenced findings ("keep, it is right"): what ends a silence, the reason's rules, and the
rules and creators the findings are judged with."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.domain.credentials import Namespace, NamespaceKind
from bot.domain.hygiene import (
    CredentialFacts,
    FindingKind,
    creator_known,
    findings,
    hygiene_rules,
)
from bot.domain.hygiene_silences import (
    REASON_MAX_LENGTH,
    Silence,
    holds,
    keep_reason,
    silence_basis,
    unsilenced,
)
from bot.domain.policy import LifetimePolicy
from bot.domain.reminders import OwnerSource, TrackedToken
from bot.domain.request_policy import RequestPolicy, TypeRule
from bot.domain.requests import RequestError
from bot.domain.tokens import AccessLevel, Scope, TokenType

NOW = datetime(2026, 12, 9, 12, 0, tzinfo=UTC)
GROUP = Namespace(NamespaceKind.GROUP, 3, "acme")
TOKEN = TrackedToken(
    "group_access_token:1",
    TokenType.GROUP_ACCESS_TOKEN,
    1,
    "wide",
    GROUP,
    ("api",),
    AccessLevel.OWNER,
    expires_on=None,
    last_used_at=None,
)
RULES = hygiene_rules(RequestPolicy(), LifetimePolicy(), large_group_projects=20)
FACTS = CredentialFacts(TOKEN, created_at=NOW - timedelta(days=100), group_projects=21)


def _silence(kind: FindingKind, token: TrackedToken = TOKEN) -> Silence:
    return Silence(token.key, kind, "it is right", "U1", NOW, silence_basis(kind, token))


def test_the_fixture_has_every_finding_a_silence_can_cover() -> None:
    kinds = {f.kind for f in findings(FACTS, RULES, NOW)}
    assert kinds == {
        FindingKind.UNUSED,
        FindingKind.BROAD_SCOPE,
        FindingKind.HIGH_ROLE,
        FindingKind.LARGE_GROUP,
        FindingKind.UNOWNED,
        FindingKind.NEVER_EXPIRES,
    }


@pytest.mark.parametrize(
    ("kind", "change"),
    [
        (FindingKind.UNUSED, {"last_used_at": NOW - timedelta(days=60)}),
        (FindingKind.BROAD_SCOPE, {"scopes": ("api", "write_repository")}),
        (FindingKind.HIGH_ROLE, {"access_level": AccessLevel.MAINTAINER}),
        (FindingKind.LARGE_GROUP, {"namespace": Namespace(NamespaceKind.GROUP, 4, "big")}),
        (FindingKind.NEVER_EXPIRES, {"expires_on": date(2027, 3, 1)}),
        (FindingKind.BEYOND_MAXIMUM, {"expires_on": date(2027, 12, 1)}),
        (FindingKind.LONG_LIFETIME, {"expires_on": date(2027, 2, 1)}),
        (FindingKind.UNOWNED, {"owner": "U2", "owner_source": OwnerSource.CLAIMED}),
    ],
)
def test_a_silence_ends_when_what_it_judged_changes(
    kind: FindingKind, change: dict[str, object]
) -> None:
    silence = _silence(kind)
    assert holds(silence, TOKEN)
    assert not holds(silence, replace(TOKEN, **change))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "change",
    [
        {"name": "renamed"},
        {"muted": True},
        {"last_used_ips": ("203.0.113.9",)},
    ],
)
def test_a_silence_survives_what_does_not_matter(change: dict[str, object]) -> None:
    for kind in FindingKind:
        assert holds(_silence(kind), replace(TOKEN, **change))  # type: ignore[arg-type]


def test_the_group_growing_does_not_end_a_large_group_silence() -> None:
    kept = {FindingKind.LARGE_GROUP: _silence(FindingKind.LARGE_GROUP)}
    bigger = replace(FACTS, group_projects=500)
    left = unsilenced(findings(bigger, RULES, NOW), TOKEN, kept)
    assert FindingKind.LARGE_GROUP not in {f.kind for f in left}


def test_a_silence_for_another_token_covers_nothing() -> None:
    other = replace(TOKEN, key="group_access_token:2", gitlab_id=2)
    assert not holds(_silence(FindingKind.HIGH_ROLE), other)


def test_unsilenced_drops_only_the_kept_kinds() -> None:
    kept = {FindingKind.HIGH_ROLE: _silence(FindingKind.HIGH_ROLE)}
    all_found = findings(FACTS, RULES, NOW)
    left = {f.kind for f in unsilenced(all_found, TOKEN, kept)}
    assert left == {f.kind for f in all_found} - {FindingKind.HIGH_ROLE}


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("  a CI bot needs api  ", "a CI bot needs api"),
        ("two\nlines\there", "two lines here"),
        ("bell\x07 and \x1b[31mred", "bell and [31mred"),
    ],
)
def test_the_reason_is_trimmed_to_one_printable_line(given: str, stored: str) -> None:
    assert keep_reason(given) == stored


@pytest.mark.parametrize("empty", ["", "   ", "\n\t", "\x00\x07"])
def test_a_reason_is_required(empty: str) -> None:
    with pytest.raises(RequestError, match="a reason is required"):
        keep_reason(empty)


def test_a_reason_is_bounded() -> None:
    assert len(keep_reason("x" * REASON_MAX_LENGTH)) == REASON_MAX_LENGTH
    with pytest.raises(RequestError, match=f"keep it to {REASON_MAX_LENGTH}"):
        keep_reason("x" * (REASON_MAX_LENGTH + 1))


def test_rules_take_lifetimes_from_the_request_policy_and_the_rest_from_the_lifetime_policy() -> (
    None
):
    policy = RequestPolicy(
        rules={
            TokenType.PROJECT_ACCESS_TOKEN: TypeRule(
                frozenset({Scope.READ_API}), max_lifetime_days=180, default_lifetime_days=30
            )
        }
    )
    rules = hygiene_rules(policy, LifetimePolicy(60, 200), unused_days=45)
    assert rules.default_lifetime_days[TokenType.PROJECT_ACCESS_TOKEN] == 30
    assert rules.max_lifetime_days[TokenType.PROJECT_ACCESS_TOKEN] == 180
    assert rules.default_lifetime_days[TokenType.PERSONAL_ACCESS_TOKEN] == 60
    assert rules.max_lifetime_days[TokenType.DEPLOY_KEY] == 200
    assert TokenType.PIPELINE_TRIGGER_TOKEN not in rules.max_lifetime_days
    assert (rules.unused_days, rules.large_group_projects) == (45, 20)


@pytest.mark.parametrize(
    ("token_type", "user_id", "request_id", "known"),
    [
        (TokenType.PROJECT_ACCESS_TOKEN, 77, None, False),  # its bot user is no creator
        (TokenType.PROJECT_ACCESS_TOKEN, 77, "r1", True),  # tokenbot made it
        (TokenType.PERSONAL_ACCESS_TOKEN, 12, None, True),  # its user
        (TokenType.PIPELINE_TRIGGER_TOKEN, 12, None, True),  # its owner
        (TokenType.PIPELINE_TRIGGER_TOKEN, None, None, False),  # owner gone
        (TokenType.DEPLOY_TOKEN, None, None, False),
        (TokenType.DEPLOY_KEY, None, None, False),
    ],
)
def test_who_made_a_credential_is_known(
    token_type: TokenType, user_id: int | None, request_id: str | None, known: bool
) -> None:
    token = replace(TOKEN, token_type=token_type, user_id=user_id, request_id=request_id)
    assert creator_known(token) is known
