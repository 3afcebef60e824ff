"""Benchmark: how fast `tokenbot run` acks Slack's interactive requests while GitLab is slow.

    python -m tests.benchmarks.ack_latency [--clicks 66] [--gitlab-latency-ms 2000] [--senders 8]
                                           [--phase-budget 20] [--drain-timeout 45]
                                           [--submissions 12] [--modal-submits 6] [--profile]
    python -m tests.benchmarks.ack_latency --sustained [--interactions 10000] [--senders 16]

(`--sustained`: see tests/benchmarks/ack_sustained.py.)

Starts the GitLab simulator (Acme demo data, its own process), a Slack Web API recorder and
`tokenbot run` in HTTP mode. With GitLab answering at once it seeds pending requests through
the request modal, provisions some for "Reveal token" and opens advisor conversations; then
every GitLab request is delayed and it times signed POSTs to /slack/events (sent -> response
read) for a mix of clicks and commands: `--clicks` from one sender, then `--clicks` from
`--senders` at once, right after (the first phase's work after its acks may still be running).
A phase stops sending after `--phase-budget` seconds.

Prints count, p50, p95, p99 and max per kind and the overall p99 against the target (issue:
"p99 under 100 ms"; every answer must also be HTTP 200), the GitLab requests the simulator
answered (the work after the acks really happened), how many approved tokens were created,
and the request form's submit (`--submissions`, each third sent twice with the same view hash,
as Slack sends a form submitted again): p99 under 100 ms, all 200, and exactly one request
stored (one approval card) per submitted form. `--modal-submits`: the deny, job-token, renew
and break-glass submits likewise, one outcome each (tests/benchmarks/ack_submits.py).
`--profile` first sends one of each kind to the idle bot and lists the GitLab requests and
Slack calls each makes after its ack, and for how long.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import signal
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from tests.benchmarks import ack_submits
from tests.benchmarks.slack_world import (
    APPROVALS,
    Click,
    Message,
    Sample,
    SlackWorld,
    send_clicks,
    send_one,
    slack_world,
)
from tests.support.slack_api import SlackRecorder
from tests.support.slack_requests import submit

TARGET_MS = 100.0
PREFIX = "bench-"  # name of every token the benchmark requests

APPROVE = "approve (GitLab after ack)"
DENY = "deny (opens modal)"
REVEAL = "reveal token"
ANSWER = "advisor answer"
REQUEST_OPEN = "request this token (modal)"
HELP = "/token help"
WHICH = "/token which"
PENDING = "/token pending (GitLab after ack)"
HOME = "Home tab opened (event)"
SUBMIT = "request form submit"  # view_submission: acks at once, checks GitLab after it
SUBMIT_SETTLE_S = 120.0  # for every submitted form's GitLab check after its ack to end
KINDS = (APPROVE, DENY, REVEAL, ANSWER, REQUEST_OPEN, HELP, WHICH, PENDING, HOME)
# One round of the mix; a phase repeats it. (Opening the Home tab is an event, acked by Bolt
# before its listener runs; only --profile sends it.)
ROUND = (
    APPROVE,
    DENY,
    ANSWER,
    HELP,
    APPROVE,
    REVEAL,
    REQUEST_OPEN,
    ANSWER,
    WHICH,
    APPROVE,
    PENDING,
)
WARM_UP = (DENY, ANSWER, HELP, REVEAL, REQUEST_OPEN, WHICH) * 2

# (requester, project, approvers): Developers request a Reporter read_api project token, which
# a Maintainer or Owner of the project approves alone (not risky).
REQUESTERS = (
    ("U0CAROL", "acme/platform/infra/terraform", ("U0ALICE", "U0BOB")),
    ("U0ERIN", "acme/payments/checkout-api", ("U0DAVE", "U0ALICE")),
)
# The e2e path through the advisor to a requestable recommendation (project access token).
TO_RECOMMENDATION = (
    ("Automation that calls the GitLab API (bots, integrations, CI jobs)", None),
    ("No", None),
    ("Yes", None),
    ("No", None),
    ("Continue", ["clone", "read_images"]),
)


@dataclass
class Pools:
    """What the clicks act on, prepared before GitLab slows down."""

    form: dict[str, dict[str, Any]]  # requester -> request modal view
    seeded: int  # requests submitted through the modal
    pending: Iterator[tuple[Message, str]]  # a pending request's approval card, an approver
    deny_cards: list[Message]
    reveal_dms: list[tuple[Message, str]]  # the "token is ready" DM, its requester
    reveal_next: Iterator[tuple[Message, str]]  # each DM in turn: the first click reveals
    conversations: Iterator[tuple[Message, str]]  # a fresh advisor message, its owner
    recommendation: tuple[Message, str]


# ----------------------------------------------------------------------- helpers


def _settle(check: Callable[[], bool], timeout: float, interval: float = 0.02) -> bool:
    """Poll `check` until it holds (True) or `timeout` seconds pass (False)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)
    return True


