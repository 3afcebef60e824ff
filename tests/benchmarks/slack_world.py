"""A Slack-side world for benchmarks: `tokenbot run` (HTTP mode) wired to the GitLab simulator
and to a Slack Web API recorder, and senders that time the signed requests they send.

The simulator (Acme demo data) and the timed senders run in processes of their own, so that
neither shares a GIL with what it serves or measures (the recorder stays in the caller's
process). Run as a module, this file *is* the simulator's process: it prints one JSON line
with its URL and admin token, then answers one JSON line per command on stdin:

    latency MS        replace the injected latency (0: none) on every request
    stats PREFIX      request counts and the number of tokens whose name starts with PREFIX
    paths N           "METHOD path" of every request answered after the first N
    quit              (or EOF) stop
"""

from __future__ import annotations

import json
import multiprocessing
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import IO, Any

import requests

from bot.sandbox import GitlabSimulator, SandboxServer, load_demo_data
from tests.support.bot_process import start_bot
from tests.support.slack_api import SlackRecorder
from tests.support.slack_requests import SlackDriver, signed_headers

APPROVALS = "C0APPROVALS"
SECRET_KEY = "benchmark-only-key-0123456789-abcdefghijklmnop"
# Slack user id -> Acme demo user (TOKENBOT_USER_MAP).
PEOPLE = {
    "U0ALICE": "alice",  # Owner of acme
    "U0BOB": "bob",  # Maintainer of acme/platform
    "U0CAROL": "carol",  # Developer of acme/platform/infra
    "U0DAVE": "dave",  # Maintainer of acme/payments
    "U0ERIN": "erin",  # Developer of acme/payments/checkout-api
}
BREAKGLASS_GROUP = "acme/platform/infra"  # carol (Developer) may break glass under it
# Settings from the machine that must not reach the bot or the clients.
_FOREIGN_PREFIXES = ("SLACK_", "GITLAB_", "TOKENBOT_")
_FOREIGN_NAMES = {"database_url", "port", "http_proxy", "https_proxy", "all_proxy", "no_proxy"}


# ----------------------------------------------------------------------- the GitLab process


def main() -> None:
    sim = GitlabSimulator()
    info = load_demo_data(sim)
    with SandboxServer(sim) as server:
        print(json.dumps({"url": server.url, "token": info.admin_token}), flush=True)
        for line in sys.stdin:
            command, _, argument = line.strip().partition(" ")
            if command == "latency":
                sim.faults.clear()
                if float(argument) > 0:
                    sim.faults.latency(float(argument))
                answer: dict[str, Any] = {"latency_ms": float(argument)}
            elif command == "stats":
                with sim.state.lock:
                    names = [t.name for t in sim.state.tokens.values()]
                answer = {
                    "requests": sim.requests.count(),
                    "creates": sim.requests.count(method="POST", path="*/access_tokens"),
                    "peak_in_flight": sim.requests.peak_in_flight,
                    "tokens": sum(1 for n in names if n.startswith(argument)),
                }
            elif command == "paths":
                entries = sim.requests.entries()[int(argument) :]
                answer = {
                    "paths": [f"{e.method} {e.path.removeprefix('/api/v4')}" for e in entries]
                }
            elif command == "quit":
                break
            else:
                answer = {"error": f"unknown command {command!r}"}
            print(json.dumps(answer), flush=True)


