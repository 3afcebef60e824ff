"""`tokenbot audit export`: every step of a request, as JSON lines or CSV."""

from __future__ import annotations

import csv
import io
import itertools
import json
from datetime import UTC, datetime
from pathlib import Path

from bot.bootstrap import bootstrap
from bot.config import load_settings
from bot.domain.request_policy import RequestPolicy
from bot.domain.tokens import AccessLevel
from bot.services.token_requests import RequestDeps, approve_request, submit_request
from tests.cli_runner import run_tokenbot
from tests.fake_gitlab import FakeGitLab
from tests.unit.test_token_requests import ADA, MEI, _draft

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def _history() -> None:
    """A request and its approval, written to the data directory the CLI will read."""
    gitlab = FakeGitLab()
    gitlab.project("acme/api")
    gitlab.member(ADA.gitlab_id, "acme/api", AccessLevel.DEVELOPER)
    gitlab.member(MEI.gitlab_id, "acme/api", AccessLevel.MAINTAINER)
    container = bootstrap(load_settings())
    ids = (f"req{n}" for n in itertools.count(1))
    deps = RequestDeps(
        uow=container.uow,
        gitlab=gitlab,
        policy=RequestPolicy(),
        clock=lambda: NOW,
        new_id=lambda: next(ids),
    )
    request = submit_request(ADA, _draft(), deps=deps)
    approve_request(request.id, MEI, deps=deps)
    container.close()


def test_audit_export_writes_json_lines_and_csv(tmp_path: Path) -> None:
    _history()
    lines = run_tokenbot("audit", "export").out.splitlines()
    events = [json.loads(line) for line in lines]
    assert [e["action"] for e in events] == ["requested", "approved"]
    assert events[0]["actor"] == ADA.chat_id
    assert events[0]["details"]["target"] == "acme/api"
    rows = list(csv.reader(io.StringIO(run_tokenbot("audit", "export", "--format", "csv").out)))
    assert rows[0] == ["at", "action", "request_id", "actor", "details"]
    assert [r[1] for r in rows[1:]] == ["requested", "approved"]
    later = run_tokenbot("audit", "export", "--since", "2026-11-23")
    assert later.out == ""
    out = tmp_path / "audit.jsonl"
    written = run_tokenbot("audit", "export", "-o", str(out))
    assert "wrote 2 events" in written.err
    assert len(out.read_text().splitlines()) == 2
