"""`POST /oauth/token` (authorization code + PKCE) and `POST /oauth/revoke`, as Doorkeeper 5.8.

Sources: Doorkeeper v5.8.2 `lib/doorkeeper/request/authorization_code.rb`,
`lib/doorkeeper/oauth/authorization_code_request.rb` (validation order: params, client, grant,
redirect_uri, code_verifier), `lib/doorkeeper/oauth/token_response.rb`,
`app/controllers/doorkeeper/tokens_controller.rb` (revoke), and GitLab's
`app/controllers/oauth/tokens_controller.rb`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

from bot.sandbox.messages import ApiRequest, ApiResponse
from bot.sandbox.oauth_authorize import DESCRIPTIONS, uri_matches
from bot.sandbox.oauth_models import OAuthApplication, OAuthGrant
from bot.sandbox.oauth_store import (
    authenticate_client,
    find_by_access_or_refresh,
    find_grant,
    issue_access_token,
)
from bot.sandbox.state import SandboxState

_NO_CACHE = {"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"}
_REVOKE_REFUSED = {
    "error": "unauthorized_client",
    "error_description": "You are not authorized to revoke this token",
}


class TokenError(Exception):
    def __init__(self, name: str, description: str | None = None) -> None:
        super().__init__(name)
        self.name = name
        self.description = description or DESCRIPTIONS[name]

    def response(self) -> ApiResponse:
        status = 401 if self.name == "invalid_client" else 400
        auth = f'Bearer realm="Doorkeeper", error="{self.name}"'
        headers = {**_NO_CACHE, "WWW-Authenticate": auth}
        return ApiResponse(
            status, {"error": self.name, "error_description": self.description}, headers
        )


def _text(request: ApiRequest, name: str) -> str:
    value = request.params.get(name)
    return value if isinstance(value, str) else ""


def client_credentials(request: ApiRequest) -> tuple[str, str]:
    """HTTP Basic first, then `client_id`/`client_secret` (`:from_basic, :from_params`)."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic" and value:
        try:
            uid, _, secret = base64.b64decode(value.strip()).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            uid, secret = "", ""
        if uid:
            return uid, secret
    return _text(request, "client_id"), _text(request, "client_secret")


def exchange_code(state: SandboxState, request: ApiRequest) -> ApiResponse:
    try:
        with state.lock:
            return _exchange(state, request)
    except TokenError as error:
        return error.response()


def _exchange(state: SandboxState, request: ApiRequest) -> ApiResponse:
    grant_type = _text(request, "grant_type")
    if not grant_type:
        raise TokenError("invalid_request", "Missing required parameter: grant_type.")
    if grant_type != "authorization_code":
        raise TokenError("unsupported_grant_type")
    code = _text(request, "code")
    if not code:
        raise TokenError("invalid_request", "Missing required parameter: code.")
    grant = find_grant(state, code)
    client = authenticate_client(state, *client_credentials(request))
    redirect_uri, verifier = _text(request, "redirect_uri"), _text(request, "code_verifier")
    grant = _check_grant(state, grant, client, redirect_uri, verifier)
    grant.revoked_at = state.now()
    token, access, refresh = issue_access_token(
        state, application_id=grant.application_id, user_id=grant.user_id, scopes=grant.scopes
    )
    body = {
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": token.expires_in,
        "refresh_token": refresh,
        "scope": " ".join(token.scopes),
        "created_at": int(token.created_at.timestamp()),
    }
    return ApiResponse(200, body, dict(_NO_CACHE))


def _check_grant(
    state: SandboxState,
    grant: OAuthGrant | None,
    client: OAuthApplication | None,
    redirect_uri: str,
    verifier: str,
) -> OAuthGrant:
    if grant is not None and grant.code_challenge and not verifier:
        raise TokenError("invalid_request", "Missing required parameter: code_verifier.")
    if not redirect_uri:
        raise TokenError("invalid_request", "Missing required parameter: redirect_uri.")
    if client is None:
        raise TokenError("invalid_client")
    # A used code is no longer `accessible?`: the second exchange is `invalid_grant`. Doorkeeper
    # 5.8 does not revoke the token the first exchange issued (6.0.0.beta2 #1865 does).
    if grant is None or grant.application_id != client.id or not grant.is_accessible(state.now()):
        raise TokenError("invalid_grant")
    if not uri_matches(redirect_uri, grant.redirect_uri) or not _verifier_ok(grant, verifier):
        raise TokenError("invalid_grant")
    return grant


def _verifier_ok(grant: OAuthGrant, verifier: str) -> bool:
    """RFC 7636: S256 is BASE64URL(SHA256(verifier)) without padding; plain is the verifier."""
    if not verifier:
        return not grant.code_challenge
    challenge = grant.code_challenge or ""
    if grant.code_challenge_method == "S256":
        digest = hashlib.sha256(verifier.encode()).digest()
        expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        return hmac.compare_digest(expected, challenge)
    if grant.code_challenge_method == "plain":
        return hmac.compare_digest(verifier, challenge)
    return False


def revoke(state: SandboxState, request: ApiRequest) -> ApiResponse:
    """200 `{}` for an unknown or revoked token; a confidential app's token needs that app."""
    with state.lock:
        client = authenticate_client(state, *client_credentials(request))
        if client is None and not state.settings.ropc_without_client_credentials:
            return ApiResponse(403, dict(_REVOKE_REFUSED))
        token = find_by_access_or_refresh(state, _text(request, "token"))
        if token is None:
            return ApiResponse(200, {})
        app = state.oauth.applications.get(token.application_id)
        if app is not None and app.confidential and (client is None or client.id != app.id):
            return ApiResponse(403, dict(_REVOKE_REFUSED))
        if token.revoked_at is None:
            token.revoked_at = state.now()
        return ApiResponse(200, {})
