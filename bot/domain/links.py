"""Linking a chat user to the GitLab user who signed in: the link and its one-time state.

GitLab's OAuth sign-in (authorization code with PKCE) proves who someone is in GitLab
without an administrator's token. tokenbot keeps only the outcome, the chat user → GitLab
user link; the OAuth token is revoked at once and stored nowhere.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

# Where GitLab sends people back after sign-in, under TOKENBOT_PUBLIC_URL.
OAUTH_CALLBACK_PATH = "/gitlab/oauth/callback"
STATE_TTL = timedelta(minutes=10)
LIVE_STATES_PER_PERSON = 5  # more clicks on "Link" replace the oldest


@dataclass(frozen=True, slots=True)
class AccountLink:
    chat_id: str  # the Slack user id
    team_id: str  # the Slack workspace the link was made in
    gitlab_user_id: int
    gitlab_username: str
    linked_at: datetime


@dataclass(frozen=True, slots=True)
class LinkState:
    """A sign-in under way: who started it, until when it may be finished.

    Two steps, each with a one-time secret of its own whose digest alone is stored: the OAuth
    `state` (to GitLab and back), then, once GitLab said who signed in, the confirmation the
    callback page asks for (`gitlab_*` set). The page names both accounts, so someone who
    was sent another person's sign-in link sees whose Slack account it would link, and can
    refuse.
    """

    digest: str
    chat_id: str
    team_id: str
    created_at: datetime
    expires_at: datetime
    chat_name: str = ""  # the Slack user's name, to show on the confirmation page
    gitlab_user_id: int | None = None
    gitlab_username: str | None = None

    @property
    def signed_in(self) -> bool:
        return self.gitlab_user_id is not None


def state_digest(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def pkce_verifier(key: bytes, state: str) -> str:
    """The PKCE code verifier of a sign-in, derived from tokenbot's key and its state, so it
    is stored nowhere (43 characters of the URL-safe alphabet, as RFC 7636 asks)."""
    mac = hmac.new(key, b"pkce:" + state.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def pkce_challenge(verifier: str) -> str:
    """S256: BASE64URL(SHA256(verifier)) without padding (RFC 7636 section 4.2)."""
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
