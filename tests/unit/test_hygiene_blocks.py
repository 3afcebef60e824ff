"""Block Kit for hygiene: within Slack's limits however many findings, text from GitLab made
inert, plain button labels, and button values that carry a key and a finding id only."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest

from bot.domain.credentials import Namespace, NamespaceKind
from bot.domain.hygiene import Finding, FindingKind
from bot.domain.hygiene_report import FlaggedCredential, HygieneReport
from bot.domain.reminders import TrackedToken
from bot.domain.requests import RequestState, TokenRequest
from bot.domain.tokens import AccessLevel, TokenType
from bot.slack import ids
from bot.slack import text as t
from bot.slack.blocks.home import home_view
from bot.slack.blocks.hygiene import (
    DIGEST_ITEMS,
    MESSAGE_BLOCKS,
    digest_message,
    home_findings,
    keep_modal,
    read_keep_value,
)
from tests.unit.test_token_requests import _draft

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
HOSTILE = "<!channel> *bold* <https://evil.test|click> `tick` &amp;"
PLACE = Namespace(NamespaceKind.PROJECT, 7, "acme/api", "https://gitlab.test/acme/api")


def _token(n: int, name: str = "ci", **changes: Any) -> TrackedToken:
    values: dict[str, Any] = {
        "key": f"project_access_token:{n}",
        "token_type": TokenType.PROJECT_ACCESS_TOKEN,
        "gitlab_id": n,
        "name": name,
        "namespace": PLACE,
        "scopes": ("api",),
        "access_level": AccessLevel.MAINTAINER,
        "expires_on": date(2027, 6, 1),
        **changes,
    }
    return TrackedToken(**values)


def _flagged(n: int, name: str = "ci", why: str = "It can write (api).") -> FlaggedCredential:
    findings = (
        Finding(FindingKind.BROAD_SCOPE, why, "If reading is enough: read_api."),
        Finding(FindingKind.HIGH_ROLE, "It acts as Maintainer.", "Developer."),
    )
    return FlaggedCredential(_token(n, name), findings, None)


def _report(flagged: int, shown: int | None = None) -> HygieneReport:
    worst = tuple(_flagged(n) for n in range(shown if shown is not None else flagged))
    counts = dict.fromkeys(FindingKind, 0)
    counts[FindingKind.BROAD_SCOPE] = flagged
    return HygieneReport(NOW, flagged + 3, counts, worst, (), flagged=flagged)


def _buttons(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]]


def test_a_digest_with_ten_thousand_findings_stays_within_one_message() -> None:
    blocks, text = digest_message(_report(10_000, shown=10))
    assert len(blocks) <= MESSAGE_BLOCKS
    assert "10000 of 10003" in text
    shown = json.dumps(blocks, ensure_ascii=False)
    assert "… and 9990 more not shown here" in shown
    assert "Can write: 10000" in shown


def test_a_digest_that_is_handed_every_flagged_credential_shows_a_message_of_them() -> None:
    blocks, _ = digest_message(_report(10_000, shown=10_000))
    assert len(blocks) <= MESSAGE_BLOCKS
    assert len(_buttons(blocks)) == 3 * DIGEST_ITEMS
    assert f"… and {10_000 - DIGEST_ITEMS} more not shown" in json.dumps(blocks, ensure_ascii=False)


def test_each_flagged_credential_offers_revoke_replace_and_keep_with_plain_labels() -> None:
    blocks, _ = digest_message(_report(1))
    revoke, replace, keep = _buttons(blocks)
    assert [b["text"]["text"] for b in (revoke, replace, keep)] == [
        "Revoke",
        "Replace with a narrower token",
        "Keep, it is right",
    ]
    assert all(b["text"]["type"] == "plain_text" for b in (revoke, replace, keep))
    assert revoke["action_id"] == ids.HYGIENE_REVOKE
    assert revoke["value"] == "project_access_token:0"
    assert revoke["confirm"]["title"]["text"] == "Revoke this token?"
    assert replace["value"] == keep["value"] == "broad_scope project_access_token:0"


def test_a_buttons_value_reads_back_and_a_forged_kind_reads_as_none() -> None:
    assert read_keep_value("broad_scope project_access_token:5") == (
        "project_access_token:5",
        FindingKind.BROAD_SCOPE,
    )
    assert read_keep_value("delete_everything project_access_token:5")[1] is None
    assert read_keep_value("")[1] is None


def test_names_and_findings_from_gitlab_cannot_mention_link_or_format() -> None:
    item = _flagged(1, name=HOSTILE, why=f"It is called {HOSTILE}.")
    report = HygieneReport(NOW, 1, {FindingKind.BROAD_SCOPE: 1}, (item,), (), flagged=1)
    blocks, text = digest_message(report, team=HOSTILE)
    rendered = json.dumps(blocks, ensure_ascii=False)
    assert "<!channel>" not in rendered
    assert "<https://evil.test" not in rendered
    assert "<!channel>" not in text
    assert "&lt;!channel&gt;" in rendered
    home = json.dumps([b.to_dict() for b in home_findings([item])])
    assert "<!channel>" not in home


def test_a_huge_name_and_sentence_are_cut_to_fit() -> None:
    item = _flagged(1, name="n" * 5000, why="w" * 5000)
    report = HygieneReport(NOW, 1, {FindingKind.BROAD_SCOPE: 1}, (item,) * 30, (), flagged=30)
    blocks, _ = digest_message(report)
    for block in blocks:
        text = (block.get("text") or {}).get("text", "")
        assert len(text) <= t.SECTION_TEXT


def test_a_revoke_button_is_not_offered_for_what_tokenbot_does_not_revoke() -> None:
    pat = FlaggedCredential(
        _token(2, token_type=TokenType.PERSONAL_ACCESS_TOKEN),
        (Finding(FindingKind.NEVER_EXPIRES, "It never expires.", "Expire it."),),
        None,
    )
    report = HygieneReport(NOW, 1, {FindingKind.NEVER_EXPIRES: 1}, (pat,), (), flagged=1)
    actions = [b["action_id"] for b in _buttons(digest_message(report)[0])]
    assert actions == [ids.HYGIENE_REPLACE, ids.HYGIENE_KEEP]


def test_the_keep_form_asks_which_finding_and_a_required_reason() -> None:
    view = keep_modal(_flagged(3), FindingKind.HIGH_ROLE)
    assert view["callback_id"] == ids.HYGIENE_KEEP_SUBMIT
    assert view["private_metadata"] == "project_access_token:3"
    kind, reason = [b for b in view["blocks"] if b["type"] == "input"]
    assert kind["element"]["initial_option"]["value"] == "high_role"
    assert [o["value"] for o in kind["element"]["options"]] == ["broad_scope", "high_role"]
    assert reason["element"]["min_length"] == 1
    assert not reason.get("optional", False)
    assert kind["label"]["text"]
    assert reason["label"]["text"] == "Why it is right"


@pytest.mark.parametrize("findings", [0, 3, 500])
def test_the_home_tab_stays_within_a_hundred_blocks_when_everything_is_full(
    findings: int,
) -> None:
    mine = [
        TokenRequest(
            id=f"r{n}",
            requester="U0ADA",
            requester_gitlab_id=1,
            draft=_draft(),
            state=RequestState.PROVISIONED if n % 2 else RequestState.PENDING,
            created_at=NOW,
            pending_until=NOW,
            required_approvals=1,
        )
        for n in range(60)
    ]
    items = [_flagged(n) for n in range(min(findings, 6))]
    view = home_view(
        requests=mine, waiting=mine, today=NOW.date(), findings=items, findings_total=findings
    )
    assert len(view["blocks"]) <= 100
    shown = json.dumps(view["blocks"], ensure_ascii=False)
    assert "Your credentials' findings" in shown
    if findings > 6:
        assert f"… and {findings - 6} more" in shown
