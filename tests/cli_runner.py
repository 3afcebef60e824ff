"""Running the real `tokenbot` command in a child process, as a person at a terminal would."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str


def run_tokenbot(*args: str, stdin: str = "", env: dict[str, str] | None = None) -> Result:
    completed = subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
        check=False,
    )
    return Result(completed.returncode, completed.stdout, completed.stderr)
