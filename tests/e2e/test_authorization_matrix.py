"""The authorization matrix: every action x actor x credential power, through the real Slack
endpoint of `tokenbot run` (signed requests) and through `tokenbot shell`.

The expected verdicts are the one table below. Each cell seeds its own subject under its own
name (tests/support/matrix_probes.py), acts once as the actor, and reads the verdict from what
changed in GitLab (the simulator) and the database, and from whether the actor was told
(tests/support/matrix_effects.py):

- ALLOW: the effect happened; APPROVAL: a pending request and its approval card, no change in
  GitLab; DENY: no change anywhere and a note to the actor within 3 s.

The actors (tests/support/matrix_world.py): `requester`, whose role equals the power's level
where the credential lives and who asked for (and owns) it; one person per role on
acme/platform/api or its groups; a GitLab user who is a member of nothing; a Slack user
tokenbot cannot link. The powers are project access tokens on acme/platform/api, and
tokenbot's own GitLab token (as `tokenbot sync` tracks it).

One `tokenbot run` and one `tokenbot shell` (no sandbox: the same simulator, database and
TOKENBOT_USER_MAP) serve every cell. The shell's commands on tracked tokens (rotate-token N,
renew N, claim N, let-expire N, revoke N) exist only with --sandbox so far: those cells skip,
saying so, and run as soon as the shell offers them with a real GitLab. The module runs in
the SQLite pass of the suite only (what it tests is not in the database layer).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.matrix_effects import ALLOW, APPROVAL, DENY, Cell, observe
from tests.support.matrix_probes import (
    act_in_shell,
    act_in_slack,
    fail_retry_requests,
    make_reminder_tokens,
    seed_cell,
)
from tests.support.matrix_world import (
    ACTORS,
    POWERS,
    MatrixWorld,
    OwnTokenBaseline,
    matrix_world,
    own_token_key,
)
from tests.support.shell_terminal import Terminal

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("TEST_DATABASE_URL")),
    reason="run in the SQLite pass of the suite: the verdicts do not depend on the database",
)

A, N, D, NA = ALLOW, APPROVAL, DENY, None
COLUMNS = ("REPORTER_READ", "DEVELOPER_API", "MAINTAINER_READ", "OWNER_API", "BOT_OWN")
# fmt: off
TABLE: dict[tuple[str, str], tuple[str | None, ...]] = {
    # (action, actor):  REPORTER_READ, DEVELOPER_API, MAINTAINER_READ, OWNER_API, BOT_OWN
    ("REQUEST",        "requester"):  (N, N, N, N, NA),
    ("REQUEST",        "guest"):      (D, D, D, D, NA),
    ("REQUEST",        "reporter"):   (N, D, D, D, NA),
    ("REQUEST",        "developer"):  (N, N, D, D, NA),
    ("REQUEST",        "maintainer"): (N, N, N, D, NA),
    ("REQUEST",        "owner"):      (N, N, N, N, NA),
    ("REQUEST",        "nonmember"):  (D, D, D, D, NA),
    ("REQUEST",        "unknown"):    (D, D, D, D, NA),
    ("APPROVE",        "requester"):  (D, D, D, D, NA),
    ("APPROVE",        "guest"):      (D, D, D, D, NA),
    ("APPROVE",        "reporter"):   (D, D, D, D, NA),
    ("APPROVE",        "developer"):  (D, D, D, D, NA),
    ("APPROVE",        "maintainer"): (A, A, A, D, NA),
    ("APPROVE",        "owner"):      (A, A, A, A, NA),
    ("APPROVE",        "nonmember"):  (D, D, D, D, NA),
    ("APPROVE",        "unknown"):    (D, D, D, D, NA),
    ("RETRY",          "requester"):  (D, D, D, D, NA),
    ("RETRY",          "guest"):      (D, D, D, D, NA),
    ("RETRY",          "reporter"):   (D, D, D, D, NA),
    ("RETRY",          "developer"):  (D, D, D, D, NA),
    ("RETRY",          "maintainer"): (A, A, A, D, NA),
    ("RETRY",          "owner"):      (A, A, A, A, NA),
    ("RETRY",          "nonmember"):  (D, D, D, D, NA),
    ("RETRY",          "unknown"):    (D, D, D, D, NA),
    ("ROTATE",         "requester"):  (A, A, A, A, D),
    ("ROTATE",         "guest"):      (D, D, D, D, D),
    ("ROTATE",         "reporter"):   (D, D, D, D, D),
    ("ROTATE",         "developer"):  (D, D, D, D, D),
    ("ROTATE",         "maintainer"): (A, A, A, N, D),
    ("ROTATE",         "owner"):      (A, A, A, A, D),
    ("ROTATE",         "nonmember"):  (D, D, D, D, D),
    ("ROTATE",         "unknown"):    (D, D, D, D, D),
    # Renew: TOKENBOT_RENEW_NEEDS_APPROVAL=risky; `api` and the Owner role are risk flags
    ("RENEW",          "requester"):  (A, N, A, N, D),
    ("RENEW",          "guest"):      (D, D, D, D, D),
    ("RENEW",          "reporter"):   (D, D, D, D, D),
    ("RENEW",          "developer"):  (D, D, D, D, D),
    ("RENEW",          "maintainer"): (A, N, A, N, D),
    ("RENEW",          "owner"):      (A, N, A, N, D),
    ("RENEW",          "nonmember"):  (D, D, D, D, D),
    ("RENEW",          "unknown"):    (D, D, D, D, D),
    ("CLAIM",          "requester"):  (D, D, A, A, D),
    ("CLAIM",          "guest"):      (D, D, D, D, D),
    ("CLAIM",          "reporter"):   (D, D, D, D, D),
    ("CLAIM",          "developer"):  (D, D, D, D, D),
    ("CLAIM",          "maintainer"): (A, A, A, D, D),
    ("CLAIM",          "owner"):      (A, A, A, A, D),
    ("CLAIM",          "nonmember"):  (D, D, D, D, D),
    ("CLAIM",          "unknown"):    (D, D, D, D, D),
    ("LET_EXPIRE",     "requester"):  (A, A, A, A, D),
    ("LET_EXPIRE",     "guest"):      (D, D, D, D, D),
    ("LET_EXPIRE",     "reporter"):   (D, D, D, D, D),
    ("LET_EXPIRE",     "developer"):  (D, D, D, D, D),
    ("LET_EXPIRE",     "maintainer"): (A, A, A, D, D),
    ("LET_EXPIRE",     "owner"):      (A, A, A, A, D),
    ("LET_EXPIRE",     "nonmember"):  (D, D, D, D, D),
    ("LET_EXPIRE",     "unknown"):    (D, D, D, D, D),
    ("REVOKE",         "requester"):  (A, A, A, A, D),
    ("REVOKE",         "guest"):      (D, D, D, D, D),
    ("REVOKE",         "reporter"):   (D, D, D, D, D),
    ("REVOKE",         "developer"):  (D, D, D, D, D),
    ("REVOKE",         "maintainer"): (A, A, A, D, D),
    ("REVOKE",         "owner"):      (A, A, A, A, D),
    ("REVOKE",         "nonmember"):  (D, D, D, D, D),
    ("REVOKE",         "unknown"):    (D, D, D, D, D),
    ("REVEAL",         "requester"):  (A, A, A, A, NA),
    ("REVEAL",         "guest"):      (D, D, D, D, NA),
    ("REVEAL",         "reporter"):   (D, D, D, D, NA),
    ("REVEAL",         "developer"):  (D, D, D, D, NA),
    ("REVEAL",         "maintainer"): (D, D, D, D, NA),
    ("REVEAL",         "owner"):      (D, D, D, D, NA),
    ("REVEAL",         "nonmember"):  (D, D, D, D, NA),
    ("REVEAL",         "unknown"):    (D, D, D, D, NA),
    ("REQUEST_ROTATE", "requester"):  (A, A, A, A, NA),
    ("REQUEST_ROTATE", "guest"):      (D, D, D, D, NA),
    ("REQUEST_ROTATE", "reporter"):   (D, D, D, D, NA),
    ("REQUEST_ROTATE", "developer"):  (D, D, D, D, NA),
    ("REQUEST_ROTATE", "maintainer"): (D, D, D, D, NA),
    ("REQUEST_ROTATE", "owner"):      (D, D, D, D, NA),
    ("REQUEST_ROTATE", "nonmember"):  (D, D, D, D, NA),
    ("REQUEST_ROTATE", "unknown"):    (D, D, D, D, NA),
    ("DELIVER",        "requester"):  (D, D, N, N, NA),
    ("DELIVER",        "guest"):      (D, D, D, D, NA),
    ("DELIVER",        "reporter"):   (D, D, D, D, NA),
    ("DELIVER",        "developer"):  (D, D, D, D, NA),
    ("DELIVER",        "maintainer"): (N, N, N, D, NA),
    ("DELIVER",        "owner"):      (N, N, N, N, NA),
    ("DELIVER",        "nonmember"):  (D, D, D, D, NA),
    ("DELIVER",        "unknown"):    (D, D, D, D, NA),
}
# fmt: on
ACTIONS = tuple(dict.fromkeys(action for action, _actor in TABLE))
# The shell has a path for every action, and each calls the same use case as its button:
# request, approve ID, retry ID, reveal ID, rotate ID (REQUEST_ROTATE), a request delivered to
# a CI/CD variable, and on tracked tokens rotate-token N, renew N DATE REASON, claim N,
# let-expire N and revoke N. An action it lacked would be listed here: its cells are None.
NOT_IN_SHELL: frozenset[str] = frozenset()


def _cells() -> list[Cell]:
    """Every applicable cell; tokenbot's own token last, where a bypass could hurt the bot."""
    cells = []
    for surface in ("slack", "shell"):
        for column, power in enumerate(COLUMNS):
            for (action, actor), verdicts in TABLE.items():
                expected = verdicts[column]
                if expected is None or (surface == "shell" and action in NOT_IN_SHELL):
                    continue
                cells.append(Cell(surface, action, actor, power, expected))
    return sorted(cells, key=lambda c: (c.surface != "slack", POWERS[c.power].own))


