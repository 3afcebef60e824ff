"""The PostgreSQL pass runs only the end-to-end tests whose bot uses PostgreSQL.

Most e2e tests start `tokenbot run` (or another command) with its database in the bot's own
data directory, SQLite, whatever TEST_DATABASE_URL says: in the PostgreSQL pass of
`.ci/run` they would only repeat the SQLite pass, at half of the pass's time. A test module
that hands the bot the PostgreSQL server names TEST_DATABASE_URL or the `database_url`
fixture in its own text, and keeps running there.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

_USES_THE_SERVER = ("TEST_DATABASE_URL", "database_url")
_REASON = "replayed in the SQLite pass: this test's bot keeps its database in its data directory"


def _uses_the_server(path: Path, seen: dict[Path, bool]) -> bool:
    if path not in seen:
        text = path.read_text(encoding="utf-8")
        seen[path] = any(name in text for name in _USES_THE_SERVER)
    return seen[path]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not os.environ.get("TEST_DATABASE_URL"):
        return
    here = Path(__file__).resolve().parent
    seen: dict[Path, bool] = {}
    for item in items:
        path = Path(str(item.path)).resolve()
        if path.parent == here and not _uses_the_server(path, seen):
            item.add_marker(pytest.mark.skip(reason=_REASON))
