"""Seeded, mutated Slack requests for fuzzing tokenbot's endpoint (test and benchmark alike).

`cases(seed, targets, count)` makes `count` requests from one `random.Random(seed)`. Most are
what Slack sends for every command subcommand, action id, modal callback id and event the app
registers, built from messages and views the bot really posted (`Targets`), then mutated
0 to 3 times: a key dropped, a value of the wrong type, a huge string, tricky unicode, JSON
garbage, or the id of a request, token or person that does not exist. Every tenth request is
a malformed body, correctly signed (expected: 400, or 413 over the size cap); every tenth
another is a good payload unsigned, wrongly signed or stale (expected: 401).
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import random
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from tests.support.fuzz_bases import BASES, FAKE_IDS, GARBAGE_JSON, Targets, base
from tests.support.slack_requests import SIGNING_SECRET

FORM, JSON = "application/x-www-form-urlencoded", "application/json"
MAX_BODY = 1 << 20  # the edge's cap (bot.slack.edge.MAX_BODY_BYTES)
WRONG_TYPES: tuple[Any, ...] = (None, 0, -1, 1.5, True, [], {}, "", [1, "x"], {"id": 5})
UNICODE = (
    "🙂" * 40,
    "\u202eevil\u202c",
    "zero\u200bwidth\ufeff",
    "e\u0301\u0301\u0301",
    "nul\x00byte",
    "lone \ud800 surrogate",
    "<!channel> <@U0OLGA> <https://evil.example|click>",
    "`code` *bold* ~x~ &amp; &lt;",
    "日本語のテキスト",
    "../../etc/passwd",
    "%s%n{0}${jndi:x}",
)
LOCAL_URLS = ("not a url", "", "http://127.0.0.1:9/hooks/none")  # never a host off this machine


@dataclass(frozen=True)
class Case:
    label: str
    body: bytes
    content_type: str
    signing: str = "ok"  # ok, unsigned, bad secret, stale, future, bad timestamp, tampered
    expect: frozenset[int] = field(default_factory=frozenset)  # empty: any status under 500


def signature(raw: bytes, timestamp: str, secret: str = SIGNING_SECRET) -> str:
    signed = b"v0:" + timestamp.encode() + b":" + raw
    return "v0=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def headers(case: Case, now: float) -> dict[str, str]:
    """The headers Slack would send with `case` (or the wrong ones its signing asks for)."""
    stamp = str(int(now))
    sent = {"Content-Type": case.content_type}
    signed = {
        "ok": lambda: (stamp, signature(case.body, stamp)),
        "bad secret": lambda: (stamp, signature(case.body, stamp, "not-the-secret")),
        "stale": lambda: (str(int(now) - 301), signature(case.body, str(int(now) - 301))),
        "future": lambda: (str(int(now) + 400), signature(case.body, str(int(now) + 400))),
        "bad timestamp": lambda: ("12ab", signature(case.body, "12ab")),
        "tampered": lambda: (stamp, signature(case.body + b" ", stamp)),
    }
    if case.signing in signed:
        stamp, digest = signed[case.signing]()
        sent |= {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": digest}
    return sent


def cases(seed: int, targets: Targets, count: int) -> list[Case]:
    rng = random.Random(seed)  # noqa: S311 - reproducible on purpose, not a secret
    made: list[Case] = []
    for i in range(count):
        if i % 10 == 3:
            made.append(_malformed(rng))
        elif i % 10 == 7:
            made.append(_missigned(rng, targets, len(made)))
        else:
            made.append(_mutated(rng, targets, BASES[len(made) % len(BASES)]))
    return made


# ----------------------------------------------------------------------- mutations


def _mutated(rng: random.Random, targets: Targets, which: tuple[str, str]) -> Case:
    payload, encoding = base(rng, targets, *which)
    payload = copy.deepcopy(payload)  # it holds the targets' own messages and views
    done = [_mutate(rng, payload, targets) for _ in range(rng.choice((0, 1, 1, 2, 3)))]
    label = f"{which[0]} {which[1] or '(none)'}" + "".join(f"; {d}" for d in done)
    body = _encode(payload, encoding)
    return Case(label, body, JSON if encoding == "json" else FORM, "ok", _capped(body))


def _mutate(rng: random.Random, payload: dict[str, Any], t: Targets) -> str:
    slots = list(_slots(payload, ""))
    shallow = [s for s in slots if s[2].count(".") < 3]
    holder, key, path = rng.choice(shallow if shallow and rng.random() < 0.7 else slots)
    how = rng.choice(("drop", "type", "huge", "unicode", "garbage", "foreign"))
    if how == "drop" and isinstance(holder, dict):
        del holder[key]
    elif how == "type":
        holder[key] = copy.deepcopy(rng.choice(WRONG_TYPES))
    elif how == "huge":
        holder[key] = rng.choice(("A", "é", "🙂")) * rng.choice((3_001, 40_000, 150_000))
    elif how == "unicode":
        holder[key] = rng.choice(UNICODE)
    elif how == "garbage":
        holder[key] = rng.choice(GARBAGE_JSON)
    else:
        holder[key] = rng.choice((*FAKE_IDS, "U0NOBODY", "W0STRANGER", rng.choice(t.request_ids)))
    if path.endswith("response_url"):
        holder[key] = rng.choice(LOCAL_URLS)  # a fuzzed response_url must stay on this machine
    return f"{how} {path}"


def _slots(node: Any, path: str) -> Any:
    """(holder, key, dotted path) of every value in the payload."""
    items = node.items() if isinstance(node, dict) else enumerate(node)
    for key, value in list(items):
        here = f"{path}.{key}" if path else str(key)
        yield node, key, here
        if isinstance(value, dict | list) and value:
            yield from _slots(value, here)


def _encode(payload: dict[str, Any], encoding: str) -> bytes:
    if encoding == "json":
        return json.dumps(payload).encode()
    if encoding == "form":
        fields = {k: v if isinstance(v, str) else json.dumps(v) for k, v in payload.items()}
        return urlencode(fields, errors="surrogatepass").encode()  # bytes no UTF-8 allows
    return urlencode({"payload": json.dumps(payload)}).encode()


# ----------------------------------------------------------------------- bad bodies, bad signatures

_MALFORMED: tuple[tuple[str, bytes, str], ...] = (
    ("a JSON array", b"[]", JSON),
    ("JSON null", b"null", JSON),
    ("a JSON string", b'"event_callback"', JSON),
    ("an empty JSON object", b"{}", JSON),
    ("broken JSON", b'{"type": "event_callback", "event": ', JSON),
    ("deeply nested JSON", b"[" * 50_000 + b"]" * 50_000, JSON),
    ("an event that is text", b'{"type": "event_callback", "event": "type"}', JSON),
    ("no actions", b'{"type": "block_actions", "actions": []}', JSON),
    ("a view without a type", b'{"type": "view_submission", "view": {"callback_id": "x"}}', JSON),
    ("authorizations as text", b'{"type": "event_callback", "authorizations": "abc"}', JSON),
    ("payload not JSON", b"payload=not-json", FORM),
    ("payload a JSON array", b"payload=%5B%5D", FORM),
    ("payload empty", b"payload=", FORM),
    ("a form without payload", b"foo=bar&baz=1", FORM),
    ("a form naming payload only", b"xpayloadx=1", FORM),
    ("an empty body", b"", FORM),
    ("bytes that are not UTF-8", b"payload=\xff\xfe\x00\xc3(", FORM),
    ("JSON that is not UTF-8", b'{"type": "\xff"}', JSON),
)


def _malformed(rng: random.Random) -> Case:
    if rng.random() < 0.05:
        return Case("a body over the size cap", b"payload=" + b"A" * MAX_BODY, FORM, "ok", _413)
    label, body, kind = rng.choice(_MALFORMED)
    return Case(label, body, kind, "ok", _400)


def _missigned(rng: random.Random, targets: Targets, index: int) -> Case:
    good = _mutated(rng, targets, BASES[index % len(BASES)])
    how = rng.choice(("unsigned", "bad secret", "stale", "future", "bad timestamp", "tampered"))
    body = good.body if rng.random() < 0.9 else b"payload=\xff\xfe"
    return Case(f"{how}: {good.label}", body, good.content_type, how, _capped(body, _401))


_400, _401, _413 = frozenset({400}), frozenset({401}), frozenset({413})


def _capped(body: bytes, expect: frozenset[int] = frozenset()) -> frozenset[int]:
    """The size is checked before anything else: a body over the cap gets 413 whatever it is."""
    return _413 if len(body) > MAX_BODY else expect
