"""Token authentication: header/query extraction, expiry, revocation, reuse detection, scopes.

PATs come in `PRIVATE-TOKEN`, `private_token=` or `Authorization: Bearer`; OAuth access tokens
in `Authorization: Bearer` or `access_token=` (Doorkeeper's `access_token_methods` in GitLab's
config/initializers/doorkeeper.rb), checked by the same expiry, revocation and scope rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.sandbox.messages import ApiError, ApiRequest, bad_request, unauthorized
from bot.sandbox.models import User
from bot.sandbox.oauth_models import OAuthAccessToken
from bot.sandbox.oauth_store import find_access_token
from bot.sandbox.state import SandboxState
from bot.sandbox.token_models import AccessToken
from bot.sandbox.token_store import find_by_secret, revoke_family
from bot.sandbox.token_usage import record_use

EXPIRED_BODY = {
    "error": "invalid_token",
    "error_description": "Token is expired. You can either do re-authorization or token refresh.",
}
REVOKED_BODY = {
    "error": "invalid_token",
    "error_description": "Token was revoked. You have to re-authorize from the user.",
}
# GitLab's reuse detection runs only for requests to a rotate endpoint.
_ROTATE_PATH = re.compile(r"access_tokens/(\d+|self)/rotate$")
_READ_METHODS = frozenset({"GET", "HEAD"})


@dataclass(frozen=True)
class Caller:
    """The authenticated user and the token they used."""

    user: User
    token: AccessToken | OAuthAccessToken

    @property
    def personal_token(self) -> AccessToken:
        """The PAT-family token; `lib/api/personal_access_tokens/self_information.rb` refuses
        other token types with this 400."""
        if not isinstance(self.token, AccessToken):
            raise bad_request("This endpoint requires token type to be a personal access token")
        return self.token


@dataclass(frozen=True)
class Presented:
    """A secret from the request and whether it may be a PAT and/or an OAuth token."""

    secret: str
    personal: bool
    oauth: bool


def extract_secret(request: ApiRequest) -> Presented | None:
    """`PRIVATE-TOKEN`, `Authorization: Bearer`, then `private_token` / `access_token`."""
    header = request.headers.get("private-token")
    if header:
        return Presented(header.strip(), personal=True, oauth=False)
    authorization = request.headers.get("authorization", "")
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return Presented(value.strip(), personal=True, oauth=True)
    for name, personal in (("private_token", True), ("access_token", False)):
        param = request.params.get(name)
        if isinstance(param, str) and param:
            return Presented(param, personal=personal, oauth=not personal)
    return None


def allowed_scopes(method: str, extra: tuple[str, ...]) -> list[str]:
    scopes = ["api"]
    if method in _READ_METHODS:
        scopes.append("read_api")
    return [*scopes, *extra]


def authenticate(state: SandboxState, request: ApiRequest, extra_scopes: tuple[str, ...]) -> Caller:
    """Resolve the caller or raise GitLab's 401/403 error; records the use (throttled)."""
    presented = extract_secret(request)
    if presented is None:
        raise unauthorized()
    with state.lock:
        token = find_by_secret(state, presented.secret) if presented.personal else None
        if token is None:
            oauth = find_access_token(state, presented.secret) if presented.oauth else None
            if oauth is None:
                raise unauthorized()
            return _oauth_caller(state, request, oauth, extra_scopes)
        now = state.now()
        if token.is_expired(now):
            raise ApiError(401, EXPIRED_BODY)
        if token.revoked:
            if _ROTATE_PATH.search(request.path):
                revoke_family(state, token)
            raise ApiError(401, REVOKED_BODY)
        user = state.users[token.user_id]
        if user.state != "active":
            raise unauthorized()
        scopes = allowed_scopes(request.method, extra_scopes)
        if not set(scopes) & set(token.scopes):
            raise ApiError(403, insufficient_scope_body(scopes))
        record_use(token, now, request.remote_addr)
        return Caller(user, token)


def _oauth_caller(
    state: SandboxState, request: ApiRequest, token: OAuthAccessToken, extra: tuple[str, ...]
) -> Caller:
    """`AccessTokenValidationService`: expired, then revoked, then scopes, as for PATs."""
    now = state.now()
    if token.is_expired(now):
        raise ApiError(401, EXPIRED_BODY)
    if token.revoked:
        raise ApiError(401, REVOKED_BODY)
    user = state.users.get(token.user_id)
    if user is None or user.state != "active":
        raise unauthorized()
    scopes = allowed_scopes(request.method, extra)
    if not set(scopes) & set(token.scopes):
        raise ApiError(403, insufficient_scope_body(scopes))
    # No use is recorded: LastUsedService skips tokens without a `last_used_at` column, and
    # Doorkeeper's oauth_access_tokens has none.
    return Caller(user, token)


def insufficient_scope_body(scopes: list[str]) -> dict[str, str]:
    return {
        "error": "insufficient_scope",
        "error_description": (
            "The request requires higher privileges than provided by the access token."
        ),
        "scope": " ".join(scopes),
    }