def _wait(what: str, check: Callable[[], bool], timeout: float = 30.0) -> None:
    if not _settle(check, timeout):
        raise RuntimeError(f"timed out waiting for {what}")


def _values(blocks: Sequence[dict[str, Any]], action_id: str) -> list[str]:
    return [
        str(e.get("value", ""))
        for b in blocks
        for e in b.get("elements", [])
        if e.get("action_id") == action_id
    ]


def _posted(slack: SlackRecorder, action_id: str, channel: str | None = None) -> list[Message]:
    """Messages the bot posted with the element `action_id` (optionally in `channel`)."""
    found = []
    for call in slack.calls_to("chat.postMessage"):
        blocks = call.args.get("blocks") or []
        if (channel is None or call.args.get("channel") == channel) and _values(blocks, action_id):
            found.append(
                {"channel": call.answer["channel"], "ts": call.answer["ts"], "blocks": blocks}
            )
    return found


def _ok(response: requests.Response, what: str) -> requests.Response:
    if response.status_code != 200:
        raise RuntimeError(f"{what}: HTTP {response.status_code} {response.text[:200]}")
    return response


def _answers(target: str, name: str) -> dict[str, Any]:
    return {
        "target": target,
        "token_type": "project_access_token",
        "name": name,
        "scopes": ["read_api"],
        "role": "20",
        "expires_on": (datetime.now(UTC).date() + timedelta(days=30)).isoformat(),
        "reason": "ack latency benchmark",
        "delivery": "reveal",
    }


def _progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _percentile(sorted_ms: Sequence[float], p: float) -> float:
    """Nearest rank: with fewer than 100 samples, p99 is the maximum."""
    return sorted_ms[max(0, math.ceil(p / 100 * len(sorted_ms)) - 1)]


# ----------------------------------------------------------------------- setup (GitLab fast)


def _open_form(world: SlackWorld, user: str) -> dict[str, Any]:
    before = len(world.slack.calls_to("views.open"))
    _ok(world.driver.command(user, "request"), "/token request")
    view: dict[str, Any] = world.slack.wait_for("views.open", before + 1)[-1].args["view"]
    return view


def _seed_requests(world: SlackWorld, forms: dict[str, dict[str, Any]], count: int) -> None:
    """Submit `count` requests through the modal, as the requesters would (4 at a time)."""

    def one(i: int) -> None:
        requester, target, _ = REQUESTERS[i % len(REQUESTERS)]
        answers = _answers(target, f"{PREFIX}{i:03d}")
        response = _ok(submit(world.driver, requester, forms[requester], answers), "submission")
        if response.json().get("response_action") != "update":  # "Checking with GitLab…"
            raise RuntimeError(f"request submission refused: {response.text[:300]}")

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(one, range(count)))
    _wait(
        "approval cards", lambda: len(_posted(world.slack, "request.approve", APPROVALS)) >= count
    )


