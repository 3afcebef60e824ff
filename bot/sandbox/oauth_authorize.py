"""Doorkeeper 5.8's pre-authorization checks, redirect URI matching and error redirects.

Order and errors follow `lib/doorkeeper/oauth/pre_authorization.rb`; URI matching follows
`lib/doorkeeper/oauth/helpers/uri_checker.rb` (a registered URI without a query ignores the
request's query; loopback IPs match on any port); error names and descriptions follow
`config/locales/en.yml` and `lib/doorkeeper/oauth/error_response.rb`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from bot.sandbox.oauth_models import OAuthApplication
from bot.sandbox.scopes import PERSONAL_SCOPES
from bot.sandbox.state import SandboxState

# `Gitlab::Auth::DEFAULT_SCOPES`; the others are optional scopes an application may hold.
DEFAULT_SCOPES = ("api",)
OAUTH_SCOPES = PERSONAL_SCOPES | {"openid", "profile", "email"}
CHALLENGE_METHODS = ("plain", "S256")
DESCRIPTIONS = {
    "invalid_request": "The request is missing a required parameter, includes an unsupported "
    "parameter value, or is otherwise malformed.",
    "invalid_redirect_uri": "The requested redirect uri is malformed or doesn't match client "
    "redirect URI.",
    "access_denied": "The resource owner or authorization server denied the request.",
    "invalid_scope": "The requested scope is invalid, unknown, or malformed.",
    "invalid_code_challenge_method": "The code_challenge_method must be one of plain, S256.",
    "unsupported_response_type": "The authorization server does not support this response type.",
    "invalid_client": "Client authentication failed due to unknown client, no client "
    "authentication included, or unsupported authentication method.",
    "invalid_grant": "The provided authorization grant is invalid, expired, revoked, does not "
    "match the redirection URI used in the authorization request, or was issued to another "
    "client.",
    "unsupported_grant_type": "The authorization grant type is not supported by the "
    "authorization server.",
}
_FIELDS = ("client_id", "redirect_uri", "response_type", "scope", "state")


class AuthorizeError(Exception):
    """A refused authorization request; `redirect_uri` is set when the error is redirected."""

    def __init__(
        self, name: str, *, description: str | None = None, redirect_uri: str | None = None
    ) -> None:
        super().__init__(name)
        self.name = name
        self.description = description or DESCRIPTIONS[name]
        self.redirect_uri = redirect_uri

    @property
    def status(self) -> int:
        return 401 if self.name in ("invalid_client", "unauthorized_client") else 400


@dataclass(frozen=True)
class PreAuth:
    """A valid authorization request, as the consent page shows and submits it."""

    app: OAuthApplication
    redirect_uri: str
    response_type: str
    scopes: tuple[str, ...]
    state: str | None
    code_challenge: str | None
    code_challenge_method: str | None

    def fields(self) -> dict[str, str]:
        """The hidden fields of the Authorize and Deny forms (GitLab's `new.html.haml`)."""
        return {
            "client_id": self.app.uid,
            "redirect_uri": self.redirect_uri,
            "state": self.state or "",
            "response_type": self.response_type,
            "scope": " ".join(self.scopes),
            "code_challenge": self.code_challenge or "",
            "code_challenge_method": self.code_challenge_method or "",
        }


def _text(params: Mapping[str, Any], name: str) -> str:
    value = params.get(name)
    return value if isinstance(value, str) else ""


def pre_authorize(state: SandboxState, params: Mapping[str, Any]) -> PreAuth:
    """Validate an authorization request or raise `AuthorizeError`."""
    client_id, redirect_uri, response_type, scope, request_state = (
        _text(params, f) for f in _FIELDS
    )
    if not client_id:
        raise AuthorizeError("invalid_request", description=_missing("client_id"))
    app = state.oauth.application_by_uid(client_id)
    if app is None:
        raise AuthorizeError("invalid_client")
    if not redirect_uri or not any(uri_matches(redirect_uri, r) for r in app.redirect_uris):
        raise AuthorizeError("invalid_redirect_uri")
    back = {"redirect_uri": redirect_uri, "state": request_state}
    if not response_type:
        raise _redirected("invalid_request", back, _missing("response_type"))
    if response_type != "code":
        raise _redirected("unsupported_response_type", back)
    scopes = _scopes(app, scope, back)
    challenge, method = _text(params, "code_challenge"), _text(params, "code_challenge_method")
    if challenge and method not in CHALLENGE_METHODS:
        raise _redirected("invalid_code_challenge_method", back)
    return PreAuth(
        app, redirect_uri, response_type, scopes, request_state or None, challenge or None, method
    )


def _scopes(app: OAuthApplication, scope: str, back: dict[str, str]) -> tuple[str, ...]:
    """`scope` or the default scopes the app allows; each must be one of the app's scopes."""
    if not scope:
        allowed = app.scopes or DEFAULT_SCOPES
        scope = " ".join(s for s in DEFAULT_SCOPES if s in allowed)
    requested = tuple(scope.split(" "))
    valid = set(app.scopes) or set(OAUTH_SCOPES)
    if not scope.strip() or any(c in scope for c in "\n\r\t") or not set(requested) <= valid:
        raise _redirected("invalid_scope", back)
    return tuple(s for s in requested if s)


def _missing(param: str) -> str:
    return f"Missing required parameter: {param}."


def _redirected(name: str, back: dict[str, str], description: str | None = None) -> AuthorizeError:
    description = description or DESCRIPTIONS[name]
    query = {"error": name, "error_description": description, "state": back["state"]}
    return AuthorizeError(
        name, description=description, redirect_uri=with_query(back["redirect_uri"], query)
    )


def with_query(uri: str, extra: Mapping[str, str | None]) -> str:
    """Doorkeeper's `URIBuilder.uri_with_query`: merge into the query, blanks left out."""
    parts = urlsplit(uri)
    merged = dict(parse_qsl(parts.query, keep_blank_values=True))
    merged.update({k: v for k, v in extra.items() if v})
    query = urlencode({k: v for k, v in merged.items() if v})
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def uri_is_valid(uri: str) -> bool:
    """`URIChecker.valid?`: a scheme, a host for http(s), no fragment."""
    parts = urlsplit(uri)
    if not parts.scheme or parts.scheme == "localhost" or parts.fragment:
        return False
    return parts.scheme not in ("http", "https") or bool(parts.hostname)


def uri_matches(requested: str, registered: str) -> bool:
    """`URIChecker.valid_for_authorization?` for one registered URI."""
    if not uri_is_valid(requested):
        return False
    req, reg = urlsplit(requested), urlsplit(registered)
    if reg.query and sorted(reg.query.split("&")) != sorted((req.query or "").split("&")):
        return False
    ports_matter = not (_loopback(req.hostname) and _loopback(reg.hostname))
    return _normal(req, ports_matter) == _normal(reg, ports_matter)


def _normal(parts: Any, with_port: bool) -> tuple[object, ...]:
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    port = (parts.port or default) if with_port else None
    host = (parts.hostname or "").lower()
    return (parts.scheme.lower(), parts.username, parts.password, host, port, parts.path or "/")


def _loopback(host: str | None) -> bool:
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False
