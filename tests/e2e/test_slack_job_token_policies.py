"""Fine-grained job token permissions in Slack, end to end: the form asks which resources the
jobs need, approval sets exactly the least policies in GitLab (the simulator's GraphQL), the
card shows them, a forged choice is refused, and a lost GraphQL answer adds nothing twice.

GitLab 18.3 made these permissions generally available
(https://docs.gitlab.com/ci/jobs/fine_grained_permissions/); the world says 18.6 (the
simulator's own version), so the form offers them from the start.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.db.engine import create_db_engine
from bot.db.unit_of_work import SqlUnitOfWork
from bot.domain.job_token_access import JobAccessState, JobTokenAccess
from tests.cli_runner import run_tokenbot
from tests.e2e.test_slack_job_token_access import (
    ANSWERS,
    _audit_actions,
    _dm_text,
    _open_form_from_advice,
    _project,
    _wait,
)
from tests.support.request_world import (
    DAN,
    OLGA,
    PAYMENTS,
    World,
    card_in,
    send_form,
    start_world,
)

CHOSEN = ["packages:read", "releases:read", "releases:write"]
LEAST = (False, ("ADMIN_RELEASES", "READ_PACKAGES"))  # read and write releases: admin only


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with start_world(tmp_path, extra_env={"TOKENBOT_GITLAB_VERSION": "18.6"}) as started:
        yield started


def _entry(world: World) -> tuple[bool, tuple[str, ...]] | None:
    checkout = _project(world.sim, "acme/payments/checkout")
    api = _project(world.sim, "acme/platform/api")
    if api.id not in checkout.job_token_project_allowlist:
        return None
    permissions: tuple[bool, tuple[str, ...]] = checkout.job_token_entry_permissions.get(
        f"project:{api.id}", (True, ())
    )
    return permissions


def _tracked(world: World) -> list[JobTokenAccess]:
    engine = create_db_engine(f"sqlite:///{world.data_dir / 'tokenbot.db'}")
    try:
        with SqlUnitOfWork(engine) as uow:
            return uow.job_access.in_states(*JobAccessState)
    finally:
        engine.dispose()


def _graphql_posts(world: World) -> int:
    return sum(1 for r in world.sim.requests.entries() if r.path == "/api/graphql")


def test_chosen_resources_end_as_exactly_the_least_policies_in_gitlab(world: World) -> None:
    view = _open_form_from_advice(world, DAN)
    [resources] = [b for b in view["blocks"] if b.get("block_id") == "resources"]
    assert resources["label"]["text"] == "Resources the jobs need"
    assert send_form(world, DAN, view, {**ANSWERS, "resources": CHOSEN}).sent
    card = card_in(world, channel=PAYMENTS)
    said = json.dumps(card["blocks"])
    assert "Releases: read and write (ADMIN_RELEASES)" in said
    assert "Packages (package registry): read (READ_PACKAGES)" in said

    world.driver.click(OLGA, card, "job_access.approve")
    _wait(lambda: _entry(world) is not None, "the allowlist entry")
    assert _entry(world) == LEAST
    _dm_text(world, DAN, "Allowed")
    _wait(lambda: _tracked(world)[0].state is JobAccessState.ALLOWED, "the entry tracked")
    [tracked] = _tracked(world)
    assert tracked.policies.policies == LEAST[1]
    assert _audit_actions(world) == ["requested", "approved", "job_token_allowed"]


def test_a_forged_resource_is_refused_by_field_and_stores_nothing(world: World) -> None:
    view = _open_form_from_advice(world, DAN)
    forged_option = {
        "text": {"type": "plain_text", "text": "Variables"},
        "value": "variables:write",
    }
    forged = {
        "resources": {"value": {"type": "multi_static_select", "selected_options": [forged_option]}}
    }
    refused = send_form(world, DAN, view, ANSWERS, forged=forged)
    assert "not a resource tokenbot offers" in refused.errors["resources"]
    typed = {"resources": {"value": {"type": "plain_text_input", "value": "packages:read"}}}
    refused = send_form(world, DAN, view, ANSWERS, forged=typed)
    assert "from the list" in refused.errors["resources"]
    assert _tracked(world) == []
    assert _audit_actions(world) == []


def test_a_lost_graphql_answer_after_the_add_is_settled_once_and_tracked(world: World) -> None:
    view = _open_form_from_advice(world, DAN)
    assert send_form(world, DAN, view, {**ANSWERS, "resources": CHOSEN}).sent
    card = card_in(world, channel=PAYMENTS)
    # GitLab adds the entry, and the answer to the mutation is lost (a 502 after the work)
    world.sim.faults.error(502, method="POST", path="/api/graphql", after=True)
    before = _graphql_posts(world)
    world.driver.click(OLGA, card, "job_access.approve")
    _wait(lambda: _entry(world) is not None, "the allowlist entry")
    _wait(lambda: _tracked(world)[0].state is not JobAccessState.PENDING, "the approval")
    _wait(lambda: _graphql_posts(world) == before + 1, "the mutation's lost answer")
    assert _tracked(world)[0].state is JobAccessState.ADDING  # no blind retry: settled later

    # What `tokenbot run` does every minute, now (the same settle, from GitLab's allowlist).
    done = run_tokenbot("reconcile", "--json", env=world.env)
    assert done.code == 0, done.err
    assert json.loads(done.out)["job_token_entries_settled"] == 1
    assert _tracked(world)[0].state is JobAccessState.ALLOWED
    assert _entry(world) == LEAST
    checkout = _project(world.sim, "acme/payments/checkout")
    assert len(checkout.job_token_project_allowlist) == 1  # added once
    mutations = [
        r for r in world.sim.requests.entries() if r.path == "/api/graphql" and r.status == 502
    ]
    assert len(mutations) == 1
    [tracked] = _tracked(world)
    assert (tracked.policies.policies, tracked.failure) == (LEAST[1], None)
    assert _audit_actions(world) == ["requested", "approved", "job_token_allowed"]
