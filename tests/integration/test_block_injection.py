"""Every Block Kit builder, fed hostile text in every field: the output is inert and fits Slack.

"Hostile" is what a person can type into a form or name a token in GitLab: mentions,
broadcasts, links, entities and backticks; 3,000-character reasons and 255-character names;
nothing at all; emoji, right-to-left text and combining marks. For each builder the payload
is checked three ways: no control sequence from the input survives in any string, every
length is within Slack's limits (ours, and slack_sdk's own validation), and nothing raised.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.domain.advice import Recommendation
from bot.domain.credentials import Namespace, NamespaceKind, Secret
from bot.domain.reminders import Reminder, TrackedToken
from bot.domain.requests import (
    Approval,
    Delivery,
    Renewal,
    RequestDraft,
    RequestState,
    TokenRequest,
)
from bot.domain.tokens import AccessLevel, Scope, TokenType
from bot.domain.tree import Target
from bot.domain.usage import Credential, Usage, usage
from bot.domain.walk import Prompt, PromptChoice, Walk
from bot.services.advisor import Advice
from bot.services.conversations import Turn
from bot.slack import text as t
from bot.slack.blocks import advisor, approvals, home, reminders, requests
from bot.slack.blocks import usage as usage_blocks

TODAY = date(2026, 11, 22)
NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
INJECTION = "<!channel> <!here> <@U123> <https://evil.example|click> &amp; `"
UNICODE = "👩\u200d💻 token 🔑 \u200fשלום\u200e e\u0301\u0301 \u202eevil\u202c ١٢٣ ✔\ufe0f"
GITLAB_URL = "https://gitlab.example/"
REAL_IDS = {"U0ADA", "U0BOB", "W0CAROL", "C0APPROVALS"}
FORBIDDEN = ("<!", "<@U123>", "<https://evil", "<http://evil")
ALLOWED_MARKUP = re.compile(
    r"<@(?P<user>[UW][A-Z0-9]+)>|<#(?P<channel>[CG][A-Z0-9]+)>|<https://gitlab\.example/[^|>]*\|[^>]*>"
)


@dataclass(frozen=True)
class Hostile:
    """One kind of bad input, for words (reasons), names and paths, and Slack ids."""

    label: str
    words: str
    name: str
    user: str


HOSTILE = [
    Hostile("injection", INJECTION, INJECTION, "U123> <!channel"),
    Hostile("long", (INJECTION * 60)[:3000], (INJECTION * 5)[:255], "U0ADA"),
    Hostile("ampersands", "&" * 3000, "&" * 255, "W0CAROL"),
    Hostile("angles", "<" * 3000, ">" * 255, "<!here>"),
    Hostile("empty", "", "", ""),
    Hostile("unicode", UNICODE * 40, (UNICODE * 8)[:255], "U0BOB"),
    Hostile("newlines", "a\n" * 1500, "x\n`y`\r\n" * 30, "U0ADA"),
]


# ---------------------------------------------------------------- hostile domain values


def _draft(h: Hostile, token_type: TokenType = TokenType.PROJECT_ACCESS_TOKEN) -> RequestDraft:
    return RequestDraft(
        token_type=token_type,
        target=h.name,
        name=h.name,
        scopes=(Scope.READ_API, Scope.API),
        access_level=AccessLevel.MAINTAINER,
        expires_on=TODAY + timedelta(days=30),
        reason=h.words,
        delivery=Delivery.CI_VARIABLE,
        variable_project=h.name,
        variable_key=h.name,
    )


def _requests(h: Hostile) -> list[TokenRequest]:
    """The same hostile request in every state, as a new token and as a renewal."""
    base = TokenRequest(
        id="r1",
        requester=h.user,
        requester_gitlab_id=11,
        draft=_draft(h),
        state=RequestState.PENDING,
        created_at=NOW,
        pending_until=NOW + timedelta(days=7),
        required_approvals=2,
        risk_flags=(h.words, h.name),
        approvals=(Approval(h.user, NOW), Approval("U0BOB", NOW)),
        decided_by=h.user,
        deny_reason=h.words,
        gitlab_token_id=42,
        failure=h.words,
    )
    renewal = Renewal(key="project_access_token:42", gitlab_id=42, asked_by=h.user)
    return [
        replace(base, state=state, renews=renews)
        for state in RequestState
        for renews in (None, renewal)
    ]


def _tokens(h: Hostile) -> list[TrackedToken]:
    urls = ["", f"{GITLAB_URL}acme/api", "https://evil.example|click", f"{GITLAB_URL}{'a' * 900}"]
    return [
        TrackedToken(
            key=f"{token_type.value}:{index}",
            token_type=token_type,
            gitlab_id=index,
            name=h.name,
            namespace=Namespace(NamespaceKind.PROJECT, 7, h.name, url),
            scopes=(h.name, h.words[:100], "api"),
            access_level=AccessLevel.OWNER,
            expires_on=TODAY + timedelta(days=5),
            last_used_at=NOW,
            owner=owner,
        )
        for index, (token_type, url, owner) in enumerate(
            [
                (TokenType.PROJECT_ACCESS_TOKEN, urls[0], "U0ADA"),
                (TokenType.GROUP_ACCESS_TOKEN, urls[1], h.user or None),
                (TokenType.PERSONAL_ACCESS_TOKEN, urls[2], None),
                (TokenType.DEPLOY_TOKEN, urls[3], "U0BOB"),
            ]
        )
    ]


def _reminders(h: Hostile) -> list[Reminder]:
    return [
        Reminder(token, level, left, "C0REMINDERS")
        for token in _tokens(h)
        for level, left in ((7, 5), (0, 0), (0, -3))
    ]


def _turns(h: Hostile) -> list[Turn]:
    choices = tuple(PromptChoice(f"v{i}", h.name or h.words) for i in range(3))
    prompts = [Prompt("q1", h.words, choices, help=h.words, multiple=m) for m in (False, True)]
    rec = Recommendation(
        token_type=TokenType.PROJECT_ACCESS_TOKEN,
        title=h.name,
        summary=h.words,
        target=Target.PROJECT,
        capabilities=(),
        scopes=(Scope.READ_API,),
        access_level=AccessLevel.REPORTER,
        lifetime_days=90,
        reasons=(h.words, h.name),
        warnings=(h.words,),
        how_to=(h.words, "API: header `PRIVATE-TOKEN: <token>`"),
        risk=h.name,
        leaf="leaf",
    )
    history = tuple((h.words, h.name) for _ in range(5))
    turns = [Turn("k", Advice(Walk((), p, None), None), history, h.words) for p in prompts]
    return [*turns, Turn("k", Advice(Walk((), None, None), rec), history, h.words)]


# ---------------------------------------------------------------- the builders, as a table


Payload = dict[str, Any] | tuple[list[dict[str, Any]], str] | str
Build = Callable[[Hostile], Iterator[Payload]]


def _approval_card(h: Hostile) -> Iterator[Payload]:
    yield from (requests.approval_card(r) for r in _requests(h))


def _waiting_message(h: Hostile) -> Iterator[Payload]:
    for channel in ("C0APPROVALS", h.user, h.name):
        yield from (requests.waiting_message(r, channel) for r in _requests(h))


def _rotate_offer(h: Hostile) -> Iterator[Payload]:
    line = f"Your token {t.code(h.name)} was revealed. Store it somewhere safe."
    yield from (requests.rotate_offer(r, line) for r in _requests(h))


def _ready_message(h: Hostile) -> Iterator[Payload]:
    lead = f"Your token {t.code(h.name)} was rotated: {t.prose(h.words, 2000)}"
    for request in _requests(h):
        yield requests.ready_message(request, ttl=timedelta(hours=1))
        yield requests.ready_message(request, ttl=timedelta(minutes=90), lead=lead)


def _reveal_modal(h: Hostile) -> Iterator[Payload]:
    secret = Secret("glpat-" + (h.name or "x")[:40])
    for token_type in TokenType:
        request = replace(_requests(h)[0], draft=_draft(h, token_type))
        yield requests.reveal_modal(request, secret)


def _usage(h: Hostile, token_type: TokenType, *, in_ci: bool) -> Usage | None:
    """How to use it, from a hostile GitLab (its username) and hostile paths and keys."""
    scopes = ("api", "read_repository", "read_registry")
    credential = Credential(
        token_type,
        scopes,
        target=h.name,
        gitlab_url=f"https://{h.name}@gitlab.example/",
        account=h.name,
        place=NamespaceKind.GROUP,
        variable=h.name if in_ci else None,
        name=h.words,
    )
    return usage(credential)


def _reveal_with_usage(h: Hostile) -> Iterator[Payload]:
    secret = Secret("glpat-" + (h.name or "x")[:40])
    for token_type in TokenType:
        request = replace(_requests(h)[0], draft=_draft(h, token_type))
        yield requests.reveal_modal(request, secret, _usage(h, token_type, in_ci=False))
        yield usage_blocks.in_variable_message(
            request, _usage(h, token_type, in_ci=True), rotated=False
        )


def _request_modal(h: Hostile) -> Iterator[Payload]:
    yield requests.request_modal(today=TODAY)
    yield requests.request_modal(
        today=TODAY,
        token_type=TokenType.DEPLOY_TOKEN,
        scopes=(Scope.READ_REPOSITORY,),
        role=AccessLevel.DEVELOPER,
        scope_choices=(),
        with_role=False,
    )


def _deny_modal(h: Hostile) -> Iterator[Payload]:
    yield requests.deny_modal("r1")


def _home_view(h: Hostile) -> Iterator[Payload]:
    many = _requests(h) * 3
    yield home.home_view(requests=many, waiting=many, today=TODAY)
    yield home.home_view(requests=many, waiting=h.words, today=TODAY)
    yield home.home_view(requests=(), waiting=(), today=TODAY, can_request=False)


def _mine_message(h: Hostile) -> Iterator[Payload]:
    yield home.mine_message(_requests(h) * 3, TODAY)


def _pending_message(h: Hostile) -> Iterator[Payload]:
    yield home.pending_message(_requests(h) * 3)


def _home_items(h: Hostile) -> Iterator[Payload]:
    for items in (
        home.token_items(_requests(h), TODAY),
        home.request_items(_requests(h)),
        home.decision_items(_requests(h)),
    ):
        yield [b.to_dict() for b in items], "items"


def _reminder_message(h: Hostile) -> Iterator[Payload]:
    note = f"{t.mention('U0ADA')} revoked {t.code(h.name)}; it no longer works."
    for reminder in _reminders(h):
        yield reminders.reminder_message(reminder)
        yield reminders.reminder_message(reminder, renewals=True)
        yield reminders.reminder_message(reminder, note=note)


def _digest_message(h: Hostile) -> Iterator[Payload]:
    yield reminders.digest_message(_reminders(h) * 6)
    yield reminders.digest_message(_reminders(h)[:1])


def _renew_modal(h: Hostile) -> Iterator[Payload]:
    for token in _tokens(h):
        yield reminders.renew_modal(token, offered=TODAY, max_date=TODAY, reminder="C0R 1.2")
        yield reminders.renew_modal(token, offered=TODAY, max_date=None)


def _reminder_phrases(h: Hostile) -> Iterator[Payload]:
    for token in _tokens(h):
        yield reminders.where(token)
        yield reminders.owner_text(token)


def _conversation_message(h: Hostile) -> Iterator[Payload]:
    for turn in _turns(h):
        yield advisor.conversation_message(turn, owner="U0ADA")
        yield advisor.conversation_message(turn, owner="U0ADA", can_request=True)


def _recommendation_blocks(h: Hostile) -> Iterator[Payload]:
    for turn in _turns(h):
        if turn.advice.recommendation is not None:
            blocks = advisor.recommendation_blocks(turn.advice.recommendation)
            yield [b.to_dict() for b in blocks], "recommendation"


def _asked(h: Hostile) -> list[str]:
    return [h.user, "U0ADA", f"subteam:{h.user}", f"subteam:{h.name}", h.name] * 12


def _approvals_card(h: Hostile) -> Iterator[Payload]:
    line = approvals.asked_line(_asked(h))
    yield from (requests.approval_card(r, line) for r in _requests(h))


def _approver_message(h: Hostile) -> Iterator[Payload]:
    waited = timedelta(hours=25)
    for request in _requests(h):
        for lead in (
            approvals.ask_lead(request),
            approvals.reminder_lead(request, waited),
            approvals.fallback_lead(request, nobody=True),
            approvals.decided_lead(request),
        ):
            yield approvals.approver_message(request, lead)


def _approval_phrases(h: Hostile) -> Iterator[Payload]:
    request = _requests(h)[0]
    yield approvals.escalation(request, _asked(h), timedelta(hours=49))
    yield approvals.refused_fallback(request, h.words, AccessLevel.OWNER)
    yield approvals.nobody_can(request, AccessLevel.MAINTAINER, _asked(h))
    yield approvals.nobody_can(request, AccessLevel.OWNER, ())
    yield approvals.shell_ready(request, timedelta(hours=1))
    yield approvals.shell_decided(request, t.prose(h.words, 500))


BUILDERS: dict[str, Build] = {
    "approvals.asked_line+approval_card": _approvals_card,
    "approvals.approver_message": _approver_message,
    "approvals.escalation/refused_fallback/nobody_can/shell_*": _approval_phrases,
    "advisor.conversation_message": _conversation_message,
    "advisor.recommendation_blocks": _recommendation_blocks,
    "home.home_view": _home_view,
    "home.mine_message": _mine_message,
    "home.pending_message": _pending_message,
    "home.token_items/request_items/decision_items": _home_items,
    "reminders.reminder_message": _reminder_message,
    "reminders.digest_message": _digest_message,
    "reminders.renew_modal": _renew_modal,
    "reminders.where/owner_text": _reminder_phrases,
    "requests.approval_card": _approval_card,
    "requests.waiting_message": _waiting_message,
    "requests.rotate_offer": _rotate_offer,
    "requests.ready_message": _ready_message,
    "requests.reveal_modal": _reveal_modal,
    "requests.reveal_modal+usage/usage.in_variable_message": _reveal_with_usage,
    "requests.request_modal": _request_modal,
    "requests.deny_modal": _deny_modal,
}


@pytest.mark.parametrize("hostile", HOSTILE, ids=[h.label for h in HOSTILE])
@pytest.mark.parametrize("builder", list(BUILDERS), ids=list(BUILDERS))
def test_hostile_text_is_inert_and_every_length_fits(builder: str, hostile: Hostile) -> None:
    payloads = list(BUILDERS[builder](hostile))  # a builder that raises fails here
    assert payloads
    for payload in payloads:
        problems = _problems(payload)
        assert not problems, "\n".join(problems[:10])


def test_the_revoke_confirmation_with_a_255_character_name_fits_its_dialog() -> None:
    token = replace(_tokens(HOSTILE[0])[0], name="n" * 255, owner=None)
    token = replace(token, namespace=replace(token.namespace, path="p/" * 127))
    blocks, _ = reminders.reminder_message(Reminder(token, 7, 5, "C0R"), renewals=True)
    dialogs = [e["confirm"] for b in blocks for e in b.get("elements", []) if "confirm" in e]
    assert dialogs
    for dialog in dialogs:
        assert len(dialog["text"]["text"]) <= t.CONFIRM_TEXT
        assert "n" * 20 in dialog["text"]["text"]


def test_a_3000_character_reason_leaves_a_card_slack_takes() -> None:
    request = replace(_requests(HOSTILE[1])[0], requester="U0ADA")
    blocks, text = requests.approval_card(request)
    reason = next(b for b in blocks if b.get("text", {}).get("text", "").startswith("*Reason*"))
    assert len(reason["text"]["text"]) <= t.SECTION_TEXT
    assert reason["text"]["text"].endswith(t.ELLIPSIS)
    assert "<@U0ADA>" in json.dumps(blocks)  # a real id still mentions
    assert text.startswith("Token request from <@U0ADA>")


# ---------------------------------------------------------------- what "fits" and "inert" mean


def _problems(payload: Payload) -> list[str]:
    if isinstance(payload, str):
        return _markup_problems(payload, "phrase")
    if isinstance(payload, dict):
        problems = _view_problems(payload)
        blocks = payload["blocks"]
    else:
        blocks, fallback = payload
        problems = _markup_problems(fallback, "text")
        problems += [f"text: {len(fallback)} > {t.MESSAGE_TEXT}"] * (len(fallback) > t.MESSAGE_TEXT)
        problems += [f"{len(blocks)} blocks in a message"] * (len(blocks) > 50)
        problems += _slack_sdk_problems(blocks)
    for path, node in _walk(blocks, "blocks"):
        problems += _node_problems(path, node)
    for path, value in _strings(payload, "payload"):
        problems += [f"{path}: {bad!r} survived" for bad in FORBIDDEN if bad in value]
    return problems


def _view_problems(view: dict[str, Any]) -> list[str]:
    try:
        View(**view).to_dict()
    except Exception as exc:  # any refusal is the finding
        return [f"slack_sdk refuses the view: {exc}"]
    metadata = view.get("private_metadata") or ""
    return [f"private_metadata: {len(metadata)}"] * (len(metadata) > t.PRIVATE_METADATA)


def _slack_sdk_problems(blocks: list[dict[str, Any]]) -> list[str]:
    problems = []
    for index, raw in enumerate(blocks):
        try:
            block = Block.parse(raw)
            assert block is not None
            block.validate_json()
            block.to_dict()  # validates every element and text object inside
        except Exception as exc:  # any refusal is the finding
            problems.append(f"blocks[{index}]: slack_sdk refuses it: {exc}")
    return problems


_LIMITS: dict[tuple[str, str], int] = {
    ("section", "text"): t.SECTION_TEXT,
    ("section", "fields"): t.SECTION_FIELD,
    ("header", "text"): t.HEADER_TEXT,
    ("context", "elements"): t.CONTEXT_TEXT,
    ("button", "text"): t.BUTTON_TEXT,
    ("option", "text"): t.OPTION_TEXT,
    ("confirm", "title"): t.CONFIRM_TITLE,
    ("confirm", "text"): t.CONFIRM_TEXT,
    ("confirm", "confirm"): t.CONFIRM_BUTTON,
    ("confirm", "deny"): t.CONFIRM_BUTTON,
    ("input", "label"): t.INPUT_LABEL,
    ("input", "hint"): t.INPUT_HINT,
    ("element", "placeholder"): t.PLACEHOLDER,
}


def _node_problems(path: str, node: dict[str, Any]) -> list[str]:
    kind = _kind(node)
    problems = []
    for (owner, key), limit in _LIMITS.items():
        if owner != kind or key not in node:
            continue
        for text_object in node[key] if isinstance(node[key], list) else [node[key]]:
            problems += _text_object_problems(f"{path}.{key}", text_object, limit)
    if kind == "button" and len(node.get("value") or "") > t.BUTTON_VALUE:
        problems.append(f"{path}.value: {len(node['value'])} > {t.BUTTON_VALUE}")
    if kind == "option" and len(node.get("value") or "") > t.OPTION_VALUE:
        problems.append(f"{path}.value: {len(node['value'])} > {t.OPTION_VALUE}")
    if kind == "context" and len(node["elements"]) > t.CONTEXT_ELEMENTS:
        problems.append(f"{path}: {len(node['elements'])} context elements")
    if node.get("type") == "plain_text_input":
        problems += _input_problems(path, node)
    return problems


def _input_problems(path: str, node: dict[str, Any]) -> list[str]:
    limit = node.get("max_length")
    if not isinstance(limit, int) or not 1 <= limit <= t.INPUT_MAX_LENGTH:
        return [f"{path}: a text input without a max_length Slack allows ({limit!r})"]
    return []


def _text_object_problems(path: str, text_object: Any, limit: int) -> list[str]:
    if not isinstance(text_object, dict) or "type" not in text_object:
        return []
    words = text_object["text"]
    problems = [f"{path}: {len(words)} > {limit}"] * (len(words) > limit)
    problems += [f"{path}: empty text"] * (not words)
    if text_object["type"] == "mrkdwn":
        problems += _markup_problems(words, path)
    elif "<" in words or ">" in words:
        problems.append(f"{path}: plain_text keeps an angle bracket: {words[:80]!r}")
    return problems


def _markup_problems(words: str, path: str) -> list[str]:
    """Markup may hold real mentions, channel links and GitLab links, and whole entities."""
    problems = []
    for match in re.finditer(r"<[^>]*>?", words):
        allowed = ALLOWED_MARKUP.fullmatch(match.group())
        ids = {allowed.group("user"), allowed.group("channel")} - {None} if allowed else set()
        if allowed is None or not ids <= REAL_IDS:
            problems.append(f"{path}: markup {match.group()[:80]!r}")
    if re.search(r"&(?!amp;|lt;|gt;)", words):
        problems.append(f"{path}: a bare or broken entity in {words[-40:]!r}")
    return problems


def _kind(node: dict[str, Any]) -> str:
    kind = node.get("type")
    if kind in {"section", "header", "context", "input", "button"}:
        return str(kind)
    if "confirm" in node and "deny" in node and "title" in node:
        return "confirm"
    if "value" in node and "text" in node and kind is None:
        return "option"
    if "placeholder" in node:
        return "element"
    return str(kind)


def _walk(node: Any, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from _walk(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, f"{path}[{index}]")


def _strings(node: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, str):
        yield path, node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(value, f"{path}.{key}")
    elif isinstance(node, list | tuple):
        for index, value in enumerate(node):
            yield from _strings(value, f"{path}[{index}]")
