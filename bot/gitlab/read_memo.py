"""One interaction never asks GitLab twice for the same thing: a memo of its GET answers.

`open_interaction_reads()` makes a fresh memo current in this context (the Slack front end
calls it once per request, each of which runs in a context of its own: `bot/slack/server.py`),
and so for every thread the context is copied into (the listener and work pools copy it);
`interaction_reads()` does the same for a `with` block. While one is open, `BudgetedAdapter`
answers a GET it has already sent in this interaction from the memo instead of sending it
again: the form submit reads the project once although the submit, `effective_role` and the
gate each ask for it. Only 200 and 404 answers are kept (a 404 is what `namespace` sees
for a path that is a group); any other method (a create, a rotate, a delete) empties the
memo before it is sent, so nothing read before a change is reused after it. Outside an
interaction (the scheduler, the CLI) nothing is kept.
"""

from __future__ import annotations

import contextvars
import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import requests
from requests.structures import CaseInsensitiveDict

KEPT_STATUSES = frozenset({200, 404})
MAX_ENTRIES = 256  # one interaction makes a handful of reads; an inventory is not one
MAX_BODY_BYTES = 1_000_000
_AUTH_HEADERS = ("PRIVATE-TOKEN", "Authorization", "JOB-TOKEN")
MEMO_HIT = "tokenbot_read_memo_hit"  # set on a replayed response: metrics skip it


class ReadMemo:
    """GET answers of one interaction, by URL and credential."""

    def __init__(self) -> None:
        self._answers: dict[tuple[str, str], requests.Response] = {}
        self._lock = threading.Lock()
        self.hits = 0

    def replay(self, request: requests.PreparedRequest) -> requests.Response | None:
        """A copy of the answer to this GET, if one was kept."""
        with self._lock:
            kept = self._answers.get(_key(request))
            if kept is None:
                return None
            self.hits += 1
        return _copy(kept, request)

    def keep(self, request: requests.PreparedRequest, response: requests.Response) -> None:
        if response.status_code not in KEPT_STATUSES:
            return
        body = response.content  # read now: a replay must not read a consumed stream
        if len(body) > MAX_BODY_BYTES:
            return
        with self._lock:
            if len(self._answers) < MAX_ENTRIES:
                self._answers[_key(request)] = _copy(response, request)

    def forget(self) -> None:
        with self._lock:
            self._answers.clear()


_memo: contextvars.ContextVar[ReadMemo | None] = contextvars.ContextVar(
    "tokenbot_gitlab_read_memo", default=None
)


def open_interaction_reads() -> ReadMemo:
    """A fresh memo for the rest of this context (and copies of it made from now on)."""
    memo = ReadMemo()
    _memo.set(memo)
    return memo


@contextmanager
def interaction_reads() -> Iterator[ReadMemo]:
    """Open a memo for this interaction (and what its context is copied into)."""
    memo = ReadMemo()
    token = _memo.set(memo)
    try:
        yield memo
    finally:
        _memo.reset(token)


def current_memo() -> ReadMemo | None:
    return _memo.get()


def is_read(request: requests.PreparedRequest) -> bool:
    return (request.method or "GET").upper() == "GET"


def _key(request: requests.PreparedRequest) -> tuple[str, str]:
    credential = "\n".join(str(request.headers.get(h) or "") for h in _AUTH_HEADERS)
    return str(request.url), hashlib.sha256(credential.encode()).hexdigest()


def _copy(response: requests.Response, request: requests.PreparedRequest) -> requests.Response:
    copy = requests.Response()
    copy.status_code = response.status_code
    copy.headers = CaseInsensitiveDict(response.headers)
    copy._content = response.content  # how requests holds a body it has read
    copy.encoding = response.encoding
    copy.url = response.url
    copy.reason = response.reason
    copy.elapsed = response.elapsed
    copy.request = request
    return copy
