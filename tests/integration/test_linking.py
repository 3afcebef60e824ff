"""GitLab sign-in, use cases and pages, against a GitLab stand-in that checks PKCE like
GitLab does (RFC 7636 S256) and a real database.

What must hold: a state is used once, for 10 minutes, by whoever started it; the OAuth token
is revoked before anything else happens and is found nowhere; a link is to whoever signed in,
and only after the page showed both accounts and was confirmed.
"""

from __future__ import annotations

import io
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from bot.db.unit_of_work import SqlUnitOfWork
from bot.domain.audit import AuditAction
from bot.domain.credentials import GitLabUser, Secret
from bot.domain.links import pkce_challenge
from bot.services.gitlab_errors import ValidationError
from bot.services.linking import (
    REPLAYED,
    LinkDeps,
    LinkRefused,
    begin_link,
    confirm_link,
    signed_in,
    unlink,
)
from bot.slack.link_page import CALLBACK_PATH, CONFIRM_PATH, link_pages

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
KEY = b"a-key-for-tests-only-0123456789abcdef"


@dataclass
class Grant:
    challenge: str
    user: GitLabUser
    used: bool = False


@dataclass
class StandInGitLab:
    """Codes bound to a PKCE challenge and a user, single use; tokens until revoked."""

    signed_in_as: GitLabUser = field(default_factory=lambda: GitLabUser(7, "alice", "Alice A"))
    grants: dict[str, Grant] = field(default_factory=dict)
    live: dict[str, GitLabUser] = field(default_factory=dict)
    issued: list[str] = field(default_factory=list)
    revoked: list[str] = field(default_factory=list)

    def authorize_url(self, *, state: str, challenge: str) -> str:
        return "https://gitlab.test/oauth/authorize?" + urlencode(
            {"state": state, "code_challenge": challenge, "code_challenge_method": "S256"}
        )

    def approve(self, url: str) -> tuple[str, str]:
        """The person signs in and consents: GitLab redirects back with (state, code)."""
        query = parse_qs(urlsplit(url).query)
        code = secrets.token_urlsafe(16)
        self.grants[code] = Grant(query["code_challenge"][0], self.signed_in_as)
        return query["state"][0], code

    def exchange(self, code: str, verifier: str) -> Secret:
        grant = self.grants.get(code)
        if grant is None or grant.used:
            raise ValidationError("invalid_grant: The provided authorization grant is invalid")
        grant.used = True
        if pkce_challenge(verifier) != grant.challenge:
            raise ValidationError("invalid_grant: The code verifier does not match")
        token = f"oauth-{secrets.token_hex(8)}"
        self.live[token] = grant.user
        self.issued.append(token)
        return Secret(token)

    def signed_in_user(self, access_token: Secret) -> GitLabUser:
        return self.live[access_token.reveal()]

    def revoke(self, access_token: Secret) -> None:
        self.live.pop(access_token.reveal(), None)
        self.revoked.append(access_token.reveal())


@dataclass
class Clock:
    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def gitlab() -> StandInGitLab:
    return StandInGitLab()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def deps(db: Engine, gitlab: StandInGitLab, clock: Clock) -> LinkDeps:
    return LinkDeps(uow=lambda: SqlUnitOfWork(db), sign_in=gitlab, clock=clock, key=KEY)


def _linked(deps: LinkDeps, chat_id: str) -> int | None:
    with deps.uow() as uow:
        link = uow.links.get(chat_id)
    return None if link is None else link.gitlab_user_id


def test_sign_in_confirm_and_the_oauth_token_is_revoked_and_kept_nowhere(
    deps: LinkDeps, gitlab: StandInGitLab, db: Engine
) -> None:
    state, code = gitlab.approve(begin_link("U0ALICE", "T0ACME", "Alice", deps=deps))
    asked = signed_in(state, code, deps=deps)
    assert (asked.chat_id, asked.gitlab_username) == ("U0ALICE", "alice")
    assert gitlab.revoked == gitlab.issued  # revoked before the page even asks
    assert _linked(deps, "U0ALICE") is None  # nothing yet: the page asks first
    link = confirm_link(asked.token, deps=deps)
    assert (link.chat_id, link.gitlab_user_id) == ("U0ALICE", 7)
    with db.connect() as conn:
        dump = " ".join(
            str(row)
            for table in SQLModel.metadata.sorted_tables
            for row in conn.execute(sa.select(table))
        )
    for token in gitlab.issued:
        assert token not in dump
    assert state not in dump
    assert code not in dump
    assert asked.token not in dump
    with deps.uow() as uow:
        actions = [e.action for e in uow.audit.events()]
    assert AuditAction.LINKED in actions


def test_a_state_is_used_once(deps: LinkDeps, gitlab: StandInGitLab) -> None:
    state, code = gitlab.approve(begin_link("U0ALICE", "T0ACME", "Alice", deps=deps))
    signed_in(state, code, deps=deps)
    with pytest.raises(LinkRefused, match="used already"):
        signed_in(state, code, deps=deps)


def test_a_forged_state_links_nothing(deps: LinkDeps, gitlab: StandInGitLab) -> None:
    begin_link("U0ALICE", "T0ACME", "Alice", deps=deps)
    with pytest.raises(LinkRefused) as refused:
        signed_in(secrets.token_urlsafe(32), "any-code", deps=deps)
    assert str(refused.value) == REPLAYED
    assert gitlab.issued == []  # GitLab was not even asked


