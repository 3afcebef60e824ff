"""Fuzzing Slack's endpoint of `tokenbot run`: a few hundred seeded, mutated, signed (and some
unsigned) requests over every command, action id, modal and event the app registers.

Each must be answered under 500 and within Slack's 3 s; the bot's log must hold no traceback
that its error handler did not handle; and nobody in the fuzz (a requester, a Developer,
people tokenbot does not know) may change a credential, a tracked token or a request's state.
tests/benchmarks/slack_fuzz.py runs the same requests by the thousand.
"""

from __future__ import annotations

import time
from pathlib import Path

from bot.slack import ids
from bot.slack.manifest import BOT_EVENTS
from tests.support.fuzz_bases import ACTIONS, CALLBACKS, EVENTS, SUBCOMMANDS
from tests.support.fuzz_payloads import cases
from tests.support.fuzz_run import (
    SLOW_SECONDS,
    changes,
    fuzz_world,
    read_log,
    seed,
    send,
    settle,
    snapshot,
)

SEED = 20240610
COUNT = 600
BUDGET_S = 40.0  # sending stops after this, whatever was sent


def test_every_registered_id_is_fuzzed() -> None:
    action_ids = {
        value
        for name, value in vars(ids).items()
        if isinstance(value, str) and name.isupper() and name not in {"COMMAND", "ANSWER"}
    } - {ids.CAPABILITIES_BLOCK, ids.JOB_ACCESS_COMMAND, ids.BREAKGLASS_COMMAND, *CALLBACKS}
    assert action_ids <= set(ACTIONS)
    assert any(ids.ANSWER_PATTERN.match(a) for a in ACTIONS)
    assert {
        "which",
        "request",
        "mine",
        "pending",
        ids.JOB_ACCESS_COMMAND,
        ids.BREAKGLASS_COMMAND,
        "help",
    } <= set(SUBCOMMANDS)
    assert {e.split(".")[0] for e in BOT_EVENTS} <= set(EVENTS)


def test_fuzzed_requests_get_no_5xx_no_slow_answer_no_traceback_and_change_nothing(
    tmp_path: Path,
) -> None:
    began = time.monotonic()
    with fuzz_world(tmp_path) as world:
        targets = seed(world)
        before = snapshot(world)
        outcomes = send(world, cases(SEED, targets, COUNT), budget_s=BUDGET_S)
        settle(world)
        after = snapshot(world)
        verdict = read_log(world.bot.stop())
    print(f"{len(outcomes)} requests in {time.monotonic() - began:.1f} s; crashes handled:")
    for site, count in verdict.crashes.most_common():
        print(f"  {count:>4}  {site}")

    assert len(outcomes) >= 500
    assert [(o.status, o.case.label) for o in outcomes if o.status >= 500 or o.status == 0] == []
    assert [
        (round(o.seconds, 2), o.case.label) for o in outcomes if o.seconds >= SLOW_SECONDS
    ] == []
    wrong = [(o.status, sorted(o.case.expect), o.case.label) for o in outcomes if o.case.expect]
    assert [w for w in wrong if w[0] not in w[1]] == []
    assert verdict.unhandled == []
    assert verdict.no_ack == 0
    assert changes(before, after) == []
    # The protections were exercised: refusals of each kind, and listener failures handled.
    assert {"400", "401", "413"} <= set(verdict.refused) | {str(o.status) for o in outcomes}
