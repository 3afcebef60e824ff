"""The job token access blocks: untrusted paths, reasons and GitLab's words stay text, every
button has a plain label, and the buttons follow the state."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.domain.gitlab_features import Feature, Verdict
from bot.domain.job_token_access import JobAccessState, JobTokenAccess, Place, SourceKind
from bot.domain.job_token_policies import JobPolicies
from bot.domain.platform import Offering, Platform, Tier
from bot.domain.token_availability import feature_verdict
from bot.slack import ids
from bot.slack.blocks.job_token import (
    job_access_card,
    job_access_list,
    job_access_modal,
    job_access_note,
)

NOW = datetime(2026, 12, 6, 1, 0, tzinfo=UTC)
EVIL = "<!channel> <https://evil.example|click> `x` *bold* &amp;" + "é" * 3000


def _access(state: JobAccessState = JobAccessState.PENDING, **changes: object) -> JobTokenAccess:
    access = JobTokenAccess(
        "a1",
        "U0DAN",
        4,
        SourceKind.GROUP,
        Place(EVIL, 1),
        Place("acme/payments/checkout", 2),
        EVIL,
        state,
        NOW,
        decided_by="U0OLGA",
        failure=EVIL,
    )
    return replace(access, **changes)  # type: ignore[arg-type]


def _actions(blocks: list[dict[str, object]]) -> list[str]:
    text = json.dumps(blocks)
    return [
        a for a in (ids.JOB_ACCESS_APPROVE, ids.JOB_ACCESS_DENY, ids.JOB_ACCESS_REMOVE) if a in text
    ]


@pytest.mark.parametrize("state", list(JobAccessState))
def test_untrusted_text_is_escaped_and_bounded_in_every_state(state: JobAccessState) -> None:
    blocks, text = job_access_card(_access(state))
    rendered = json.dumps(blocks) + text + job_access_note(_access(state))
    assert "<!channel>" not in rendered
    assert "<https://evil" not in rendered
    assert len(text) <= 3000
    for block in blocks:
        inner = block.get("text")
        if isinstance(inner, dict):
            assert len(str(inner["text"])) <= 3000


def test_buttons_follow_the_state() -> None:
    assert _actions(job_access_card(_access())[0]) == [ids.JOB_ACCESS_APPROVE, ids.JOB_ACCESS_DENY]
    allowed = job_access_card(_access(JobAccessState.ALLOWED))[0]
    assert _actions(allowed) == [ids.JOB_ACCESS_REMOVE]
    assert _actions(job_access_card(_access(JobAccessState.REMOVED))[0]) == []


def test_the_list_offers_remove_for_allowed_entries_only() -> None:
    blocks, _ = job_access_list([_access(), _access(JobAccessState.ALLOWED, id="a2")])
    assert json.dumps(blocks).count(ids.JOB_ACCESS_REMOVE) == 1
    assert "No job token access" in job_access_list([])[1]


def test_every_input_of_the_form_has_a_plain_label() -> None:
    view = job_access_modal(_verdict(WITH_183))
    assert view["callback_id"] == ids.JOB_ACCESS_SUBMIT
    labels = {b["block_id"]: b["label"]["text"] for b in view["blocks"] if "label" in b}
    assert labels == {
        "source_kind": "Whose jobs need access",
        "source": "Project or group whose jobs need access",
        "target": "Project the jobs need to reach",
        "resources": "Resources the jobs need",
        "reason": "Reason",
    }
    [resources] = [b for b in view["blocks"] if b.get("block_id") == "resources"]
    offered = [o["value"] for o in resources["element"]["options"]]
    assert offered[:2] == ["deployments:read", "deployments:write"]
    assert len(offered) == 16
    assert resources["optional"] is True


def test_without_fine_grained_permissions_the_form_says_so_and_asks_no_resources() -> None:
    view = job_access_modal(_verdict(Platform(Offering.SELF_MANAGED, Tier.FREE, (18, 2))))
    assert "resources" not in {b.get("block_id") for b in view["blocks"]}
    said = json.dumps(view["blocks"])
    assert "need GitLab 18.3 or later" in said
    assert "default permissions" in said


def test_the_card_and_the_list_show_the_entry_s_permissions() -> None:
    fine = JobPolicies(("ADMIN_RELEASES", "READ_PACKAGES"), default=False)
    blocks, _ = job_access_card(_access(policies=fine))
    said = json.dumps(blocks)
    assert "Releases: read and write (ADMIN_RELEASES)" in said
    assert "Packages (package registry): read (READ_PACKAGES)" in said
    listed, _ = job_access_list([_access(JobAccessState.ALLOWED)])
    assert "GitLab's default permissions" in json.dumps(listed)
    allowed = job_access_note(_access(JobAccessState.ALLOWED, policies=fine))
    assert "ADMIN_RELEASES" in allowed


WITH_183 = Platform(Offering.SELF_MANAGED, Tier.FREE, (18, 3))


def _verdict(platform: Platform) -> Verdict:
    return feature_verdict(Feature.FINE_GRAINED_JOB_TOKENS, platform)
