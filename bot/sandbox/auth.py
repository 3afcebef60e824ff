"""Token authentication: header/query extraction, expiry, revocation, reuse detection, scopes."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.sandbox.messages import ApiError, ApiRequest, unauthorized
from bot.sandbox.models import User
from bot.sandbox.state import SandboxState
from bot.sandbox.token_models import AccessToken
from bot.sandbox.token_store import find_by_secret, revoke_family

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
_MAX_LAST_USED_IPS = 5


@dataclass(frozen=True)
class Caller:
    """The authenticated user and the token they used."""

    user: User
    token: AccessToken


def extract_secret(request: ApiRequest) -> str | None:
    """`PRIVATE-TOKEN`, then `Authorization: Bearer`, then the `private_token` parameter."""
    header = request.headers.get("private-token")
    if header:
        return header.strip()
    authorization = request.headers.get("authorization", "")
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    param = request.params.get("private_token")
    return param if isinstance(param, str) and param else None


def allowed_scopes(method: str, extra: tuple[str, ...]) -> list[str]:
    scopes = ["api"]
    if method in _READ_METHODS:
        scopes.append("read_api")
    return [*scopes, *extra]


def authenticate(state: SandboxState, request: ApiRequest, extra_scopes: tuple[str, ...]) -> Caller:
    """Resolve the caller or raise GitLab's 401/403 error; records `last_used_at`."""
    secret = extract_secret(request)
    if secret is None:
        raise unauthorized()
    with state.lock:
        token = find_by_secret(state, secret)
        if token is None:
            raise unauthorized()
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
        token.last_used_at = now
        _remember_ip(token, request.remote_addr)
        return Caller(user, token)


def insufficient_scope_body(scopes: list[str]) -> dict[str, str]:
    return {
        "error": "insufficient_scope",
        "error_description": (
            "The request requires higher privileges than provided by the access token."
        ),
        "scope": " ".join(scopes),
    }


def _remember_ip(token: AccessToken, address: str) -> None:
    if address not in token.last_used_ips:
        token.last_used_ips = [address, *token.last_used_ips][:_MAX_LAST_USED_IPS]
