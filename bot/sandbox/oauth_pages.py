"""The HTML pages of the sign-in and consent flow, with stable element ids for browser tests.

Sign-in: `#username`, `#password`, `#sign-in` (error: `#sign-in-error`). Consent:
`#consent-title`, `#signed-in-as`, `#scopes`, `#authorize`, `#deny`, `#sign-out`. Errors:
`#oauth-error` (its `data-error` is Doorkeeper's error name). Auto-redirect: `#redirect-link`.
Wording follows GitLab's app/views/doorkeeper/authorizations/*.html.haml.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from html import escape

from bot.sandbox.messages import ApiResponse
from bot.sandbox.models import User
from bot.sandbox.oauth_authorize import PreAuth

HTML = "text/html; charset=utf-8"
_NO_STORE = "no-store"


def page(
    status: int, title: str, body: str, headers: Mapping[str, str] | None = None
) -> ApiResponse:
    text = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)} · GitLab sandbox</title></head>\n"
        f'<body><main role="main">\n{body}\n</main></body></html>\n'
    )
    all_headers = {"Content-Type": HTML, "Cache-Control": _NO_STORE, **(headers or {})}
    return ApiResponse(status, text=text, headers=all_headers)


def _hidden(fields: Mapping[str, str]) -> str:
    return "".join(
        f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">' for k, v in fields.items()
    )


def sign_in_page(*, redirect_to: str, login: str = "", error: str | None = None) -> ApiResponse:
    alert = f'<p id="sign-in-error" role="alert">{escape(error)}</p>\n' if error else ""
    body = (
        "<h1>Sign in to GitLab</h1>\n"
        f"{alert}"
        '<form id="sign-in-form" method="post" action="/users/sign_in">'
        f"{_hidden({'redirect_to': redirect_to})}\n"
        '<p><label for="username">Username or primary email</label>\n'
        f'<input id="username" name="user[login]" type="text" value="{escape(login)}" '
        'autocomplete="username" required autofocus></p>\n'
        '<p><label for="password">Password</label>\n'
        '<input id="password" name="user[password]" type="password" '
        'autocomplete="current-password" required></p>\n'
        '<p><button id="sign-in" type="submit">Sign in</button></p>\n</form>'
    )
    return page(200, "Sign in", body)


def consent_page(pre_auth: PreAuth, user: User, csrf: str) -> ApiResponse:
    name = escape(pre_auth.app.name)
    fields = {**pre_auth.fields(), "authenticity_token": csrf}
    scopes = "".join(f"<li><strong>{escape(s)}</strong></li>" for s in pre_auth.scopes)
    admin = (
        '<p id="admin-warning">You are an admin, which means granting access to '
        f"<strong>{name}</strong> will allow them to interact with GitLab as an admin as well. "
        "Proceed with caution.</p>\n"
        if user.is_admin
        else ""
    )
    body = (
        f'<h1 id="consent-title">Authorize {name} to use your account?</h1>\n'
        f'<p id="signed-in-as">Signed in as <strong>@{escape(user.username)}</strong> '
        f"({escape(user.name)}).</p>\n{admin}"
        f"<p>An application called {name} is requesting access to your GitLab account. "
        "Please note that this application is not provided by GitLab and you should verify "
        "its authenticity before allowing access.</p>\n"
        f'<p>This application will be able to:</p><ul id="scopes">{scopes}</ul>\n'
        '<form id="deny-form" method="post" action="/oauth/authorize">'
        f"{_hidden({**fields, '_method': 'delete'})}"
        '<button id="deny" type="submit">Deny</button></form>\n'
        '<form id="authorize-form" method="post" action="/oauth/authorize">'
        f"{_hidden(fields)}"
        '<button id="authorize" type="submit">Authorize</button></form>\n'
        '<form id="sign-out-form" method="post" action="/users/sign_out">'
        f"{_hidden({'authenticity_token': csrf})}"
        '<button id="sign-out" type="submit">Sign out</button></form>'
    )
    return page(200, "Authorize application", body)


def error_page(status: int, name: str, description: str) -> ApiResponse:
    body = (
        "<h1>An error has occurred</h1>\n"
        f'<p id="oauth-error" data-error="{escape(name)}">{escape(description)}</p>'
    )
    return page(status, "An error has occurred", body)


def redirect_page(uri: str) -> ApiResponse:
    """GitLab's `redirect.html.haml`: shown instead of consent when it is skipped."""
    body = (
        "<h1>Redirecting</h1>\n"
        f'<p><a id="redirect-link" href="{escape(uri)}">Click here to redirect to '
        f"{escape(uri)}</a></p>\n"
        f"<script>window.location = {_js_string(uri)};</script>"
    )
    return page(200, "Redirecting", body)


def _js_string(text: str) -> str:
    """A JavaScript string literal that cannot close the <script> element."""
    return json.dumps(text).replace("<", "\\u003c").replace(">", "\\u003e")


def rejected_page() -> ApiResponse:
    """Rails' 422 page for a form without a valid authenticity token."""
    body = '<h1 id="request-rejected">The change you requested was rejected.</h1>'
    return page(422, "The change you requested was rejected", body)


def redirect(location: str, headers: Mapping[str, str] | None = None) -> ApiResponse:
    return ApiResponse(302, text="", headers={"Location": location, **(headers or {})})
