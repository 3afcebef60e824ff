"""The web pages of GitLab sign-in: GitLab's redirect back, the confirmation, the outcome.

`GET /gitlab/oauth/callback?code=…&state=…` finishes GitLab's side and asks "Link these
accounts?"; `POST /gitlab/oauth/confirm` links (or cancels). Every value shown is escaped;
the pages load nothing from elsewhere, cannot be framed, are not cached, and send no referrer
(the callback URL holds the code and state).
"""

from __future__ import annotations

import html
import logging
from collections.abc import Iterable
from urllib.parse import parse_qs
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from bot.domain.links import OAUTH_CALLBACK_PATH
from bot.services.gitlab_errors import GitLabError
from bot.services.linking import (
    Confirmation,
    LinkDeps,
    LinkRefused,
    confirm_link,
    decline_link,
    signed_in,
)

log = logging.getLogger(__name__)
CALLBACK_PATH = OAUTH_CALLBACK_PATH
CONFIRM_PATH = "/gitlab/oauth/confirm"
MAX_FORM_BYTES = 4096
_SHOWN = 200  # characters of a name on a page

_HEADERS = [
    ("Content-Type", "text/html; charset=utf-8"),
    ("Cache-Control", "no-store"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Frame-Options", "DENY"),
    ("X-Content-Type-Options", "nosniff"),
    (
        "Content-Security-Policy",
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none';"
        " frame-ancestors 'none'",
    ),
]
_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;"
    "line-height:1.5;color:#1d1c1d}button{font-size:1rem;padding:.5rem 1rem;margin-right:.5rem}"
    "dt{font-weight:600}dd{margin:0 0 .75rem 0}"
)


def link_pages(deps: LinkDeps) -> WSGIApplication:
    """The WSGI app for CALLBACK_PATH and CONFIRM_PATH."""

    def application(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "GET")
        if path == CALLBACK_PATH and method in {"GET", "HEAD"}:
            status, body = _callback(_query(environ), deps)
        elif path == CONFIRM_PATH and method == "POST":
            status, body = _confirm(_form(environ), deps)
        else:
            status, body = "405 Method Not Allowed", _page("Not here", "<p>Nothing to see.</p>")
        payload = body.encode()
        start_response(status, [*_HEADERS, ("Content-Length", str(len(payload)))])
        return [] if method == "HEAD" else [payload]

    return application


def _callback(query: dict[str, str], deps: LinkDeps) -> tuple[str, str]:
    state, code = query.get("state", ""), query.get("code", "")
    try:
        if query.get("error") or not code:
            # Denied at GitLab's consent step (error=access_denied), or no code at all: the
            # state is spent all the same.
            raise LinkRefused(
                "GitLab sign-in was cancelled, so nothing was linked. Ask tokenbot for a new"
                " link in Slack (/token link) when you want to try again."
            )
        asked = signed_in(state, code, deps=deps)
    except LinkRefused as exc:
        return "400 Bad Request", _refused(str(exc))
    except GitLabError as exc:
        log.warning("a GitLab sign-in could not be finished: %s", exc)
        return "502 Bad Gateway", _refused(f"GitLab could not be asked: {exc}. Try again.")
    return "200 OK", _ask(asked)


def _confirm(form: dict[str, str], deps: LinkDeps) -> tuple[str, str]:
    token, choice = form.get("token", ""), form.get("choice", "")
    try:
        if choice != "link":
            decline_link(token, deps=deps)
            return "200 OK", _page(
                "Nothing was linked",
                "<h1>Nothing was linked</h1><p>You can close this page.</p>",
            )
        link = confirm_link(token, deps=deps)
    except LinkRefused as exc:
        return "400 Bad Request", _refused(str(exc))
    gitlab = html.escape(link.gitlab_username[:_SHOWN])
    body = (
        "<h1>Your GitLab account is linked</h1>"
        f"<p>Slack user <strong>{html.escape(link.chat_id)}</strong> is now linked to GitLab"
        f" user <strong>@{gitlab}</strong>. tokenbot knows you as that GitLab user from now"
        " on; <code>/token unlink</code> in Slack undoes it.</p>"
        f'<p><a href="https://app.slack.com/client/{html.escape(link.team_id, quote=True)}">'
        "Back to Slack</a></p>"
    )
    return "200 OK", _page("Your GitLab account is linked", body)


def _ask(asked: Confirmation) -> str:
    slack = html.escape((asked.chat_name or asked.chat_id)[:_SHOWN])
    gitlab = html.escape(asked.gitlab_username[:_SHOWN])
    name = html.escape(asked.gitlab_name[:_SHOWN])
    body = (
        "<h1>Link these accounts?</h1>"
        "<dl>"
        f"<dt>Slack account</dt><dd>{slack} ({html.escape(asked.chat_id)})</dd>"
        f"<dt>GitLab account</dt><dd>@{gitlab} ({name})</dd>"
        "</dl>"
        "<p>tokenbot will treat this Slack account as this GitLab user when it checks roles"
        " for token requests and approvals. If this is not your own Slack account, choose"
        " Cancel: someone may have sent you their sign-in link.</p>"
        f'<form method="post" action="{CONFIRM_PATH}">'
        f'<input type="hidden" name="token" value="{html.escape(asked.token, quote=True)}">'
        '<button type="submit" name="choice" value="link" id="link">Link these accounts'
        "</button>"
        '<button type="submit" name="choice" value="cancel" id="cancel">Cancel</button>'
        "</form>"
    )
    return _page("Link these accounts?", body)


def _refused(reason: str) -> str:
    body = f"<h1>Nothing was linked</h1><p>{html.escape(reason[:600])}</p>"
    return _page("Nothing was linked", body)


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)} · tokenbot</title><style>{_STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>"
    )


def _query(environ: WSGIEnvironment) -> dict[str, str]:
    return _first(parse_qs(str(environ.get("QUERY_STRING", ""))[:MAX_FORM_BYTES]))


def _form(environ: WSGIEnvironment) -> dict[str, str]:
    try:
        length = min(int(environ.get("CONTENT_LENGTH") or 0), MAX_FORM_BYTES)
    except ValueError:
        length = 0
    raw = environ["wsgi.input"].read(length) if length > 0 else b""
    return _first(parse_qs(raw.decode("utf-8", errors="replace")))


def _first(values: dict[str, list[str]]) -> dict[str, str]:
    return {key: found[0] for key, found in values.items() if found}
