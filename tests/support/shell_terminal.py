"""`tokenbot shell` in a child process against any world: the settings come from `env`.

Unlike the sandbox chat of tests/e2e/test_shell_requests.py, it reads the output in chunks,
as it comes, so a long answer (a table of hundreds of tokens) costs no more than a short one.
"""

from __future__ import annotations

import codecs
import os
import subprocess
import sys
import threading

PROMPT = "you> "


class Terminal:
    """`tokenbot shell` as a child process (no sandbox: the world's settings), one typed line
    and its whole answer at a time; `as NAME` switches who types."""

    def __init__(self, env: dict[str, str], user: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", "shell", "--user", user],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        self.user = user
        self.numbers: dict[tuple[str, str], str] = {}  # (token type, name) -> its number
        self.transcript = ""
        self._read_to = 0
        self._ended = False
        self._changed = threading.Condition()
        threading.Thread(target=self._pump, daemon=True).start()
        self.greeting = self._answer()

    def become(self, user: str) -> None:
        if user != self.user:
            self.type(f"as {user}")
            self.user = user

    def type(self, line: str) -> str:
        """Type one line; what tokenbot answers before it asks again."""
        assert self.process.stdin is not None
        self.process.stdin.write(f"{line}\n".encode())
        self.process.stdin.flush()
        return self._answer()

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)

    def _pump(self) -> None:
        assert self.process.stdout is not None
        decoder = codecs.getincrementaldecoder("utf-8")()
        fd = self.process.stdout.fileno()
        while True:
            chunk = os.read(fd, 65536)  # what is there, without waiting for more
            with self._changed:
                self._ended = not chunk
                self.transcript += decoder.decode(chunk, final=not chunk)
                self._changed.notify_all()
            if not chunk:
                return

    def _answer(self) -> str:
        with self._changed:
            ready = self._changed.wait_for(
                lambda: self.transcript.find(PROMPT, self._read_to) >= 0 or self._ended,
                timeout=30,
            )
            assert ready, f"no answer within 30 s; so far:\n{self.transcript[-2000:]}"
            end = self.transcript.find(PROMPT, self._read_to)
            end = len(self.transcript) if end < 0 else end
            answer = self.transcript[self._read_to : end]
            self._read_to = end + len(PROMPT)
            return answer