CELLS = _cells()


@dataclass
class Matrix:
    world: MatrixWorld
    shell: Terminal
    own: OwnTokenBaseline


@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Matrix]:
    data_dir: Path = tmp_path_factory.mktemp("matrix")
    with matrix_world(data_dir, lambda world: make_reminder_tokens(world, CELLS)) as world:
        before = len(world.slack.calls_to("views.open"))
        assert world.driver.command("U0OLGA", "request").status_code == 200
        world.form = world.slack.wait_for("views.open", before + 1)[-1].args["view"]
        fail_retry_requests(world, CELLS)
        own = OwnTokenBaseline.take(world, own_token_key(world))
        shell = Terminal(world.env, "U0MOWNER")
        try:
            yield Matrix(world, shell, own)
        finally:
            shell.close()


def test_the_table_has_every_action_actor_and_power() -> None:
    assert len(ACTIONS) == 11
    assert {actor for _action, actor in TABLE} == set(ACTORS)
    assert len(TABLE) == len(ACTIONS) * len(ACTORS)
    assert all(len(verdicts) == len(COLUMNS) for verdicts in TABLE.values())
    assert set(COLUMNS) == set(POWERS)


@pytest.mark.parametrize("cell", CELLS, ids=lambda cell: cell.id)
def test_verdict(matrix: Matrix, cell: Cell) -> None:
    world = matrix.world
    subject = seed_cell(world, cell, matrix.own.key)
    try:
        if cell.surface == "slack":
            answer = act_in_slack(world, cell, subject)
        else:
            answer = act_in_shell(world, matrix.shell, cell, subject)
        seen = observe(world, cell, subject, answer)
    finally:
        if POWERS[cell.power].own:
            matrix.own.restore(world)  # a bypass must not take the bot's token for the rest
    assert seen == cell.expected, f"expected {cell.expected}; saw {seen}"
