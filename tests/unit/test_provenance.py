"""The mark tokenbot leaves on what it mints is read at one fixed place only."""

from __future__ import annotations

from bot.domain.provenance import (
    TEXT_LIMIT,
    marked_description,
    marked_name,
    request_in_name,
    request_of,
)
from bot.domain.tokens import TokenType

ID = "0123456789abcdef0123456789abcdef"
OTHER = "fedcba9876543210fedcba9876543210"


def test_a_description_mark_survives_clipping_to_gitlabs_limit() -> None:
    text = marked_description(ID, "x" * 1000)
    assert len(text) == TEXT_LIMIT
    assert request_of(TokenType.PROJECT_ACCESS_TOKEN, "any", text) == ID


def test_a_name_mark_survives_clipping_to_gitlabs_limit() -> None:
    name = marked_name("n" * 400, ID)
    assert len(name) == TEXT_LIMIT
    assert request_of(TokenType.DEPLOY_TOKEN, name, "") == ID
    assert request_in_name(name) == ID


def test_a_reason_that_quotes_another_requests_mark_does_not_pose_as_it() -> None:
    text = marked_description(ID, f"see tokenbot:{OTHER} for details")
    assert request_of(TokenType.GROUP_ACCESS_TOKEN, "n", text) == ID
    assert request_of(TokenType.GROUP_ACCESS_TOKEN, "n", f"copied tokenbot:{OTHER}") is None


def test_a_name_that_ends_with_another_requests_mark_is_marked_with_its_own() -> None:
    name = marked_name(f"deploy [tokenbot:{OTHER}]", ID)
    assert request_of(TokenType.PIPELINE_TRIGGER_TOKEN, name, "") == ID


def test_credentials_without_a_mark_belong_to_no_request() -> None:
    assert request_of(TokenType.PROJECT_ACCESS_TOKEN, "ci", "requested by hand") is None
    assert request_of(TokenType.DEPLOY_TOKEN, "registry pull", "") is None
    # the mark of access tokens lives in the description, not the name
    assert request_of(TokenType.PROJECT_ACCESS_TOKEN, f"x [tokenbot:{ID}]", "") is None
