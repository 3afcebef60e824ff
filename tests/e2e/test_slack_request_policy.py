"""The request policy of a config file, end to end: `tokenbot run` with TOKENBOT_CONFIG whose
`[tokenbot_policy]` forbids `api` for project access tokens and caps group access tokens at
30 days. The form offers only what it allows; a forged submit outside it is refused with
field errors, and nothing reaches the approvers or GitLab.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.support.request_world import (
    ALICE,
    ANSWERS,
    APPROVALS,
    World,
    card_in,
    open_form,
    send_form,
    start_world,
)
from tests.support.slack_requests import submit

POLICY = """
[tokenbot_policy.project_access_token]
scopes = ["read_api", "read_repository"]
roles = ["reporter", "developer"]

[tokenbot_policy.group_access_token]
max_lifetime_days = 30
"""
TODAY = datetime.now(UTC).date()


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    config = tmp_path / "tokenbot.toml"
    config.write_text(POLICY, encoding="utf-8")
    with start_world(tmp_path / "data", extra_env={"TOKENBOT_CONFIG": str(config)}) as started:
        yield started


def _choose_type(world: World, form: dict[str, Any], token_type: str) -> dict[str, Any]:
    """Pick a type in the open modal; the form as the bot updates it."""
    before = len(world.slack.calls_to("views.update"))
    world.driver.click_in_view(
        ALICE,
        form,
        "value",
        view_type="modal",
        answers={"token_type": token_type},
        selected=token_type,
        block_id="token_type",
    )
    view: dict[str, Any] = world.slack.wait_for("views.update", before + 1)[-1].args["view"]
    return view


def _blocks(view: dict[str, Any]) -> dict[str, Any]:
    return {b["block_id"]: b for b in view["blocks"]}


def _options(view: dict[str, Any], block: str) -> list[str]:
    return [o["value"] for o in _blocks(view)[block]["element"]["options"]]


def _forged_scopes(*scopes: str) -> dict[str, Any]:
    """A multi-select answer naming options the form never offered."""
    chosen = [{"text": {"type": "plain_text", "text": s}, "value": s} for s in scopes]
    return {"scopes": {"value": {"type": "multi_static_select", "selected_options": chosen}}}


def _forged_role(level: str) -> dict[str, Any]:
    option = {"text": {"type": "plain_text", "text": level}, "value": level}
    return {"role": {"value": {"type": "static_select", "selected_option": option}}}


def _nothing_reached_the_approvers(world: World) -> None:
    posted = world.slack.calls_to("chat.postMessage")
    assert [c for c in posted if c.args.get("channel") == APPROVALS] == []
    assert not [t for t in world.sim.state.tokens.values() if t.name == "release-notes"]


def test_the_form_offers_project_tokens_no_api_and_group_tokens_30_days(world: World) -> None:
    form = open_form(world, ALICE)
    project = _choose_type(world, form, "project_access_token")
    assert _options(project, "scopes") == ["read_api", "read_repository"]
    assert _options(project, "role") == ["20", "30"]  # Reporter, Developer

    group = _choose_type(world, form, "group_access_token")
    assert "api" in _options(group, "scopes")  # the policy forbids it for projects only
    expiry = _blocks(group)["expires_on"]
    assert expiry["element"]["initial_date"] == (TODAY + timedelta(days=30)).isoformat()
    assert "At most 30 days" in expiry["hint"]["text"]


def test_a_forged_api_scope_or_role_on_a_project_token_is_a_field_error(world: World) -> None:
    form = _choose_type(world, open_form(world, ALICE), "project_access_token")
    forged = {**_forged_scopes("api"), **_forged_role("40")}
    response = submit(world.driver, ALICE, form, dict(ANSWERS), forged=forged)
    errors = response.json()["errors"]
    assert response.json()["response_action"] == "errors"
    assert "not allowed here: api" in errors["scopes"]
    assert "allowed: read_api, read_repository" in errors["scopes"]
    assert "not allowed here: Maintainer" in errors["role"]
    _nothing_reached_the_approvers(world)


def test_a_forged_group_token_beyond_30_days_is_a_field_error(world: World) -> None:
    form = _choose_type(world, open_form(world, ALICE), "group_access_token")
    answers = {
        **ANSWERS,
        "target": "acme/platform",
        "token_type": "group_access_token",
        "expires_on": (TODAY + timedelta(days=60)).isoformat(),
    }
    response = submit(world.driver, ALICE, form, answers)
    assert response.json()["errors"] == {"expires_on": "at most 30 days from today"}
    _nothing_reached_the_approvers(world)


def test_a_request_within_the_policy_goes_to_the_approvers(world: World) -> None:
    form = _choose_type(world, open_form(world, ALICE), "project_access_token")
    assert send_form(world, ALICE, form, dict(ANSWERS)).sent
    assert "release-notes" in str(card_in(world)["blocks"])
