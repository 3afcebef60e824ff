"""`tokenbot users list` and `tokenbot users unlink`: an operator sees and undoes links."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bot.bootstrap import bootstrap
from bot.config import load_settings
from bot.domain.links import AccountLink
from tests.cli_runner import run_tokenbot

LINKED_AT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


def _link(chat_id: str, user_id: int, username: str) -> None:
    container = bootstrap(load_settings())
    try:
        with container.uow() as uow:
            uow.links.put(AccountLink(chat_id, "T0ACME", user_id, username, LINKED_AT))
            uow.commit()
    finally:
        container.close()


def _audit() -> list[dict[str, object]]:
    return [json.loads(line) for line in run_tokenbot("audit", "export").out.splitlines()]


def test_list_shows_every_link_and_unlink_removes_one_and_is_audited() -> None:
    assert "nobody is linked yet" in run_tokenbot("users", "list").out
    _link("U0ALICE", 7, "alice")
    _link("U0DAN", 9, "dan\x1b[31m")  # a terminal escape from GitLab stays inert
    listed = run_tokenbot("users", "list")
    assert listed.code == 0
    assert "U0ALICE\talice (GitLab user 7)" in listed.out
    assert "\x1b" not in listed.out
    as_json = [
        json.loads(line) for line in run_tokenbot("users", "list", "--json").out.splitlines()
    ]
    assert {(row["slack_id"], row["gitlab_user_id"]) for row in as_json} == {
        ("U0ALICE", 7),
        ("U0DAN", 9),
    }
    gone = run_tokenbot("users", "unlink", "U0ALICE")
    assert (gone.code, gone.out.strip()) == (
        0,
        "unlinked U0ALICE; they can link again with /token link",
    )
    assert "U0ALICE" not in run_tokenbot("users", "list").out
    [event] = [e for e in _audit() if e["action"] == "unlinked"]
    assert event["request_id"] == "person:U0ALICE"
    assert str(event["actor"]).startswith("operator:")


def test_unlinking_someone_not_linked_or_not_a_slack_id_fails_with_one_line() -> None:
    missing = run_tokenbot("users", "unlink", "U0NOBODY")
    assert (missing.code, missing.err.strip()) == (1, "U0NOBODY is not linked to a GitLab user")
    bad = run_tokenbot("users", "unlink", "alice; drop table")
    assert bad.code == 1
    assert "is not a Slack user id" in bad.err
    assert _audit() == []
