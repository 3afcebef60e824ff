"""Use cases of GitLab sign-in: start it, take GitLab's answer, confirm it, unlink.

1. `begin_link` stores a one-time state for the Slack user and returns GitLab's authorize URL
   (authorization code with PKCE S256; the verifier is derived from TOKENBOT_SECRET_KEY and
   the state, so it is stored nowhere).
2. `signed_in` takes the state back (single use, 10 minutes), exchanges the code, asks GitLab
   who signed in with the token, revokes the token at once, and returns a confirmation for the
   callback page to ask about.
3. `confirm_link` stores Slack user → GitLab user and audits it.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Protocol

from bot.domain.audit import AuditAction, AuditEvent
from bot.domain.credentials import GitLabUser, Secret
from bot.domain.links import (
    LIVE_STATES_PER_PERSON,
    STATE_TTL,
    AccountLink,
    LinkState,
    pkce_challenge,
    pkce_verifier,
    state_digest,
)
from bot.services.gitlab_errors import GitLabError
from bot.services.ports import Clock, UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)


class GitLabSignIn(Protocol):
    """GitLab's OAuth endpoints, for tokenbot's OAuth application."""

    def authorize_url(self, *, state: str, challenge: str) -> str: ...

    def exchange(self, code: str, verifier: str) -> Secret:
        """The access token for an authorization code (GitLabError if GitLab refuses it)."""

    def signed_in_user(self, access_token: Secret) -> GitLabUser:
        """`GET /api/v4/user` with the access token: who signed in."""

    def revoke(self, access_token: Secret) -> None: ...


class LinkRefused(Exception):
    """A sign-in that cannot be finished; the message is for the person, on the page."""


@dataclass(frozen=True, slots=True)
class LinkDeps:
    uow: UnitOfWorkFactory
    sign_in: GitLabSignIn
    clock: Clock
    key: bytes  # TOKENBOT_SECRET_KEY: derives each sign-in's PKCE verifier


@dataclass(frozen=True, slots=True)
class Confirmation:
    """GitLab said who signed in; the page asks before anything is linked."""

    token: str  # one-time, for the page's Link button
    chat_id: str
    chat_name: str
    team_id: str
    gitlab_username: str
    gitlab_name: str


REPLAYED = (
    "This sign-in link was used already, or it is not one tokenbot made. Nothing was linked:"
    " ask tokenbot for a new link in Slack (/token link)."
)
EXPIRED = (
    "This sign-in link expired (they last 10 minutes). Nothing was linked: ask tokenbot for a"
    " new link in Slack (/token link)."
)


def begin_link(chat_id: str, team_id: str, chat_name: str, *, deps: LinkDeps) -> str:
    """A GitLab sign-in URL for this Slack user, valid once for 10 minutes."""
    state = secrets.token_urlsafe(32)
    now = deps.clock()
    pending = LinkState(state_digest(state), chat_id, team_id, now, now + STATE_TTL, chat_name)
    with deps.uow() as uow:
        uow.links.add_state(pending, keep=LIVE_STATES_PER_PERSON)
        uow.commit()
    challenge = pkce_challenge(pkce_verifier(deps.key, state))
    return deps.sign_in.authorize_url(state=state, challenge=challenge)


def signed_in(state: str, code: str, *, deps: LinkDeps) -> Confirmation:
    """Finish GitLab's side of the sign-in; LinkRefused says why not. The state is spent
    whatever happens, and the OAuth token is revoked before this returns."""
    pending = _take(state, deps, signed_in=False)
    try:
        token = deps.sign_in.exchange(code, pkce_verifier(deps.key, state))
    except GitLabError as exc:
        raise _refused(deps, pending, f"GitLab did not accept this sign-in: {exc}") from None
    try:
        user = deps.sign_in.signed_in_user(token)
    except GitLabError as exc:
        raise _refused(deps, pending, f"GitLab did not say who signed in: {exc}") from None
    finally:
        _revoke(deps, token)
    _not_someone_elses(user, pending, deps)
    confirm = secrets.token_urlsafe(32)
    now = deps.clock()
    asking = replace(
        pending,
        digest=state_digest(confirm),
        created_at=now,
        expires_at=now + STATE_TTL,
        gitlab_user_id=user.id,
        gitlab_username=user.username,
    )
    with deps.uow() as uow:
        uow.links.add_state(asking, keep=LIVE_STATES_PER_PERSON)
        uow.commit()
    return Confirmation(
        confirm, pending.chat_id, pending.chat_name, pending.team_id, user.username, user.name
    )


def confirm_link(token: str, *, deps: LinkDeps) -> AccountLink:
    """Link the Slack user to the GitLab user the page showed; once."""
    asking = _take(token, deps, signed_in=True)
    assert asking.gitlab_user_id is not None  # noqa: S101 - _take checked it
    link = AccountLink(
        asking.chat_id,
        asking.team_id,
        asking.gitlab_user_id,
        asking.gitlab_username or "",
        deps.clock(),
    )
    with deps.uow() as uow:
        uow.links.put(link)
        _audit(
            uow,
            link.chat_id,
            AuditAction.LINKED,
            deps,
            actor=link.chat_id,
            gitlab_user_id=str(link.gitlab_user_id),
            gitlab_username=link.gitlab_username,
            team_id=link.team_id,
        )
        uow.commit()
    return link


def decline_link(token: str, *, deps: LinkDeps) -> None:
    """The person on the page said no: the confirmation is spent, nothing is linked."""
    asking = _take(token, deps, signed_in=True)
    with deps.uow() as uow:
        _audit(uow, asking.chat_id, AuditAction.LINK_REFUSED, deps, reason="declined on the page")
        uow.commit()


def unlink(chat_id: str, *, by: str, deps_uow: UnitOfWorkFactory, clock: Clock) -> bool:
    """Remove a person's link (themselves, or an admin); False if there was none."""
    with deps_uow() as uow:
        gone = uow.links.delete(chat_id)
        if gone:
            uow.audit.append(AuditEvent(clock(), AuditAction.UNLINKED, person_key(chat_id), by, {}))
        uow.commit()
    return gone