def _approver(card: Message) -> str:
    text = json.dumps(card["blocks"])
    for _, target, approvers in REQUESTERS:
        if target in text:
            return approvers[0]
    raise RuntimeError("an approval card for an unknown target")


def _provision(world: SlackWorld, cards: list[Message]) -> list[tuple[Message, str]]:
    """Approve `cards` while GitLab is fast; return the requesters' "ready" DMs."""
    for card in cards:
        _ok(world.driver.click(_approver(card), card, "request.approve"), "approve")
    ids = {_values(card["blocks"], "request.approve")[0] for card in cards}

    def ready() -> list[tuple[Message, str]]:
        return [
            (m, str(m["channel"]))
            for m in _posted(world.slack, "request.reveal")
            if _values(m["blocks"], "request.reveal")[0] in ids
        ]

    _wait("provisioned tokens", lambda: len(ready()) >= len(cards), timeout=60)
    return ready()


def _conversations(world: SlackWorld, count: int, tag: str) -> list[tuple[Message, str]]:
    """Start `count` advisor conversations, one per (made-up) person."""
    users = [f"U0{tag}{i:03d}" for i in range(count)]
    for user in users:
        _ok(world.driver.command(user, "which"), "/token which")
    found: dict[str, Message] = {}

    def started() -> bool:
        for message in _posted(world.slack, "advisor.answer.0"):
            found.setdefault(str(message["channel"]), message)
        return all("D" + u.removeprefix("U") in found for u in users)

    _wait("advisor conversations", started)
    return [(found["D" + u.removeprefix("U")], u) for u in users]


def _buttons(message: Message) -> dict[str, str]:
    return {
        e["text"]["text"]: e["action_id"]
        for b in message["blocks"]
        for e in b.get("elements", [])
        if e.get("type") == "button"
    }


def _walk_to_recommendation(world: SlackWorld) -> tuple[Message, str]:
    [(message, user)] = _conversations(world, 1, "REC")
    for label, selected in TO_RECOMMENDATION:
        before = len(world.slack.calls_to("chat.update"))
        action_id = _buttons(message).get(label)
        if action_id is None:
            raise RuntimeError(f"the advisor offers no {label!r} button any more")
        _ok(world.driver.click(user, message, action_id, selected=selected), label)
        update = world.slack.wait_for("chat.update", before + 1)[-1]
        message = {**message, "blocks": update.args["blocks"]}
    if not _values(message["blocks"], "advisor.request"):
        raise RuntimeError("the recommendation has no 'Request this token' button")
    return message, user


def prepare(world: SlackWorld, *, approves: int, reveals: int, answers: int) -> Pools:
    forms = {requester: _open_form(world, requester) for requester, _, _ in REQUESTERS}
    deny_count = 4
    _seed_requests(world, forms, approves + reveals + deny_count)
    cards = _posted(world.slack, "request.approve", APPROVALS)
    to_reveal, deny_cards, pending = (
        cards[:reveals],
        cards[reveals : reveals + deny_count],
        cards[reveals + deny_count :],
    )
    return Pools(
        form=forms,
        seeded=len(cards),
        pending=iter([(card, _approver(card)) for card in pending]),
        deny_cards=deny_cards,
        reveal_dms=(dms := _provision(world, to_reveal)),
        reveal_next=itertools.cycle(dms),
        conversations=iter(_conversations(world, answers, "ADV")),
        recommendation=_walk_to_recommendation(world),
    )


# ----------------------------------------------------------------------- clicks


