"""A small browser for tests that do not need JavaScript: it keeps cookies, follows
redirects, and submits a page's forms the way a browser does (hidden inputs included, the
clicked button's name and value added). The real-browser variant is in tests/e2e with
selenium; this one runs everywhere and shows each step's page."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin

import requests


@dataclass
class Form:
    id: str
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    buttons: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (name, value)


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if "id" in found:
            self.ids.add(found["id"])
        if tag == "form":
            method = found.get("method", "get").upper()
            self.forms.append(Form(found.get("id", ""), found.get("action", ""), method))
        elif self.forms and tag == "input" and found.get("name"):
            self.forms[-1].fields[found["name"]] = found.get("value", "")
        elif self.forms and tag == "button":
            key = found.get("id") or found.get("name") or "submit"
            self.forms[-1].buttons[key] = (found.get("name", ""), found.get("value", ""))


@dataclass
class Page:
    url: str
    status: int
    html: str
    forms: list[Form]
    ids: set[str]

    def form_with(self, button: str) -> Form:
        for form in self.forms:
            if button in form.buttons:
                return form
        raise AssertionError(f"no button {button!r} on {self.url}: {self.html[:500]}")


class FormBrowser:
    def __init__(self) -> None:
        self.session = requests.Session()
        self.visited: list[str] = []  # every URL loaded, redirects included

    def open(self, url: str) -> Page:
        return self._page(self.session.get(url, timeout=10))

    def click(self, page: Page, button: str, **typed: str) -> Page:
        """Press `button` (its id) on `page`, after typing `typed` into named inputs."""
        form = page.form_with(button)
        data = {**form.fields, **typed}
        name, value = form.buttons[button]
        if name:
            data[name] = value
        target = urljoin(page.url, form.action or page.url)
        if form.method == "POST":
            return self._page(self.session.post(target, data=data, timeout=10))
        return self._page(self.session.get(target, params=data, timeout=10))

    def _page(self, response: requests.Response) -> Page:
        self.visited += [r.url for r in response.history] + [response.url]
        parser = _Forms()
        parser.feed(response.text)
        return Page(response.url, response.status_code, response.text, parser.forms, parser.ids)
