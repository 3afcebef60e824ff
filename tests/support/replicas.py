"""Several `tokenbot run` processes on one database, one GitLab simulator and one Slack recorder.

Each replica is a real child process serving Slack's endpoint on its own port, with its own
scheduler; they share what production replicas share: the database (DATABASE_URL), GitLab
and Slack. Their stderr is read as it is written, so a talkative replica (at DEBUG it logs
every HTTP request) never blocks on a full pipe, and tests can look at its log while it runs.

The world is the one of `request_world` (tests/support/acme.py), with its settings.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TypeVar

from bot.sandbox import GitlabSimulator, SandboxServer
from tests.support.acme import seed_acme
from tests.support.bot_process import BOT_TOKEN, BotProcess
from tests.support.request_world import (
    ALICE,
    APPROVALS,
    DAN,
    OLGA,
    OMAR,
    PAYMENTS,
    REMINDERS,
    World,
)
from tests.support.slack_api import SlackRecorder
from tests.support.slack_requests import SIGNING_SECRET, SlackDriver

T = TypeVar("T")
# What must not leak from the machine into the replicas (the same list as tests/conftest.py).
_SCRUBBED_PREFIXES = ("SLACK_", "GITLAB_", "TOKENBOT_")
_SCRUBBED = {"DATABASE_URL", "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"}


@dataclass
class Replica(BotProcess):
    """A `tokenbot run` whose stderr is collected line by line while it runs."""

    name: str = ""
    lines: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _readers: list[threading.Thread] = field(default_factory=list)

    def log_lines(self) -> list[str]:
        with self._lock:
            return list(self.lines)

    def stop(self) -> str:
        """Stop it (once) and return everything it logged on stderr."""
        if self.log is None:
            if self.child.poll() is None:
                self.child.send_signal(signal.SIGTERM)
            try:
                self.child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.child.kill()
                self.child.wait(timeout=10)
            for reader in self._readers:
                reader.join(timeout=10)
            self.log = "".join(self.log_lines())
        return self.log

    def _collect(self, stream: IO[str]) -> None:
        for line in stream:
            with self._lock:
                self.lines.append(line)


def start_replica(name: str, *, env: dict[str, str], data_dir: Path) -> Replica:
    """Start `tokenbot run` on a free port with `env` on top of a scrubbed environment."""
    base = {
        k: v
        for k, v in os.environ.items()
        if not (k.startswith(_SCRUBBED_PREFIXES) or k in _SCRUBBED)
    }
    child = subprocess.Popen(
        [sys.executable, "-m", "bot", "run", "--host", "127.0.0.1", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**base, "NO_PROXY": "127.0.0.1,localhost", **env, "TOKENBOT_DATA_DIR": str(data_dir)},
    )
    assert child.stdout is not None
    assert child.stderr is not None
    replica = Replica(url="", child=child, name=name)
    stdout: queue.Queue[str] = queue.Queue()
    readers = [
        threading.Thread(target=replica._collect, args=(child.stderr,), daemon=True),
        threading.Thread(target=_lines_into, args=(child.stdout, stdout), daemon=True),
    ]
    replica._readers.extend(readers)
    for reader in readers:
        reader.start()
    try:
        line = stdout.get(timeout=90)  # generous: two cores shared with other test runs
    except queue.Empty:
        line = ""
    if "listening on " not in line:
        log = replica.stop()
        raise AssertionError(f"tokenbot run ({name}) did not start: {line!r}\n{log[-3000:]}")
    replica.url = line.split("listening on ", 1)[1].split()[0]
    return replica


def _lines_into(stream: IO[str], lines: queue.Queue[str]) -> None:
    for line in stream:
        lines.put(line)


@dataclass
class Replicas:
    """Replicas of one deployment; `worlds[i]` drives replica i in `request_world`'s terms."""

    sim: GitlabSimulator
    slack: SlackRecorder
    replicas: list[Replica]
    worlds: list[World]
    env: dict[str, str]  # the shared settings, to run other tokenbot commands beside them


@contextmanager
def replicas_of_one_deployment(
    base_dir: Path, *, database_url: str, count: int = 2, settings: dict[str, str] | None = None
) -> Iterator[Replicas]:
    """`count` replicas sharing `database_url`, the simulator and the recorder.

    They are started at the same time, as a rolling deployment or a scale-up would. `settings`
    go on top of request_world's settings.
    """
    sim = GitlabSimulator()
    bot_token = seed_acme(sim)
    with SandboxServer(sim) as gitlab, SlackRecorder() as slack:
        env = {
            "DATABASE_URL": database_url,
            "GITLAB_URL": gitlab.url,
            "GITLAB_TOKEN": bot_token,
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack.url,
            "TOKENBOT_APPROVALS_CHANNEL": APPROVALS,
            "TOKENBOT_APPROVALS_ROUTES": f"acme/payments={PAYMENTS}",
            "TOKENBOT_SECRET_KEY": "test-only-key-0123456789-abcdefghijklmnop",
            "TOKENBOT_USER_MAP": f"{ALICE}=alice,{OLGA}=olga,{OMAR}=omar,{DAN}=dan",
            "TOKENBOT_LOG_LEVEL": "DEBUG",
            "TOKENBOT_WATCHED_GROUPS": "acme",
            "TOKENBOT_REMINDERS_CHANNEL": REMINDERS,
            **(settings or {}),
        }
        started: list[Replica] = []
        try:
            names = [f"replica-{chr(ord('a') + i)}" for i in range(count)]
            results = at_once(
                [
                    lambda name=name: start_replica(name, env=env, data_dir=base_dir / name)
                    for name in names
                ]
            )
            started += [r for r in results if isinstance(r, Replica)]
            failures = [r for r in results if isinstance(r, BaseException)]
            if failures:
                raise failures[0]
            worlds = [
                World(
                    sim,
                    slack,
                    replica,
                    SlackDriver(replica.url, response_url=slack.hooks_url),
                    base_dir / replica.name,
                    gitlab.url,
                    {**env, "TOKENBOT_DATA_DIR": str(base_dir / replica.name)},
                )
                for replica in started
            ]
            yield Replicas(sim, slack, started, worlds, env)
        finally:
            for replica in started:
                replica.stop()


def at_once(calls: Sequence[Callable[[], T]]) -> list[T | BaseException | None]:
    """Run each call on its own thread, released together by a barrier; their results, in
    order: what each returned, or the exception it raised."""
    barrier = threading.Barrier(len(calls))
    results: list[T | BaseException | None] = [None] * len(calls)

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = calls[index]()
        except BaseException as exc:  # handed to the caller below
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def wait_until(check: Callable[[], T | None], what: str, *, timeout: float = 30.0) -> T:
    """Poll `check` until it returns something other than None (or False)."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found is not None and found is not False:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout:.0f} s waiting for {what}")
        time.sleep(0.05)