def _plan(kinds: Sequence[str], pools: Pools) -> list[Click]:
    """One Click per kind, each bound to its own card, conversation or command."""
    deny = itertools.cycle(pools.deny_cards)
    counter = itertools.count()
    clicks = []
    for kind in kinds:
        if kind == APPROVE:
            card, approver = next(pools.pending)
            clicks.append(_click(kind, approver, card, "request.approve"))
        elif kind == DENY:
            clicks.append(_click(kind, "U0ALICE", next(deny), "request.deny"))
        elif kind == REVEAL:
            dm, requester = next(pools.reveal_next)
            clicks.append(_click(kind, requester, dm, "request.reveal"))
        elif kind == ANSWER:
            message, owner = next(pools.conversations)
            clicks.append(_click(kind, owner, message, "advisor.answer.0"))
        elif kind == REQUEST_OPEN:
            message, owner = pools.recommendation
            clicks.append(_click(kind, owner, message, "advisor.request"))
        elif kind == HELP:
            clicks.append(_command(kind, "U0FRANK", "help"))
        elif kind == PENDING:
            clicks.append(_command(kind, "U0ALICE", "pending"))
        elif kind == HOME:
            clicks.append(_home_opened())
        else:
            clicks.append(_command(kind, f"U0WHICH{next(counter):03d}", "which"))
    return clicks


def _click(kind: str, user: str, message: Message, action_id: str) -> Click:
    return Click(kind, user, message=message, action_id=action_id)


def _command(kind: str, user: str, text: str) -> Click:
    return Click(kind, user, command=text)


def _home_opened() -> Click:
    return Click(
        HOME, "U0BOB", event={"type": "app_home_opened", "channel": "D0BOB", "tab": "home"}
    )


def timed_submissions(world: SlackWorld, pools: Pools, count: int) -> list[Sample]:
    """The request form's submit; each third form is sent twice, unchanged (same hash)."""
    samples = []
    for i in range(count):
        requester, target, _ = REQUESTERS[i % len(REQUESTERS)]
        answers = _answers(target, _submitted_name(i))
        view_hash = f"1700000700.{i:06d}"
        for _ in range(2 if i % 3 == 0 else 1):
            try:
                form = pools.form[requester]
                sent = submit(world.driver, requester, form, answers, view_hash=view_hash)
                status = sent.status_code
            except requests.RequestException:
                status = 0
            samples.append(Sample(SUBMIT, world.driver.elapsed() * 1000, status))
    return samples


def _submitted_name(i: int) -> str:
    return f"{PREFIX}submit-{i:02d}"


def _stored_submissions(slack: SlackRecorder, count: int) -> Counter[str]:
    """Approval cards posted per submitted form's name (one each: stored exactly once)."""
    cards = [json.dumps(card["blocks"]) for card in _posted(slack, "request.approve", APPROVALS)]
    return Counter(
        {_submitted_name(i): sum(_submitted_name(i) in c for c in cards) for i in range(count)}
    )


@dataclass(frozen=True)
class Profiled:
    kind: str
    ack_ms: float
    gitlab: list[str]  # "METHOD path" of the GitLab requests the click caused
    busy_s: float
    slack: list[str]  # Slack Web API methods it called


def profile(world: SlackWorld, pools: Pools, *, latency_s: float) -> list[Profiled]:
    """One click of each kind on an idle bot: its ack, and the work it does after the ack.

    "Busy" runs from the click to the last GitLab answer or Slack call it caused, found by
    polling (0.1 s) until nothing happens for longer than one GitLab answer takes.
    """
    rows = []
    for kind in KINDS:
        [click] = _plan([kind], pools)
        requests_before, calls_before = world.gitlab.stats()["requests"], len(world.slack.calls)
        started = time.monotonic()
        ack_ms = send_one(world.driver, click).ms
        seen, last = (requests_before, calls_before), started
        while time.monotonic() - last < latency_s + 0.5:
            now = (world.gitlab.stats()["requests"], len(world.slack.calls))
            if now != seen:
                seen, last = now, time.monotonic()
            time.sleep(0.1)
        rows.append(
            Profiled(
                kind,
                ack_ms,
                world.gitlab.paths(requests_before),
                last - started,
                [c.method for c in world.slack.calls[calls_before:]],
            )
        )
    return rows


# ----------------------------------------------------------------------- report


