"""The browser side of GitLab's OAuth provider: sign-in, consent, Authorize / Deny.

Not signed in, `GET /oauth/authorize` sends the browser to `/users/sign_in` first (Doorkeeper's
`authenticate_resource_owner!` runs before the request is checked, as GitLab's
`resource_owner_authenticator` in config/initializers/doorkeeper.rb). Signed in, the request is
checked (`oauth_authorize.pre_authorize`); errors about the client or its redirect URI are an
error page, the others go back to the client. A confidential app that already holds an active
token with these scopes for this user, or a trusted app, skips consent (GitLab's
app/controllers/oauth/authorizations_controller.rb `#new`).
"""

from __future__ import annotations

import hmac
from html import escape
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlencode

from bot.sandbox.messages import ApiRequest, ApiResponse
from bot.sandbox.models import User, UserType
from bot.sandbox.oauth_authorize import (
    DESCRIPTIONS,
    AuthorizeError,
    PreAuth,
    pre_authorize,
    with_query,
)
from bot.sandbox.oauth_models import WebSession
from bot.sandbox.oauth_pages import (
    consent_page,
    error_page,
    page,
    redirect,
    redirect_page,
    rejected_page,
    sign_in_page,
)
from bot.sandbox.oauth_store import (
    end_session,
    find_session,
    issue_grant,
    matching_token,
    start_session,
)
from bot.sandbox.passwords import password_matches
from bot.sandbox.state import SandboxState

SESSION_COOKIE = "_gitlab_session"
SIGN_IN_PATH = "/users/sign_in"
_AUTHORIZE_PATH = "/oauth/authorize"
# Devise's `failure.invalid` with GitLab's `login` authentication key.
INVALID_LOGIN = "Invalid login or password."


def session_cookie(request: ApiRequest) -> str | None:
    cookies: SimpleCookie = SimpleCookie()
    try:
        cookies.load(request.headers.get("cookie", ""))
    except Exception:  # a malformed Cookie header is as good as none
        return None
    morsel = cookies.get(SESSION_COOKIE)
    return morsel.value if morsel is not None else None


def _cookie_header(value: str, *, clear: bool = False) -> dict[str, str]:
    expiry = "; Max-Age=0" if clear else ""
    return {"Set-Cookie": f"{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax{expiry}"}


def _safe_return(target: str) -> str | None:
    """Only back to the authorization endpoint: the sign-in form is no open redirect."""
    return target if target.startswith(f"{_AUTHORIZE_PATH}?") else None


def _field(params: Any, name: str) -> str:
    value = params.get(name)
    return value if isinstance(value, str) else ""


def show_authorize(state: SandboxState, request: ApiRequest) -> ApiResponse:
    with state.lock:
        session = find_session(state, session_cookie(request))
        if session is None:
            target = f"{_AUTHORIZE_PATH}?{request.query_string}"
            return redirect(f"{SIGN_IN_PATH}?{urlencode({'redirect_to': target})}")
        try:
            pre = pre_authorize(state, request.params)
        except AuthorizeError as error:
            return _refused_page(error)
        user = state.users[session.user_id]
        if _skips_consent(state, pre, user):
            return redirect_page(_approve(state, pre, user))
        return consent_page(pre, user, session.csrf_token)


def submit_authorize(state: SandboxState, request: ApiRequest) -> ApiResponse:
    """POST: Authorize; POST with `_method=delete` (Rails' form for DELETE) or DELETE: Deny."""
    with state.lock:
        session = find_session(state, session_cookie(request))
        if session is None:
            return redirect(SIGN_IN_PATH)
        if not _csrf_ok(session, request):
            return rejected_page()
        deny = request.method == "DELETE" or _field(request.params, "_method") == "delete"
        try:
            pre = pre_authorize(state, request.params)
        except AuthorizeError as error:
            return _refused_json(error)
        if deny:
            query = {"error": "access_denied", "error_description": DESCRIPTIONS["access_denied"]}
            return redirect(with_query(pre.redirect_uri, {**query, "state": pre.state}))
        return redirect(_approve(state, pre, state.users[session.user_id]))


def _skips_consent(state: SandboxState, pre: PreAuth, user: User) -> bool:
    if pre.app.trusted:
        return True
    return pre.app.confidential and matching_token(state, pre.app, user, pre.scopes) is not None


def _approve(state: SandboxState, pre: PreAuth, user: User) -> str:
    code = issue_grant(
        state,
        pre.app,
        user,
        redirect_uri=pre.redirect_uri,
        scopes=pre.scopes,
        code_challenge=pre.code_challenge,
        code_challenge_method=pre.code_challenge_method,
    )
    return with_query(pre.redirect_uri, {"code": code, "state": pre.state})


def _refused_page(error: AuthorizeError) -> ApiResponse:
    if error.redirect_uri is not None:
        return redirect(error.redirect_uri)
    return error_page(error.status, error.name, error.description)


def _refused_json(error: AuthorizeError) -> ApiResponse:
    """Doorkeeper's `redirect_or_render` answers JSON when the error cannot be redirected."""
    if error.redirect_uri is not None:
        return redirect(error.redirect_uri)
    return ApiResponse(error.status, {"error": error.name, "error_description": error.description})


def _csrf_ok(session: WebSession, request: ApiRequest) -> bool:
    sent = _field(request.params, "authenticity_token")
    return bool(sent) and hmac.compare_digest(sent, session.csrf_token)


def show_sign_in(state: SandboxState, request: ApiRequest) -> ApiResponse:
    return sign_in_page(redirect_to=_field(request.params, "redirect_to"))


def sign_in(state: SandboxState, request: ApiRequest) -> ApiResponse:
    form = request.params.get("user")
    fields = form if isinstance(form, dict) else {}
    login, password = _field(fields, "login"), _field(fields, "password")
    back = _field(request.params, "redirect_to")
    with state.lock:
        user = _find_login(state, login)
        if user is None or not password_matches(password, user.password_hash):
            return sign_in_page(redirect_to=back, login=login, error=INVALID_LOGIN)
        cookie = start_session(state, user)
    target = _safe_return(back)
    if target is None:
        body = f'<p id="signed-in-as">Signed in as @{escape(user.username)}.</p>'
        return page(200, "Signed in", body, _cookie_header(cookie))
    return redirect(target, _cookie_header(cookie))


def _find_login(state: SandboxState, login: str) -> User | None:
    """Username or primary e-mail; only active people (service accounts and bots cannot sign in)."""
    wanted = login.strip().lower()
    user = state.user_by_username(wanted) or next(
        (u for u in state.users.values() if u.email.lower() == wanted), None
    )
    if user is None or user.user_type is not UserType.HUMAN or user.state != "active":
        return None
    return user


def sign_out(state: SandboxState, request: ApiRequest) -> ApiResponse:
    cookie = session_cookie(request)
    session = find_session(state, cookie)
    if session is not None and not _csrf_ok(session, request):
        return rejected_page()
    end_session(state, cookie)
    return redirect(SIGN_IN_PATH, _cookie_header("", clear=True))