class GitlabProcess:
    """The simulator child process, driven over its stdin/stdout."""

    def __init__(self) -> None:
        self.child = subprocess.Popen(
            [sys.executable, "-m", "tests.benchmarks.slack_world"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self._lock = threading.Lock()
        hello = self._read()
        self.url: str = hello["url"]
        self.token: str = hello["token"]

    def _read(self) -> dict[str, Any]:
        assert self.child.stdout is not None
        line = self.child.stdout.readline()
        if not line:
            raise RuntimeError("the GitLab simulator process ended")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def ask(self, command: str) -> dict[str, Any]:
        assert self.child.stdin is not None
        with self._lock:
            self.child.stdin.write(command + "\n")
            self.child.stdin.flush()
            return self._read()

    def latency(self, ms: float) -> None:
        self.ask(f"latency {ms}")

    def stats(self, token_prefix: str = "") -> dict[str, Any]:
        return self.ask(f"stats {token_prefix}")

    def paths(self, since: int) -> list[str]:
        """The requests answered after the first `since` ones."""
        return [str(p) for p in self.ask(f"paths {since}")["paths"]]

    def stop(self) -> None:
        if self.child.poll() is None:
            try:
                assert self.child.stdin is not None
                self.child.stdin.write("quit\n")
                self.child.stdin.close()
                self.child.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self.child.kill()
                self.child.wait(timeout=10)


# ----------------------------------------------------------------------- the timed driver


class TimedDriver(SlackDriver):
    """SlackDriver whose `post` uses a session per thread and times the round trip only.

    `elapsed()` is the time from sending the signed POST to having read the whole response,
    in the calling thread; signing and building the payload are outside it.
    """

    def __init__(
        self, base_url: str, *, timeout: float = 30.0, response_url: str | None = None
    ) -> None:
        super().__init__(base_url, **({"response_url": response_url} if response_url else {}))
        self.timeout = timeout
        self._local = threading.local()

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.trust_env = False  # loopback only: no proxies, no netrc
            self._local.session = session
        return session

    def post(self, body: str, content_type: str, **sign: Any) -> requests.Response:
        headers = signed_headers(
            body, secret=sign.pop("secret", self.secret), content_type=content_type, **sign
        )
        data = body.encode()
        session = self._session()
        started = time.perf_counter()
        response = session.post(self.endpoint, data=data, headers=headers, timeout=self.timeout)
        self._local.elapsed = time.perf_counter() - started
        return response

    def warm(self) -> None:
        """Open the connection (and load what `requests` loads lazily) before timing anything."""
        self._session().get(self.endpoint.replace("/slack/events", "/healthz"), timeout=10)

    def elapsed(self) -> float:
        """Seconds the last `post` in this thread took."""
        return float(self._local.elapsed)


# ----------------------------------------------------------------------- clicks and senders

Message = dict[str, Any]  # {"channel", "ts", "blocks"}: a message the bot posted


@dataclass(frozen=True)
class Click:
    """One request Slack would send: a button click, a `/token` command or an event."""

    kind: str
    user: str
    message: Message | None = None  # click `action_id` in this message...
    action_id: str = ""
    command: str | None = None  # ...or send `/token <command>`...
    event: dict[str, Any] | None = None  # ...or this Events API event (ts filled in)

    def send(self, driver: SlackDriver) -> requests.Response:
        if self.message is not None:
            return driver.click(self.user, self.message, self.action_id)
        if self.command is not None:
            return driver.command(self.user, self.command)
        ts = f"{time.time():.6f}"
        return driver.event({**(self.event or {}), "user": self.user, "ts": ts, "event_ts": ts})


@dataclass(frozen=True)
class Sample:
    kind: str
    ms: float
    status: int  # 0: no answer (connection error or timeout)


def send_one(driver: TimedDriver, click: Click) -> Sample:
    try:
        status = click.send(driver).status_code
    except requests.RequestException:
        status = 0
    return Sample(click.kind, driver.elapsed() * 1000, status)


def _sender(
    base_url: str,
    work: Queue[Click],
    results: Queue[list[Sample]],
    start: Barrier,
    budget: float,
    *,
    response_url: str | None = None,
) -> None:
    driver = TimedDriver(base_url, response_url=response_url)
    driver.warm()
    samples: list[Sample] = []
    start.wait()
    deadline = time.monotonic() + budget
    try:
        while time.monotonic() < deadline:
            try:
                click = work.get(timeout=0.5)
            except queue.Empty:
                break
            samples.append(send_one(driver, click))
    finally:
        results.put(samples)


def send_clicks(
    base_url: str,
    clicks: list[Click],
    *,
    senders: int,
    budget: float,
    response_url: str | None = None,
) -> list[Sample]:
    """Send `clicks` from `senders` processes, each waiting for its answer before the next.

    They start together and stop taking clicks after `budget` seconds. `response_url` goes
    into each payload (the recorder's `hooks_url` records what the bot sends there).
    """
    ctx = multiprocessing.get_context("spawn")
    work: Queue[Click] = ctx.Queue()
    results: Queue[list[Sample]] = ctx.Queue()
    start = ctx.Barrier(senders + 1)
    for click in clicks:
        work.put(click)
    processes = [
        ctx.Process(
            target=_sender,
            args=(base_url, work, results, start, budget),
            kwargs={"response_url": response_url},
            daemon=True,
        )
        for _ in range(senders)
    ]
    for process in processes:
        process.start()
    samples: list[Sample] = []
    try:
        start.wait(timeout=60)
        for _ in processes:
            samples.extend(results.get(timeout=budget + 60))
    finally:
        for process in processes:
            process.join(timeout=5)
            if process.is_alive():
                process.kill()
                process.join(timeout=5)
        work.close()
        work.cancel_join_thread()  # clicks left over after the budget are dropped
    return samples


@dataclass
class RunningBot:
    """`tokenbot run` with its output drained (a full stderr pipe would stall its threads)."""

    url: str
    child: subprocess.Popen[str]
    stderr: list[str] = field(default_factory=list)
    _drains: list[threading.Thread] = field(default_factory=list)

    def drain(self) -> None:
        for stream in (self.child.stdout, self.child.stderr):
            if stream is not None:
                thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
                thread.start()
                self._drains.append(thread)

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self.stderr.append(line.rstrip("\n"))

    def stop(self) -> None:
        """SIGTERM; listener threads still waiting on GitLab may hold it up, so kill after 10 s."""
        if self.child.poll() is None:
            self.child.send_signal(signal.SIGTERM)
            try:
                self.child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.child.kill()
                self.child.wait(timeout=10)
        for thread in self._drains:
            thread.join(timeout=5)


def clean_environment() -> None:
    """Drop settings from this machine that would change the bot or route loopback traffic."""
    for name in list(os.environ):
        if name.startswith(_FOREIGN_PREFIXES) or name.lower() in _FOREIGN_NAMES:
            del os.environ[name]


@dataclass
class SlackWorld:
    gitlab: GitlabProcess
    slack: SlackRecorder
    bot: RunningBot
    driver: TimedDriver
    data_dir: Path
    env: dict[str, str] = field(default_factory=dict)  # the bot's settings, for CLI commands


@contextmanager
def slack_world(*, log_level: str = "WARNING") -> Iterator[SlackWorld]:
    """Start the three parts (GitLab without latency); stop every one of them on the way out."""
    clean_environment()
    with ExitStack() as stack:
        data_dir = Path(tempfile.mkdtemp(prefix="tokenbot-bench-"))
        stack.callback(shutil.rmtree, data_dir, ignore_errors=True)
        gitlab = GitlabProcess()
        stack.callback(gitlab.stop)
        slack = stack.enter_context(SlackRecorder())
        env = {
            "GITLAB_URL": gitlab.url,
            "GITLAB_TOKEN": gitlab.token,
            "TOKENBOT_APPROVALS_CHANNEL": APPROVALS,
            "TOKENBOT_SECRET_KEY": SECRET_KEY,
            "TOKENBOT_USER_MAP": ",".join(f"{k}={v}" for k, v in PEOPLE.items()),
            "TOKENBOT_LOG_LEVEL": log_level,
            "TOKENBOT_BREAKGLASS_GROUPS": BREAKGLASS_GROUP,
        }
        started = start_bot(slack_api_url=slack.url, data_dir=data_dir, extra_env=env)
        bot = RunningBot(started.url, started.child)
        stack.callback(bot.stop)
        bot.drain()
        driver = TimedDriver(bot.url, response_url=slack.hooks_url)
        env = {**env, "TOKENBOT_DATA_DIR": str(data_dir), "SLACK_API_URL": slack.url}
        yield SlackWorld(gitlab, slack, bot, driver, data_dir, env)


if __name__ == "__main__":
    main()
