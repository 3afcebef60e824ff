"""Fuzzing `tokenbot run`: the world it runs in, what it is seeded with, the sending and the
verdict (answers, the bot's log, and what changed in GitLab and the database).

Shared by tests/e2e/test_slack_fuzz.py (a few hundred requests in CI) and the benchmark
tests/benchmarks/slack_fuzz.py (thousands); the requests come from `fuzz_payloads`.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import sqlalchemy as sa

from bot.sandbox import GitlabSimulator, SandboxServer
from bot.slack import ids
from tests.cli_runner import run_tokenbot
from tests.support.acme import seed_acme
from tests.support.bot_process import BOT_TOKEN, start_bot
from tests.support.fuzz_bases import Targets
from tests.support.fuzz_payloads import Case, headers
from tests.support.request_world import (
    ALICE,
    ANSWERS,
    APPROVALS,
    DAN,
    OLGA,
    OMAR,
    PAYMENTS,
    REMINDERS,
    World,
    card_in,
    dm_with_button,
    open_form,
    send_form,
)
from tests.support.slack_api import SlackRecorder
from tests.support.slack_requests import SlackDriver

# Who acts in the fuzz: dan is the seeded request's requester and a Developer (he may not
# decide his own request, nor act on reminders); the others are unknown to TOKENBOT_USER_MAP.
ACTORS = (DAN, "U0MALLORY", "U0NOBODY")
SLOW_SECONDS = 3.0  # Slack gives up on an answer after 3 s
_FRAME = re.compile(r'File "[^"]*/(bot/[^"]+)", line (\d+)')


@contextmanager
def fuzz_world(data_dir: Path) -> Iterator[World]:
    """`tokenbot run`, the GitLab simulator with Acme and a Slack recorder (as `world`)."""
    sim = GitlabSimulator()
    bot_token = seed_acme(sim)
    with SandboxServer(sim) as gitlab, SlackRecorder() as slack:
        env = {
            "GITLAB_URL": gitlab.url,
            "GITLAB_TOKEN": bot_token,
            "TOKENBOT_APPROVALS_CHANNEL": APPROVALS,
            "TOKENBOT_APPROVALS_ROUTES": f"acme/payments={PAYMENTS}",
            "TOKENBOT_SECRET_KEY": "test-only-key-0123456789-abcdefghijklmnop",
            "TOKENBOT_USER_MAP": f"{ALICE}=alice,{OLGA}=olga,{OMAR}=omar,{DAN}=dan",
            "TOKENBOT_WATCHED_GROUPS": "acme",
            "TOKENBOT_REMINDERS_CHANNEL": REMINDERS,
        }
        bot = start_bot(slack_api_url=slack.url, data_dir=data_dir, extra_env=env)
        env |= {
            "TOKENBOT_DATA_DIR": str(data_dir),
            "SLACK_API_URL": slack.url,
            "SLACK_BOT_TOKEN": BOT_TOKEN,
        }
        try:
            driver = SlackDriver(bot.url, response_url=slack.hooks_url)
            yield World(sim, slack, bot, driver, data_dir, gitlab.url, env)
        finally:
            bot.stop()


def seed(world: World) -> Targets:
    """A reminder, a pending request of dan's, and every message and view the fuzz clicks in."""
    for command in ("sync", "remind"):
        done = run_tokenbot(command, env=world.env)
        assert done.code == 0, done.err
    [reminder] = _posted(world, REMINDERS)
    request_form = open_form(world, DAN)
    assert send_form(world, DAN, request_form, ANSWERS).sent
    card = card_in(world)
    views = {ids.REQUEST_SUBMIT: request_form}
    key = _value_of(reminder, ids.REMINDER_CLAIM)
    renew = {"type": "button", "action_id": ids.REMINDER_RENEW, "value": key}
    renewable = {**reminder, "blocks": [{"type": "actions", "block_id": "r", "elements": [renew]}]}
    for message, action_id, callback in (
        (card, ids.REQUEST_DENY, ids.DENY_SUBMIT),
        (renewable, ids.REMINDER_RENEW, ids.REMINDER_RENEW_SUBMIT),
    ):
        before = len(world.slack.calls_to("views.open"))
        world.driver.click(DAN, message, action_id)
        views[callback] = world.slack.wait_for("views.open", before + 1)[-1].args["view"]
    world.driver.home_opened(DAN)
    views["home"] = world.slack.wait_for("views.publish")[-1].args["view"]
    world.driver.command(DAN, "which")
    [advice] = _posted(world, "D" + DAN[1:])
    return Targets(
        users=ACTORS,
        requester=DAN,
        request_ids=(_value_of(card, ids.REQUEST_APPROVE), "00000000-0000-0000-0000-000000000000"),
        token_keys=(key, "project_access_token:999999"),
        messages=(
            card,
            reminder,
            renewable,
            dm_with_button(world, DAN, ids.REQUEST_CANCEL),
            advice,
        ),
        views=views,
        response_url=world.slack.hooks_url,
    )


def _posted(world: World, channel: str) -> list[dict[str, Any]]:
    """The messages the bot posted in `channel`, as Slack holds them (waits for the first)."""
    for _ in range(200):
        found = [
            c for c in world.slack.calls_to("chat.postMessage") if c.args["channel"] == channel
        ]
        if found:
            return [
                {"channel": channel, "ts": c.answer["ts"], "blocks": c.args["blocks"]}
                for c in found
            ]
        time.sleep(0.05)
    raise AssertionError(f"nothing posted in {channel}")