def _row(label: str, samples: Sequence[Sample]) -> str:
    if not samples:
        return f"  {label:<34} {0:>5}"
    ms = sorted(s.ms for s in samples)
    bad = sum(1 for s in samples if s.status != 200)
    figures = "".join(f"{v:>9.1f}" for v in (_percentile(ms, p) for p in (50, 95, 99)))
    return f"  {label:<34} {len(ms):>5} {bad:>7}{figures}{ms[-1]:>9.1f}"


def _table(title: str, samples: Sequence[Sample], kinds: Sequence[str] = KINDS) -> None:
    print(f"{title:<36} {'count':>5} {'non-200':>7}{'p50':>9}{'p95':>9}{'p99':>9}{'max':>9}  (ms)")
    for kind in kinds:
        chosen = [s for s in samples if s.kind == kind]
        if chosen:
            print(_row(kind, chosen))
    if len(kinds) > 1:
        print(_row("all kinds", samples))


def _statuses(samples: Sequence[Sample]) -> str:
    counts = Counter(s.status for s in samples if s.status != 200)
    return ", ".join(f"HTTP {code or 'none (timeout)'} x {n}" for code, n in sorted(counts.items()))


@dataclass
class Outcome:
    setup_s: float
    seeded: int
    revealable: int
    profiled: list[Profiled]
    phases: list[tuple[str, int, list[Sample]]]  # title, clicks planned, samples
    drained_s: float | None  # provisioning finished this long after the last click
    before: dict[str, Any]  # GitLab stats before the first measured click...
    drain: dict[str, Any]  # ...after provisioning (or the drain timeout)...
    final: dict[str, Any]  # ...and at the end
    submissions: list[Sample]
    stored: Counter[str]  # approval cards per submitted form
    log: list[str]
    notes: str = ""  # what the work queue told people (busy, still working)
    modal: ack_submits.Submits | None = None  # deny, job-token, renew, break-glass submits


def measure(args: argparse.Namespace) -> Outcome:
    phases = [
        ("sequential (1 sender)", 1, [ROUND[i % len(ROUND)] for i in range(args.clicks)]),
        (
            f"concurrent ({args.senders} senders)",
            args.senders,
            [ROUND[(i + 3) % len(ROUND)] for i in range(args.clicks)],
        ),
    ]
    planned = [kind for _, _, kinds in phases for kind in kinds]
    began = time.monotonic()
    _progress("starting GitLab (simulator), the Slack recorder and tokenbot run; seeding requests")
    with slack_world() as world:
        pools = prepare(
            world,
            approves=planned.count(APPROVE) + (1 if args.profile else 0),
            reveals=max(1, min(8, planned.count(REVEAL) + WARM_UP.count(REVEAL))),
            answers=planned.count(ANSWER) + WARM_UP.count(ANSWER) + 1,
        )
        modal = ack_submits.prepare(world, pools.form[REQUESTERS[0][0]], args.modal_submits)
        setup_s = time.monotonic() - began
        world.gitlab.latency(args.gitlab_latency_ms)
        _progress(f"GitLab latency now {args.gitlab_latency_ms:.0f} ms; warming up")
        for click in _plan(WARM_UP, pools):
            send_one(world.driver, click)
        time.sleep(1.0)  # let the warm-up's own work after the acks finish
        profiled = []
        if args.profile:
            _progress("profiling one of each kind on the idle bot")
            profiled = profile(world, pools, latency_s=args.gitlab_latency_ms / 1000)

        before = world.gitlab.stats(PREFIX)
        results: list[tuple[str, int, list[Sample]]] = []
        for title, senders, kinds in phases:
            _progress(f"measuring: {title}")
            clicks = _plan(kinds, pools)
            samples = send_clicks(
                world.bot.url,
                clicks,
                senders=senders,
                budget=args.phase_budget,
                response_url=world.slack.hooks_url,
            )
            results.append((title, len(clicks), samples))
        last_click = time.monotonic()

        approved = sum(1 for _, _, samples in results for s in samples if s.kind == APPROVE)
        expected_tokens = before["tokens"] + approved
        _progress("waiting for the approved tokens to be provisioned")
        drained = _settle(
            lambda: world.gitlab.stats(PREFIX)["tokens"] >= expected_tokens,
            args.drain_timeout,
            interval=0.2,
        )
        drained_s = time.monotonic() - last_click if drained else None
        drain = world.gitlab.stats(PREFIX)

        _progress("timing request modal submissions; then stopping everything")
        updated = len(world.slack.calls_to("views.update"))
        submissions = timed_submissions(world, pools, args.submissions)
        # Every submit ends in one views.update (the form again, or the confirmation), a new
        # request's card posted before it: once all are in, every card there will be is there.
        _settle(
            lambda: len(world.slack.calls_to("views.update")) >= updated + len(submissions),
            SUBMIT_SETTLE_S,
            interval=0.2,
        )
        stored = _stored_submissions(world.slack, args.submissions)
        _progress("timing the deny, job-token, renew and break-glass submits")
        modal = ack_submits.run(world, modal)
        return Outcome(
            setup_s=setup_s,
            seeded=pools.seeded,
            revealable=len(pools.reveal_dms),
            profiled=profiled,
            phases=results,
            drained_s=drained_s,
            before=before,
            drain=drain,
            final=world.gitlab.stats(PREFIX),
            submissions=submissions,
            stored=stored,
            log=list(world.bot.stderr),
            notes=_notes(world.slack),
            modal=modal,
        )


