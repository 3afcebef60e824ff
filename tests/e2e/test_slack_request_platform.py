"""What this GitLab can make shapes the request form, end to end.

`tokenbot run` against the simulator, which answers /metadata with 18.6.0-ee, configured as
Free (TOKENBOT_GITLAB_TIER): service accounts need Premium before 18.11 (MR !227910, see
docs/gitlab-features.md), so the form does not offer a service-account token and a forged
submit of one is refused with a field error naming why. GitLab's own version wins over
TOKENBOT_GITLAB_VERSION, which says 19.6 here.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.request_world import ALICE, ANSWERS, APPROVALS, World, open_form, start_world
from tests.support.slack_requests import submit

FREE_BUT_SAYS_19_6 = {"TOKENBOT_GITLAB_TIER": "free", "TOKENBOT_GITLAB_VERSION": "19.6"}


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with start_world(tmp_path / "data", extra_env=FREE_BUT_SAYS_19_6) as started:
        started.bot.wait_for_line("GitLab's version is 18.6")
        yield started


def _type_options(view: dict[str, Any]) -> list[str]:
    (block,) = [b for b in view["blocks"] if b.get("block_id") == "token_type"]
    return [o["value"] for o in block["element"]["options"]]


def test_the_form_leaves_out_what_this_gitlab_cannot_make(world: World) -> None:
    options = _type_options(open_form(world, ALICE))
    assert "service_account_pat" not in options
    assert "project_access_token" in options  # every tier on Self-Managed


def test_a_forged_service_account_request_is_refused_with_the_reason(world: World) -> None:
    form = open_form(world, ALICE)
    answers = {**ANSWERS, "target": "acme", "token_type": "group_access_token"}
    option = {"text": {"type": "plain_text", "text": "SA"}, "value": "service_account_pat"}
    forged = {"token_type": {"value": {"type": "static_select", "selected_option": option}}}
    response = submit(world.driver, ALICE, form, answers, forged=forged)
    body = response.json()
    assert body["response_action"] == "errors"
    assert "Service accounts need Premium or higher" in body["errors"]["token_type"]
    assert "18.11" in body["errors"]["token_type"]
    posted = world.slack.calls_to("chat.postMessage")
    assert [c for c in posted if c.args.get("channel") == APPROVALS] == []
    assert not [u for u in world.sim.state.users.values() if u.username.startswith("sa-")]