def offered_recently(chat_id: str, *, deps: LinkDeps, within: timedelta) -> bool:
    """Was this person handed a sign-in link a moment ago? (Then do not send another.)"""
    with deps.uow() as uow:
        newest = uow.links.newest_state_at(chat_id)
    return newest is not None and deps.clock() - newest < within


def linked_gitlab_user(chat_id: str, *, uow: UnitOfWorkFactory) -> int | None:
    with uow() as unit:
        link = unit.links.get(chat_id)
    return None if link is None else link.gitlab_user_id


def linked_accounts(*, uow: UnitOfWorkFactory) -> list[AccountLink]:
    """Every link, for the operator's `tokenbot users list`."""
    with uow() as unit:
        return unit.links.all()


def discard_expired_states(*, deps_uow: UnitOfWorkFactory, clock: Clock) -> int:
    with deps_uow() as uow:
        gone = uow.links.discard_expired_states(clock())
        uow.commit()
    return gone


def person_key(chat_id: str) -> str:
    """The audit log's subject for events about a person rather than a request."""
    return f"person:{chat_id}"


def _take(secret: str, deps: LinkDeps, *, signed_in: bool) -> LinkState:
    with deps.uow() as uow:
        found = uow.links.take_state(state_digest(secret)) if secret else None
        uow.commit()  # spent, whatever comes next
    if found is None or found.signed_in is not signed_in:
        raise LinkRefused(REPLAYED)
    if deps.clock() >= found.expires_at:
        raise _refused(deps, found, EXPIRED)
    return found


def _not_someone_elses(user: GitLabUser, pending: LinkState, deps: LinkDeps) -> None:
    """One GitLab user, one Slack user: a second Slack account cannot take over a link."""
    with deps.uow() as uow:
        taken = [
            link
            for link in uow.links.all()
            if link.gitlab_user_id == user.id and link.chat_id != pending.chat_id
        ]
    if taken:
        raise _refused(
            deps,
            pending,
            f"GitLab user @{user.username} is linked to another Slack account already. Nothing"
            " was linked: unlink it there first (/token unlink), or ask a tokenbot admin.",
        )


def _refused(deps: LinkDeps, pending: LinkState, reason: str) -> LinkRefused:
    with deps.uow() as uow:
        _audit(uow, pending.chat_id, AuditAction.LINK_REFUSED, deps, reason=reason[:300])
        uow.commit()
    return LinkRefused(reason)


def _revoke(deps: LinkDeps, token: Secret) -> None:
    try:
        deps.sign_in.revoke(token)
    except GitLabError as exc:
        # It lapses by itself (GitLab's OAuth tokens last two hours); nothing keeps it.
        log.warning("revoking a sign-in's OAuth token failed: %s", exc)


def _audit(
    uow: UnitOfWork,
    chat_id: str,
    action: AuditAction,
    deps: LinkDeps,
    *,
    actor: str = "tokenbot",
    **details: str,
) -> None:
    event = AuditEvent(deps.clock(), action, person_key(chat_id), actor, details)
    uow.audit.append(event)
