"""Hygiene findings: each rule on its edges (issue 16)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.domain.credentials import Namespace, NamespaceKind
from bot.domain.hygiene import (
    CredentialFacts,
    FindingKind,
    HygieneRules,
    findings,
    narrower_scopes,
)
from bot.domain.reminders import TrackedToken
from bot.domain.tokens import AccessLevel, TokenType

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
PROJECT = Namespace(NamespaceKind.PROJECT, 7, "team/app")
GROUP = Namespace(NamespaceKind.GROUP, 3, "team")
RULES = HygieneRules(
    default_lifetime_days={TokenType.PROJECT_ACCESS_TOKEN: 90},
    max_lifetime_days={TokenType.PROJECT_ACCESS_TOKEN: 365, TokenType.DEPLOY_TOKEN: 365},
)


def _token(**changes: object) -> TrackedToken:
    fields: dict[str, object] = {
        "key": "project_access_token:1",
        "token_type": TokenType.PROJECT_ACCESS_TOKEN,
        "gitlab_id": 1,
        "name": "ci",
        "namespace": PROJECT,
        "scopes": ("read_api",),
        "access_level": AccessLevel.REPORTER,
        "expires_on": date(2027, 1, 5),  # created 60 days ago: a 90-day lifetime
        "last_used_at": NOW - timedelta(days=1),
        "owner": "U1",
    }
    fields.update(changes)
    return TrackedToken(**fields)  # type: ignore[arg-type]


def _kinds(token: TrackedToken, **facts: object) -> set[FindingKind]:
    created = facts.pop("created_at", NOW - timedelta(days=60))
    given = CredentialFacts(token, created_at=created, **facts)  # type: ignore[arg-type]
    return {f.kind for f in findings(given, RULES, NOW)}


def test_a_healthy_token_has_no_findings() -> None:
    assert _kinds(_token()) == set()


@pytest.mark.parametrize(
    ("last_used", "created_days_ago", "unused"),
    [
        (None, 60, True),  # never used, and older than the threshold
        (NOW - timedelta(days=400), 500, True),  # used once, long ago
        (NOW - timedelta(days=30), 60, False),  # used exactly at the threshold: not older
        (NOW - timedelta(days=30, seconds=1), 60, True),  # a second past it
        (None, 30, False),  # never used but exactly 30 days old: not older than that
        (None, 5, False),  # a new token nobody had time to use
    ],
)
def test_unused(last_used: datetime | None, created_days_ago: int, unused: bool) -> None:
    token = _token(last_used_at=last_used)
    kinds = _kinds(token, created_at=NOW - timedelta(days=created_days_ago))
    assert (FindingKind.UNUSED in kinds) is unused


def test_an_unknown_age_is_never_called_unused() -> None:
    token = _token(last_used_at=None)
    given = CredentialFacts(token, created_at=None)
    assert FindingKind.UNUSED not in {f.kind for f in findings(given, RULES, NOW)}


def test_the_unused_threshold_follows_the_setting() -> None:
    token = _token(last_used_at=NOW - timedelta(days=10))
    facts = CredentialFacts(token, created_at=NOW - timedelta(days=60))
    strict = HygieneRules(unused_days=7)
    assert FindingKind.UNUSED in {f.kind for f in findings(facts, strict, NOW)}


@pytest.mark.parametrize(
    ("scopes", "broad", "instead"),
    [
        (("api",), True, ("read_api",)),
        (("read_api", "write_repository"), True, ("read_api", "read_repository")),
        (("read_repository", "read_registry"), False, ("read_repository", "read_registry")),
        (("api", "read_api"), True, ("read_api",)),
        (("manage_runner",), True, ("manage_runner",)),
    ],
)
def test_write_scopes_are_over_powered(
    scopes: tuple[str, ...], broad: bool, instead: tuple[str, ...]
) -> None:
    assert (FindingKind.BROAD_SCOPE in _kinds(_token(scopes=scopes))) is broad
    assert narrower_scopes(scopes) == instead


@pytest.mark.parametrize(
    ("role", "high"),
    [
        (AccessLevel.OWNER, True),
        (AccessLevel.MAINTAINER, True),
        (AccessLevel.DEVELOPER, False),
        (None, False),  # deploy and trigger tokens have no role
    ],
)
def test_high_roles(role: AccessLevel | None, high: bool) -> None:
    assert (FindingKind.HIGH_ROLE in _kinds(_token(access_level=role))) is high


@pytest.mark.parametrize(
    ("projects", "large"),
    [(21, True), (20, False), (19, False), (None, False)],
)
def test_a_group_token_over_a_large_group(projects: int | None, large: bool) -> None:
    token = _token(token_type=TokenType.GROUP_ACCESS_TOKEN, namespace=GROUP)
    assert (FindingKind.LARGE_GROUP in _kinds(token, group_projects=projects)) is large


def test_a_project_token_is_never_group_wide() -> None:
    assert FindingKind.LARGE_GROUP not in _kinds(_token(), group_projects=500)


def test_a_group_deploy_token_is_group_wide() -> None:
    token = _token(token_type=TokenType.DEPLOY_TOKEN, namespace=GROUP, access_level=None)
    assert FindingKind.LARGE_GROUP in _kinds(token, group_projects=21)


@pytest.mark.parametrize(
    ("owner", "creator_known", "unowned"),
    [(None, False, True), (None, True, False), ("U1", False, False)],
)
def test_unowned(owner: str | None, creator_known: bool, unowned: bool) -> None:
    token = _token(owner=owner)
    assert (FindingKind.UNOWNED in _kinds(token, creator_known=creator_known)) is unowned


def test_never_expiring_and_beyond_the_maximum() -> None:
    assert FindingKind.NEVER_EXPIRES in _kinds(_token(expires_on=None))
    beyond = NOW.date() + timedelta(days=366)
    assert FindingKind.BEYOND_MAXIMUM in _kinds(_token(expires_on=beyond))
    at_maximum = NOW.date() + timedelta(days=365)
    assert FindingKind.BEYOND_MAXIMUM not in _kinds(_token(expires_on=at_maximum))


def test_trigger_tokens_have_no_expiry_to_find_fault_with() -> None:
    token = _token(token_type=TokenType.PIPELINE_TRIGGER_TOKEN, expires_on=None, scopes=())
    assert _kinds(token) == set()


@pytest.mark.parametrize(("lifetime", "long"), [(91, True), (90, False)])
def test_a_lifetime_longer_than_the_policy_default(lifetime: int, long: bool) -> None:
    created = NOW - timedelta(days=10)
    token = _token(expires_on=created.date() + timedelta(days=lifetime))
    assert (FindingKind.LONG_LIFETIME in _kinds(token, created_at=created)) is long


def test_every_finding_says_why_and_what_instead() -> None:
    token = _token(
        scopes=("api",),
        access_level=AccessLevel.OWNER,
        expires_on=None,
        owner=None,
        last_used_at=None,
        token_type=TokenType.GROUP_ACCESS_TOKEN,
        namespace=GROUP,
    )
    facts = CredentialFacts(token, created_at=NOW - timedelta(days=90), group_projects=40)
    found = findings(facts, RULES, NOW)
    assert {f.kind for f in found} == set(FindingKind) - {
        FindingKind.LONG_LIFETIME,
        FindingKind.BEYOND_MAXIMUM,
    }
    for finding in found:
        assert finding.why.endswith(".")
        assert finding.instead.endswith(".")
