"""Benchmark: thousands of fuzzed requests to `tokenbot run`'s Slack endpoint, and the counts.

    python -m tests.benchmarks.slack_fuzz [--payloads 5000] [--seed 20240610] [--budget 900]

The same world, seed and requests as tests/e2e/test_slack_fuzz.py (tests/support/fuzz_run.py
and fuzz_payloads.py), only more of them: `tokenbot run` in HTTP mode with the GitLab
simulator (Acme) and a Slack Web API recorder, seeded with a reminder and a pending request;
then `--payloads` mutated requests over every command, action id, modal and event, some
malformed, some unsigned, sent one after another until done or `--budget` seconds passed.

Prints: requests sent, answers by status code, 5xx, answers over 3 s, answers other than the
one expected (401 for a bad signature, 400 for a malformed body, 413 over the size cap),
tracebacks nobody handled in the bot's log, changes of state (GitLab credentials, tracked
tokens, requests' states), p50/p99/max latency, and the listener failures the app-level error
handler answered for, by where they raised. Exit status 1 when any count that must be 0 is not.
"""

from __future__ import annotations

import argparse
import math
import os
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from tests.support.fuzz_payloads import cases
from tests.support.fuzz_run import (
    SLOW_SECONDS,
    LogVerdict,
    Outcome,
    changes,
    fuzz_world,
    read_log,
    seed,
    send,
    settle,
    snapshot,
)

# Settings from the machine that must not reach the bot (as tests/conftest.py scrubs them).
_FOREIGN_PREFIXES = ("SLACK_", "GITLAB_", "TOKENBOT_")
_FOREIGN = {"DATABASE_URL", "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"}


def _percentile(sorted_ms: Sequence[float], p: float) -> float:
    """Nearest rank."""
    return sorted_ms[max(0, math.ceil(p / 100 * len(sorted_ms)) - 1)] if sorted_ms else 0.0


def _clean_environment() -> None:
    for name in list(os.environ):
        if name.startswith(_FOREIGN_PREFIXES) or name in _FOREIGN:
            del os.environ[name]
    os.environ["NO_PROXY"] = "127.0.0.1,localhost"


def run(args: argparse.Namespace) -> tuple[list[Outcome], LogVerdict, list[str], float]:
    with tempfile.TemporaryDirectory(prefix="tokenbot-fuzz-") as tmp:
        print("starting tokenbot run, the GitLab simulator and the Slack recorder", file=sys.stderr)
        with fuzz_world(Path(tmp)) as world:
            targets = seed(world)
            before = snapshot(world)
            print(f"sending {args.payloads} requests (seed {args.seed})", file=sys.stderr)
            began = time.monotonic()
            outcomes = send(world, cases(args.seed, targets, args.payloads), budget_s=args.budget)
            sending_s = time.monotonic() - began
            settle(world)
            after = snapshot(world)
            verdict = read_log(world.bot.stop())
    return outcomes, verdict, changes(before, after), sending_s


def report(outcomes: list[Outcome], verdict: LogVerdict, changed: list[str], took: float) -> int:
    statuses = Counter(o.status for o in outcomes)
    ms = sorted(o.seconds * 1000 for o in outcomes)
    failing = {
        "5xx or no answer": sum(1 for o in outcomes if o.status >= 500 or o.status == 0),
        f"over {SLOW_SECONDS:.0f} s": sum(1 for o in outcomes if o.seconds >= SLOW_SECONDS),
        "not the expected status": sum(
            1 for o in outcomes if o.case.expect and o.status not in o.case.expect
        ),
        "unhandled tracebacks": len(verdict.unhandled),
        "acks Bolt gave up on": verdict.no_ack,
        "state changes": len(changed),
    }
    print(f"tokenbot Slack endpoint fuzz: {len(outcomes)} requests in {took:.1f} s")
    print("answers by status: " + ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items())))
    print(
        f"latency ms: p50 {_percentile(ms, 50):.1f}, p99 {_percentile(ms, 99):.1f},"
        f" max {ms[-1] if ms else 0:.1f}"
    )
    print("refused at the edge: " + ", ".join(f"{k} x {v}" for k, v in verdict.refused.items()))
    print(f"payloads a listener could not read (answered politely): {verdict.unreadable}")
    for label, count in failing.items():
        print(f"{label}: {count}")
    for line in verdict.unhandled[:20]:
        print(f"  unhandled: {line}")
    for line in changed:
        print(f"  changed: {line}")
    crashes = sum(verdict.crashes.values())
    print(f"listener failures answered by the error handler: {crashes}, by where they raised:")
    for site, count in verdict.crashes.most_common():
        print(f"  {count:>5}  {site}")
    return 1 if any(failing.values()) else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payloads", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=20240610)
    parser.add_argument("--budget", type=float, default=900.0, help="seconds of sending at most")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # the context managers clean up
    _clean_environment()
    outcomes, verdict, changed, took = run(args)
    sys.exit(report(outcomes, verdict, changed, took))


if __name__ == "__main__":
    main()
