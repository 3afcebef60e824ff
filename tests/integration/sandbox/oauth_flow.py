"""Drives the simulator's OAuth pages like a browser would: requests with cookies, no JS."""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

CALLBACK = "https://tokenbot.test/gitlab/oauth/callback"
VERIFIER = "v" * 43 + "-verifier-for-tests"


def challenge(verifier: str = VERIFIER) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class _Forms(HTMLParser):
    """Collects each form's hidden fields by form id, and every element id seen."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: dict[str, dict[str, str]] = {}
        self.ids: set[str] = set()
        self.labels: dict[str, str] = {}
        self._form: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if "id" in found:
            self.ids.add(found["id"])
        if tag == "form":
            self._form = found.get("id", "")
            self.forms[self._form] = {}
        elif tag == "input" and self._form is not None and found.get("type") == "hidden":
            self.forms[self._form][found["name"]] = found.get("value", "")
        elif tag == "label":
            self.labels[found.get("for", "")] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None


def parse_page(html: str) -> _Forms:
    parser = _Forms()
    parser.feed(html)
    return parser


@dataclass
class Browser:
    """One person's browser against the simulator at `base`."""

    base: str
    session: requests.Session

    @classmethod
    def open(cls, base: str) -> Browser:
        return cls(base, requests.Session())

    def get(self, path: str) -> requests.Response:
        return self.session.get(f"{self.base}{path}", allow_redirects=False, timeout=10)

    def post(self, path: str, data: dict[str, str]) -> requests.Response:
        return self.session.post(f"{self.base}{path}", data=data, allow_redirects=False, timeout=10)

    def sign_in(self, username: str, password: str, redirect_to: str = "") -> requests.Response:
        form = {"user[login]": username, "user[password]": password, "redirect_to": redirect_to}
        return self.post("/users/sign_in", form)

    def consent(self, authorize_query: dict[str, str]) -> requests.Response:
        """GET /oauth/authorize while signed in: the consent page (or a redirect)."""
        return self.get(f"/oauth/authorize?{urlencode(authorize_query)}")

    def decide(self, consent_page: requests.Response, *, allow: bool) -> requests.Response:
        forms = parse_page(consent_page.text).forms
        return self.post("/oauth/authorize", forms["authorize-form" if allow else "deny-form"])


def authorize_query(client_id: str, *, scope: str = "read_user", **extra: str) -> dict[str, str]:
    query = {
        "client_id": client_id,
        "redirect_uri": CALLBACK,
        "response_type": "code",
        "state": "st-123",
        "scope": scope,
        "code_challenge": challenge(),
        "code_challenge_method": "S256",
    }
    return {**query, **extra}


def query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def code_from(response: requests.Response) -> str:
    assert response.status_code == 302, response.text
    return query_of(response.headers["Location"])["code"]


def link_target(html: str) -> str:
    match = re.search(r'id="redirect-link" href="([^"]+)"', html)
    assert match is not None
    return match.group(1).replace("&amp;", "&")