def _notes(slack: SlackRecorder) -> str:
    from tests.benchmarks.ack_sustained import count_notes  # lazily: it imports this module

    notes = count_notes(slack)
    return (
        f"busy (try again) {notes.busy} in replies + {notes.home_busy} Home tabs; still working"
        f" {notes.still_working} in replies + {notes.home_still} Home tabs"
    )


def _print_profile(rows: list[Profiled], latency: str) -> None:
    print(f"profile: one of each on the idle bot, GitLab at {latency} per request")
    print(f"  {'kind':<34} {'ack ms':>7} {'busy s':>7}  after the ack")
    for row in rows:
        print(
            f"  {row.kind:<34} {row.ack_ms:>7.1f} {row.busy_s:>7.1f}"
            f"  {len(row.gitlab)} GitLab requests; Slack: {', '.join(row.slack) or '-'}"
        )
        for path in row.gitlab:
            print(f"  {'':<51}{path}")
    print()


def report(args: argparse.Namespace, outcome: Outcome, elapsed_s: float) -> None:
    latency = f"{args.gitlab_latency_ms:.0f} ms"
    print(
        f"tokenbot ack latency: Slack requests to /slack/events while GitLab answers in {latency}"
    )
    print(
        f"setup with GitLab answering at once: {outcome.seeded} requests submitted through the"
        f" modal, {outcome.revealable} of them approved for reveal, advisor conversations;"
        f" {outcome.setup_s:.1f} s"
    )
    print(
        "round trip: signed POST sent -> whole response read; each sender is a process of its"
        " own with a keep-alive session\n"
    )
    if outcome.profiled:
        _print_profile(outcome.profiled, latency)
    for title, planned_count, samples in outcome.phases:
        _table(title, samples)
        if len(samples) < planned_count:
            print(
                f"  (stopped after the {args.phase_budget:.0f} s budget:"
                f" {len(samples)} of {planned_count} sent)"
            )
        print()

    measured = [s for _, _, samples in outcome.phases for s in samples]
    p99 = _percentile(sorted(s.ms for s in measured), 99)
    failed = [s for s in measured if s.status != 200]
    verdict = "PASS" if p99 < TARGET_MS and not failed else "FAIL"
    print(_row("overall (both phases)", measured).replace("  overall", "overall  ", 1))
    print(
        f"overall p99: {p99:.1f} ms over {len(measured)} requests; target: under"
        f" {TARGET_MS:.0f} ms, all answered 200   {verdict}"
    )
    if failed:
        print(f"  not 200: {_statuses(failed)}")
    print()

    if outcome.submissions:
        _report_submissions(outcome, latency)
    if outcome.modal is not None:
        ack_submits.report(outcome.modal, latency, _table, _percentile, TARGET_MS)

    before, drain, final = outcome.before, outcome.drain, outcome.final
    print(
        f"GitLab requests answered by the simulator: {drain['requests'] - before['requests']}"
        f" from the first measured click until provisioning ended (or the drain timeout),"
        f" {final['requests']} in the whole run; peak in flight {final['peak_in_flight']}"
    )
    approved = sum(1 for s in measured if s.kind == APPROVE)
    when = (
        f"{outcome.drained_s:.1f} s after the last click"
        if outcome.drained_s is not None
        else "not finished"
    )
    print(
        f"tokens created by the measured approvals: {drain['tokens'] - before['tokens']} of"
        f" {approved} (provisioning {when}; drain timeout {args.drain_timeout:.0f} s)"
    )
    print(f"work queue notes in the whole run: {outcome.notes}")
    no_ack = sum(1 for line in outcome.log if "didn't call ack()" in line)
    print(f'bot log lines "didn\'t call ack()" (Bolt gave up waiting 3 s for the ack): {no_ack}')
    print(f"total time: {elapsed_s:.1f} s")


