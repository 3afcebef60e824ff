"""Starting `tokenbot run` (HTTP mode, or Socket Mode given an app token) as a child process,
the way it runs in production."""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from bot.slack.link_page import CALLBACK_PATH
from tests.support.slack_requests import SIGNING_SECRET

BOT_TOKEN = "xoxb-test-not-a-real-token"
APP_TOKEN = "xapp-1-A0TOKENBOT-test-not-a-real-token"
SOCKET_MODE_LINE = "connecting to Slack in Socket Mode"
PAGES_LINE = "serving GitLab sign-in on "
WEBHOOKS_LINE = "serving GitLab webhooks on "
_LINUX = sys.platform == "linux"


@dataclass
class BotProcess:
    url: str  # HTTP mode: the server; Socket Mode: the sign-in pages' or webhooks' server, or ""
    child: subprocess.Popen[str]
    log: str | None = None
    socket_mode: bool = False
    _lines: list[str] = field(default_factory=list)
    _readers: list[threading.Thread] = field(default_factory=list)

    def stop(self) -> str:
        """Stop it (once) and return what it logged on stderr."""
        if self.log is None:
            self.child.send_signal(signal.SIGTERM)
            self.child.wait(timeout=15)
            for reader in self._readers:
                reader.join(timeout=10)
            self.log = "".join(self._lines)
        return self.log

    def wait_for_line(self, text: str, *, timeout: float = 15.0) -> str:
        """The first line it logged (so far, or within `timeout`) containing `text`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = next((line for line in list(self._lines) if text in line), None)
            if found is not None:
                return found
            time.sleep(0.05)
        raise AssertionError(f"the bot did not log {text!r} within {timeout} s")

    def drain(self) -> None:
        """Read its output while it runs: a full pipe would block the bot mid-log."""
        assert self.child.stdout is not None
        assert self.child.stderr is not None
        self._readers = [
            threading.Thread(target=_collect, args=(self.child.stderr, self._lines), daemon=True),
            threading.Thread(target=_collect, args=(self.child.stdout, []), daemon=True),
        ]
        for reader in self._readers:
            reader.start()


def signal_thread(pid: int, thread_id: int, signum: int) -> None:
    """Send `signum` to one thread of process `pid` (Linux `tgkill`; elsewhere the process)."""
    tgkill = getattr(ctypes.CDLL(None, use_errno=True), "tgkill", None) if _LINUX else None
    if tgkill is None:
        os.kill(pid, signum)
    elif tgkill(pid, thread_id, signum) != 0:
        raise OSError(ctypes.get_errno(), f"tgkill({pid}, {thread_id}, {signum}) failed")


def _collect(stream: IO[str], into: list[str]) -> None:
    for line in stream:
        into.append(line)  # list.append is atomic; read only after the stream ended


def start_bot(
    *,
    slack_api_url: str,
    data_dir: Path,
    extra_env: dict[str, str] | None = None,
    app_token: str | None = None,
    port: int | None = 0,
) -> BotProcess:
    """`tokenbot run` on 127.0.0.1:`port` (0: any free port; None: no `--port`, so $PORT).
    With `app_token` it runs in Socket Mode, without a signing secret (it needs none), and
    returns once it is connecting."""
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack_api_url,
        "TOKENBOT_DATA_DIR": str(data_dir),
    }
    if app_token is not None:
        env["SLACK_APP_TOKEN"] = app_token
        del env["SLACK_SIGNING_SECRET"]
    env |= extra_env or {}
    port_args = [] if port is None else ["--port", str(port)]
    child = subprocess.Popen(
        [sys.executable, "-m", "bot", "run", "--host", "127.0.0.1", *port_args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    url = _started(child, socket_mode=app_token is not None)
    bot = BotProcess(url, child, socket_mode=app_token is not None)
    bot.drain()
    return bot


def _started(child: subprocess.Popen[str], *, socket_mode: bool) -> str:
    """The URL it prints once it serves (Socket Mode: its sign-in pages' or "")."""
    assert child.stdout is not None
    url, seen = "", []
    while line := child.stdout.readline():
        seen.append(line)
        if not socket_mode:
            if "listening on " in line:
                return line.split("listening on ", 1)[1].split()[0]
            break
        if PAGES_LINE in line:
            url = line.split(PAGES_LINE, 1)[1].split()[0].removesuffix(CALLBACK_PATH)
        elif WEBHOOKS_LINE in line and not url:
            url = line.split(WEBHOOKS_LINE, 1)[1].split()[0].removesuffix("/gitlab/webhook")
        elif SOCKET_MODE_LINE in line:
            return url
    _, err = child.communicate(timeout=15)
    raise AssertionError(f"tokenbot run did not start: {seen!r} {err}")