def _value_of(message: dict[str, Any], action_id: str) -> str:
    for block in message["blocks"]:
        for element in block.get("elements", []):
            if element.get("action_id") == action_id:
                return str(element["value"])
    raise AssertionError(f"no {action_id} in the message")


@dataclass(frozen=True)
class State:
    gitlab: tuple[Any, ...]  # every token's id, revoked flag and expiry; other credentials
    requests: dict[str, str]  # request id -> state
    tracked: tuple[tuple[Any, ...], ...]  # tracked token: key, status, owner, muted


def snapshot(world: World) -> State:
    state = world.sim.state
    with state.lock:
        tokens = tuple(sorted((t.id, t.revoked, t.expires_at) for t in state.tokens.values()))
        others = (len(state.deploy_tokens), len(state.triggers), len(state.variables))
    engine = sa.create_engine(f"sqlite:///{world.data_dir / 'tokenbot.db'}")
    try:
        with engine.connect() as db:
            rows = db.execute(sa.text("SELECT id, state FROM token_requests")).all()
            tracked = db.execute(
                sa.text("SELECT key, status, owner, muted FROM tracked_tokens ORDER BY key")
            ).all()
    finally:
        engine.dispose()
    return State((tokens, others), {r[0]: r[1] for r in rows}, tuple(tuple(r) for r in tracked))


def changes(before: State, after: State) -> list[str]:
    """What changed that nobody in the fuzz was allowed to change. New pending requests are
    fine (dan may ask for a token), and so are tokens the scheduled inventory sync starts
    tracking (`tokenbot run` syncs a minute after it starts)."""
    found = []
    if before.gitlab != after.gitlab:
        found.append(f"GitLab credentials changed: {before.gitlab} -> {after.gitlab}")
    now = {row[0]: row for row in after.tracked}  # the scheduled sync may add rows; fine
    for row in before.tracked:
        if now.get(row[0]) != row:
            found.append(f"tracked token {row[0]}: {row[1:]} -> {now.get(row[0])}")
    for request_id, state in after.requests.items():
        if before.requests.get(request_id, "pending") != state:
            found.append(f"request {request_id}: {before.requests.get(request_id)} -> {state}")
    return found


@dataclass(frozen=True)
class Outcome:
    case: Case
    status: int  # 0: no answer (timeout or connection error)
    seconds: float


def send(world: World, cases: Sequence[Case], *, budget_s: float) -> list[Outcome]:
    """Send `cases` one after another (keep-alive) until done or `budget_s` has passed."""
    outcomes: list[Outcome] = []
    deadline = time.monotonic() + budget_s
    with requests.Session() as session:
        for case in cases:
            if time.monotonic() > deadline:
                break
            started = time.perf_counter()
            try:
                answer = session.post(
                    world.driver.endpoint,
                    data=case.body,
                    headers=headers(case, time.time()),
                    timeout=SLOW_SECONDS + 7,
                )
                status = answer.status_code
            except requests.RequestException:
                status = 0
            outcomes.append(Outcome(case, status, time.perf_counter() - started))
    return outcomes


def settle(world: World, *, quiet_s: float = 1.0, timeout_s: float = 30.0) -> None:
    """Wait until the bot's work after the acks is done: no Slack call for `quiet_s`."""
    deadline = time.monotonic() + timeout_s
    seen, since = len(world.slack.calls), time.monotonic()
    while time.monotonic() < deadline and time.monotonic() - since < quiet_s:
        time.sleep(0.1)
        if len(world.slack.calls) != seen:
            seen, since = len(world.slack.calls), time.monotonic()


@dataclass
class LogVerdict:
    unhandled: list[str] = field(default_factory=list)  # tracebacks nobody handled
    crashes: Counter[str] = field(default_factory=Counter)  # listener failures, handled
    unreadable: int = 0  # payloads the readers refused (MalformedPayload), handled
    refused: Counter[str] = field(default_factory=Counter)  # the edge's refusals by reason
    no_ack: int = 0  # Bolt gave up waiting for an ack


def read_log(log: str) -> LogVerdict:
    verdict = LogVerdict()
    for line in log.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            if "Traceback" in line or "Error" in line:
                verdict.unhandled.append(line[:300])
            continue
        _judge(entry, verdict)
    return verdict


def _judge(entry: dict[str, Any], verdict: LogVerdict) -> None:
    logger, message, trace = entry.get("logger"), str(entry.get("message")), entry.get("exc_info")
    if "didn't call ack()" in message:
        verdict.no_ack += 1
    if logger == "bot.slack.edge" and "refused" in message:
        verdict.refused[message.split(": ", 1)[0].removeprefix("slack request refused with ")] += 1
    if logger == "bot.slack.errors" and entry.get("level") == "WARNING":
        verdict.unreadable += "not readable" in message
    if not trace:
        return
    if logger == "bot.slack.errors" and entry.get("level") == "ERROR":
        verdict.crashes[crash_site(str(trace))] += 1
    else:
        verdict.unhandled.append(f"{logger}: {message[:200]} | {str(trace).splitlines()[-1]}")


def crash_site(trace: str) -> str:
    """Where a handled failure raised: the innermost frame in bot/, the listener that called
    it (when that is another frame), and the exception's type."""
    frames = [f"{path}:{line}" for path, line in _FRAME.findall(trace)]
    error = trace.strip().splitlines()[-1].split(":", 1)[0]
    listener = [f for f in frames if f.startswith("bot/slack/listeners/")]
    where = frames[-1] if frames else "?"
    if listener and listener[-1] != where:
        where += f" (from {listener[-1]})"
    return f"{where} {error}"