def _report_submissions(outcome: Outcome, latency: str) -> None:
    """The request form's submit against its own target (issue 15)."""
    samples = outcome.submissions
    print(
        f'request form submit with GitLab at {latency}: acked at once ("Checking with'
        ' GitLab…"), checked after the ack; each third form sent twice unchanged'
    )
    _table("view_submission", samples, kinds=(SUBMIT,))
    p99 = _percentile(sorted(s.ms for s in samples), 99)
    bad = [s for s in samples if s.status != 200]
    once = sorted(outcome.stored.values()) == [1] * len(outcome.stored)
    verdict = "PASS" if p99 < TARGET_MS and not bad and once else "FAIL"
    cards = sum(outcome.stored.values())
    print(
        f"submit p99: {p99:.1f} ms over {len(samples)} submits of {len(outcome.stored)} forms;"
        f" approval cards: {cards} (one per form: {'yes' if once else 'no'}); target: under"
        f" {TARGET_MS:.0f} ms, all 200, one request per form   {verdict}"
    )
    if bad:
        print(f"  not 200: {_statuses(bad)}")
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clicks", type=int, default=66, help="measured requests per phase")
    parser.add_argument("--gitlab-latency-ms", type=float, default=2000.0)
    parser.add_argument(
        "--senders", type=int, default=None, help="parallel senders (8; --sustained: 16)"
    )
    parser.add_argument(
        "--phase-budget", type=float, default=None, help="seconds per phase (20; --sustained: 900)"
    )
    parser.add_argument(
        "--sustained", action="store_true", help="one long run instead (ack_sustained.py)"
    )
    parser.add_argument("--interactions", type=int, default=10_000, help="--sustained only")
    parser.add_argument(
        "--drain-timeout", type=float, default=45.0, help="seconds to wait for provisioning"
    )
    parser.add_argument("--submissions", type=int, default=12, help="request forms submitted")
    parser.add_argument(
        "--modal-submits",
        type=int,
        default=6,
        help="forms of each other submit (deny, job-token, renew, break-glass); 0: none",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="first, one click of each kind on the idle bot: GitLab work after the ack",
    )
    args = parser.parse_args()
    # SIGTERM ends the run like Ctrl-C: the context managers stop every child process.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.senders is None:
        args.senders = 16 if args.sustained else 8
    if args.phase_budget is None:
        args.phase_budget = 900.0 if args.sustained else 20.0
    if args.sustained:
        from tests.benchmarks import ack_sustained  # lazily: it imports this module

        ack_sustained.run(args)
        return
    began = time.monotonic()
    outcome = measure(args)
    report(args, outcome, time.monotonic() - began)


if __name__ == "__main__":
    main()
