"""The Slack request form where the policy and this GitLab leave nothing, or where a forged
value reaches it (found by an attack review)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.domain.request_policy import RequestPolicy
from bot.slack.blocks.request_status import NOTHING_TO_REQUEST
from bot.slack.listeners.request_form import role_of as _role_of
from bot.slack.request_form import policy_form


def test_no_type_to_offer_gives_a_modal_that_says_so_instead_of_an_empty_select() -> None:
    view = policy_form(
        RequestPolicy(rules={}),
        today=datetime.now(UTC).date(),
        default_days=90,
        token_type=None,
    )
    assert [b["type"] for b in view["blocks"]] == ["section"]
    assert view["blocks"][0]["text"]["text"] == NOTHING_TO_REQUEST
    assert "submit" not in view
    assert view["close"]["text"] == "Close"


@pytest.mark.parametrize("forged", [["30"], {"a": 1}, "thirty", "٣٠", "31", None, 30])
def test_a_forged_role_value_is_no_role_and_never_raises(forged: object) -> None:
    assert _role_of(forged) is None


def test_a_role_the_select_holds_is_read() -> None:
    assert int(_role_of("30") or 0) == 30
