"""Reading typed form answers in the terminal: choices, dates, paths."""

from __future__ import annotations

from datetime import date

import pytest

from bot.shell.form_input import FieldError, parse_date, parse_path, pick_many, pick_one

ROLES = [("20", "Reporter"), ("30", "Developer"), ("40", "Maintainer")]
SCOPES = [("read_api", "read_api"), ("read_repository", "read_repository"), ("api", "api")]
TODAY = date(2026, 11, 22)


@pytest.mark.parametrize(
    ("typed", "value"),
    [("2", "30"), (" developer ", "30"), ("MAINTAINER", "40"), ("20", "20")],
)
def test_a_choice_is_read_by_number_label_or_value(typed: str, value: str) -> None:
    assert pick_one(typed, ROLES) == value


@pytest.mark.parametrize("typed", ["0", "4", "dev", "owner", ""])
def test_a_choice_outside_the_list_says_what_fits(typed: str) -> None:
    with pytest.raises(FieldError, match="type a number from 1 to 3 or a name from the list"):
        pick_one(typed, ROLES)


def test_several_choices_keep_the_typed_order_without_repeats() -> None:
    assert pick_many("3, read_api 3,1", SCOPES) == ("api", "read_api")


def test_one_bad_part_of_several_choices_is_named() -> None:
    with pytest.raises(FieldError, match="'write_all' is not one of the choices"):
        pick_many("1,write_all", SCOPES)


def test_no_choice_at_all_is_refused() -> None:
    with pytest.raises(FieldError, match="choose at least one"):
        pick_many(" , ", SCOPES)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("2027-01-31", date(2027, 1, 31)),
        ("+30", date(2026, 12, 22)),
        ("30d", date(2026, 12, 22)),
        ("7 days", date(2026, 11, 29)),
    ],
)
def test_a_date_is_a_calendar_date_or_days_from_today(typed: str, expected: date) -> None:
    assert parse_date(typed, today=TODAY) == expected


@pytest.mark.parametrize("typed", ["tomorrow", "31/01/2027", "2027-02-30", "30"])
def test_anything_else_is_not_a_date(typed: str) -> None:
    with pytest.raises(FieldError, match="type it as YYYY-MM-DD"):
        parse_date(typed, today=TODAY)


def test_a_path_loses_surrounding_slashes_but_not_inner_ones() -> None:
    assert parse_path(" /acme/web/storefront/ ") == "acme/web/storefront"


@pytest.mark.parametrize("typed", ["", "/", "acme/web store"])
def test_a_path_needs_text_without_spaces(typed: str) -> None:
    with pytest.raises(FieldError, match="without spaces"):
        parse_path(typed)
