"""Request ids typed in the terminal: a unique start of at least four characters."""

from __future__ import annotations

import pytest

from bot.shell.request_ids import IdError, resolve_id, short_id

KNOWN = {"ab12cd34" + "0" * 24, "ab12ff00" + "1" * 24, "9f8e7d6c" + "2" * 24}


def test_a_unique_start_finds_the_request() -> None:
    assert resolve_id("AB12C", KNOWN) == "ab12cd34" + "0" * 24
    assert resolve_id(" 9f8e ", KNOWN) == "9f8e7d6c" + "2" * 24


def test_fewer_than_four_characters_are_not_enough() -> None:
    with pytest.raises(IdError, match="at least 4 characters"):
        resolve_id("9f8", KNOWN)


def test_a_start_shared_by_two_requests_lists_both() -> None:
    with pytest.raises(IdError, match=r"fits 2 requests \(ab12cd34, ab12ff00\)"):
        resolve_id("ab12", KNOWN)


def test_a_start_nobody_has_points_to_the_lists() -> None:
    with pytest.raises(IdError, match="type mine or pending"):
        resolve_id("ffff", KNOWN)


def test_a_full_id_is_passed_on_for_the_use_case_to_judge() -> None:
    assert resolve_id("f" * 32, KNOWN) == "f" * 32


def test_ids_are_shown_by_their_first_eight_characters() -> None:
    assert short_id("9f8e7d6c" + "2" * 24) == "9f8e7d6c"