def test_an_expired_state_links_nothing(
    deps: LinkDeps, gitlab: StandInGitLab, clock: Clock
) -> None:
    state, code = gitlab.approve(begin_link("U0ALICE", "T0ACME", "Alice", deps=deps))
    clock.now += timedelta(minutes=10, seconds=1)
    with pytest.raises(LinkRefused, match="expired"):
        signed_in(state, code, deps=deps)
    assert gitlab.issued == []


def test_a_code_exchanged_twice_or_with_another_verifier_is_refused(
    deps: LinkDeps, gitlab: StandInGitLab
) -> None:
    state, code = gitlab.approve(begin_link("U0ALICE", "T0ACME", "Alice", deps=deps))
    # An attacker who saw the redirect (state and code) but not tokenbot's key cannot
    # redeem it: the verifier is derived from the key.
    with pytest.raises(ValidationError, match="verifier"):
        gitlab.exchange(code, "an-attackers-verifier-" + "x" * 22)
    with pytest.raises(LinkRefused, match="did not accept"):
        signed_in(state, code, deps=deps)  # the code is spent now, as at GitLab
    assert _linked(deps, "U0ALICE") is None


def test_the_link_is_to_whoever_signed_in_and_the_page_names_both_accounts(
    deps: LinkDeps, gitlab: StandInGitLab
) -> None:
    """Mallory sends Bob her sign-in link. Bob signs in: the page says the Slack account is
    Mallory's, Bob cancels, nothing is linked. Had he confirmed, Mallory would be linked to
    Bob, never to anyone she chose: tokenbot links to whoever signed in."""
    gitlab.signed_in_as = GitLabUser(9, "bob", "Bob B")
    state, code = gitlab.approve(begin_link("U0MALLORY", "T0ACME", "Mallory M", deps=deps))
    pages = _Pages(deps)
    status, page = pages.get(CALLBACK_PATH, {"state": state, "code": code})
    assert status.startswith("200")
    assert "Mallory M" in page
    assert "U0MALLORY" in page
    assert "@bob" in page
    token = page.split('name="token" value="')[1].split('"')[0]
    status, page = pages.post(CONFIRM_PATH, {"token": token, "choice": "cancel"})
    assert "Nothing was linked" in page
    assert _linked(deps, "U0MALLORY") is None


def test_a_gitlab_user_linked_to_one_slack_account_cannot_be_taken_by_another(
    deps: LinkDeps, gitlab: StandInGitLab
) -> None:
    state, code = gitlab.approve(begin_link("U0ALICE", "T0ACME", "Alice", deps=deps))
    confirm_link(signed_in(state, code, deps=deps).token, deps=deps)
    state, code = gitlab.approve(begin_link("U0OTHER", "T0ACME", "Other", deps=deps))
    with pytest.raises(LinkRefused, match="linked to another Slack account"):
        signed_in(state, code, deps=deps)
    assert _linked(deps, "U0OTHER") is None
    assert unlink("U0ALICE", by="U0ALICE", deps_uow=deps.uow, clock=deps.clock)
    assert _linked(deps, "U0ALICE") is None


def test_denied_at_gitlab_and_a_replayed_confirmation_get_clear_pages(
    deps: LinkDeps, gitlab: StandInGitLab
) -> None:
    pages = _Pages(deps)
    state, code = gitlab.approve(begin_link("U0ALICE", "T0ACME", "Alice", deps=deps))
    status, page = pages.get(CALLBACK_PATH, {"state": state, "error": "access_denied"})
    assert status.startswith("400")
    assert "cancelled" in page
    state, code = gitlab.approve(begin_link("U0ALICE", "T0ACME", "Alice", deps=deps))
    _, page = pages.get(CALLBACK_PATH, {"state": state, "code": code})
    token = page.split('name="token" value="')[1].split('"')[0]
    status, page = pages.post(CONFIRM_PATH, {"token": token, "choice": "link"})
    assert status.startswith("200")
    assert "linked" in page
    assert "@alice" in page
    status, page = pages.post(CONFIRM_PATH, {"token": token, "choice": "link"})
    assert status.startswith("400")
    assert "Nothing was linked" in page


def test_names_on_the_pages_are_escaped(deps: LinkDeps, gitlab: StandInGitLab) -> None:
    gitlab.signed_in_as = GitLabUser(5, "eve", '<script>alert("x")</script>')
    state, code = gitlab.approve(
        begin_link("U0EVE", "T0ACME", "<img src=x onerror=alert(1)>", deps=deps)
    )
    _, page = _Pages(deps).get(CALLBACK_PATH, {"state": state, "code": code})
    assert "<script>" not in page
    assert "<img" not in page
    assert "&lt;script&gt;" in page


class _Pages:
    def __init__(self, deps: LinkDeps) -> None:
        self._app = link_pages(deps)

    def get(self, path: str, query: dict[str, str]) -> tuple[str, str]:
        return self._call(
            {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": urlencode(query)}
        )

    def post(self, path: str, form: dict[str, str]) -> tuple[str, str]:
        raw = urlencode(form).encode()
        return self._call(
            {
                "REQUEST_METHOD": "POST",
                "PATH_INFO": path,
                "CONTENT_LENGTH": str(len(raw)),
                "CONTENT_TYPE": "application/x-www-form-urlencoded",
                "wsgi.input": io.BytesIO(raw),
            }
        )

    def _call(self, environ: dict[str, object]) -> tuple[str, str]:
        seen: list[str] = []

        def start(status: str, headers: Iterable[tuple[str, str]]) -> None:
            assert ("X-Frame-Options", "DENY") in list(headers)
            seen.append(status)

        body = b"".join(self._app(environ, start))  # type: ignore[arg-type]
        return seen[0], body.decode()
