"""The simulator's non-API paths: GitLab's OAuth provider and its sign-in pages."""

from __future__ import annotations

from collections.abc import Callable

from bot.sandbox import oauth_token_endpoint, oauth_web
from bot.sandbox.messages import ApiRequest, ApiResponse, route_not_found
from bot.sandbox.state import SandboxState

WebHandler = Callable[[SandboxState, ApiRequest], ApiResponse]

_ROUTES: dict[tuple[str, str], WebHandler] = {
    ("GET", "/oauth/authorize"): oauth_web.show_authorize,
    ("POST", "/oauth/authorize"): oauth_web.submit_authorize,
    ("DELETE", "/oauth/authorize"): oauth_web.submit_authorize,
    ("POST", "/oauth/token"): oauth_token_endpoint.exchange_code,
    ("POST", "/oauth/revoke"): oauth_token_endpoint.revoke,
    ("GET", "/users/sign_in"): oauth_web.show_sign_in,
    ("POST", "/users/sign_in"): oauth_web.sign_in,
    ("POST", "/users/sign_out"): oauth_web.sign_out,
    ("DELETE", "/users/sign_out"): oauth_web.sign_out,
}


def is_web_path(path: str) -> bool:
    return path.startswith("/oauth/") or path.startswith("/users/sign_")


def respond_web(state: SandboxState, request: ApiRequest) -> ApiResponse:
    method = "GET" if request.method == "HEAD" else request.method
    handler = _ROUTES.get((method, request.path.rstrip("/") or "/"))
    if handler is None:
        raise route_not_found()
    return handler(state, request)
