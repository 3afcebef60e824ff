"""Starting `tokenbot run` (HTTP mode) as a child process, the way it runs in production."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from tests.support.slack_requests import SIGNING_SECRET

BOT_TOKEN = "xoxb-test-not-a-real-token"


@dataclass
class BotProcess:
    url: str
    child: subprocess.Popen[str]
    log: str | None = None
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


def _collect(stream: IO[str], into: list[str]) -> None:
    for line in stream:
        into.append(line)  # list.append is atomic; read only after the stream ended


def start_bot(
    *, slack_api_url: str, data_dir: Path, extra_env: dict[str, str] | None = None
) -> BotProcess:
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack_api_url,
        "TOKENBOT_DATA_DIR": str(data_dir),
        **(extra_env or {}),
    }
    child = subprocess.Popen(
        [sys.executable, "-m", "bot", "run", "--host", "127.0.0.1", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert child.stdout is not None
    line = child.stdout.readline()
    if "listening on " not in line:
        _, err = child.communicate(timeout=15)
        raise AssertionError(f"tokenbot run did not start: {line!r} {err}")
    url = line.split("listening on ", 1)[1].split()[0]
    bot = BotProcess(url, child)
    bot.drain()
    return bot
