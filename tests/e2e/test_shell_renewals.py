"""Rotate and Renew typed in `tokenbot shell --sandbox`: the reminder buttons' use cases.

Demo company Acme (see test_shell_reminders.py): ci-deploy is a Maintainer-role `api` project
token on acme/payments/checkout-api, reporting a Reporter-role `read_api` token on
acme/payments/ledger, platform-automation a group token on acme/platform. dave is Maintainer
of acme/payments, bob Maintainer of acme/platform, erin Developer of checkout-api, alice Owner
of acme.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.e2e.test_shell_requests import Chat


@pytest.fixture
def chat() -> Iterator[Chat]:
    started = Chat("--user", "erin")
    yield started
    if started.process.poll() is None:
        started.process.kill()
        started.process.wait(timeout=10)


def number_of(chat: Chat, name: str) -> str:
    found = re.search(
        rf"^(\d+)\s+\S+\s+\S+\s+\S+\s+{re.escape(name)}\s", chat.type("reminders"), re.M
    )
    assert found, name
    return found.group(1)


def test_a_rotation_goes_to_whoever_typed_it_and_only_within_their_role(chat: Chat) -> None:
    ci_deploy = number_of(chat, "ci-deploy")
    refused = chat.type(f"rotate-token {ci_deploy}")  # erin is a Developer there
    assert "Not rotated: to rotate it you must own it, or be Maintainer or higher" in refused
    chat.type("as dave")
    rotated = chat.type(f"rotate-token {ci_deploy}")
    assert "Made a new Project access token 'ci-deploy'" in rotated
    assert "beside the old one, which keeps working until" in rotated
    found = re.search(r"dave can see its secret once, .* by typing: reveal ([0-9a-f]{8})", rotated)
    assert found, rotated
    shown = chat.type(f"reveal {found.group(1)}")
    assert re.search(r"glpat-[A-Za-z0-9_-]{20,}", shown), shown
    chat.type("as erin")
    assert "no open request of yours" in chat.type(f"reveal {found.group(1)}")


def test_rotate_in_place_asks_first_and_then_the_old_secret_is_gone(chat: Chat) -> None:
    ci_deploy = number_of(chat, "ci-deploy")
    chat.type("as dave")
    asked = chat.type(f"rotate-token {ci_deploy} in-place")
    assert "the old secret stops working the moment the new one exists" in asked
    assert "Not rotated; the token is as it was." in chat.type("no")
    chat.type(f"rotate-token {ci_deploy} in-place")
    rotated = chat.type("yes")
    assert "Rotated the Project access token 'ci-deploy'" in rotated
    assert "the old secret no longer works" in rotated


def test_a_group_token_needs_an_owner_and_a_renewal_keeps_to_policy(chat: Chat) -> None:
    group_token = number_of(chat, "platform-automation")
    chat.type("as bob")
    refused = chat.type(f"rotate-token {group_token}")
    assert "Not rotated: to rotate it you must own it, or be Owner or higher on acme/platform" in (
        refused
    )
    chat.type("as alice")
    reporting = number_of(chat, "reporting")
    too_long = chat.type(f"renew {reporting} 2030-01-01 the ledger report still runs")
    assert "Not rotated: at most" in too_long
    assert "Not rotated: give the new expiry date" in chat.type(f"renew {reporting} soon")
    renewed = chat.type(f"renew {reporting} 2027-01-20 the ledger report still runs")
    assert "Rotated the Project access token 'reporting'" in renewed
    assert "expires on 2027-01-20" in renewed
