"""The bot's own token with a fake GitLab: when it rotates, when it refuses, what it reports."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest

from bot.domain.credentials import BotCredential, Secret
from bot.services.gitlab_errors import (
    BotCredentialError,
    MissingScopeError,
    OutcomeUnknownError,
    UnavailableError,
)
from bot.services.own_credential import (
    OwnCredentialReport,
    OwnCredentialState,
    check_own_credential,
)
from tests.fake_gitlab import FakeGitLab

TODAY = date(2026, 11, 22)


def _gitlab(days_left: int | None = 10, *, active: bool = True) -> FakeGitLab:
    expires = None if days_left is None else TODAY + timedelta(days=days_left)
    return FakeGitLab(own_token=BotCredential(7, "tokenbot", ("api",), expires, 3, active))


class Vault:
    """Where save_secret puts the value; `fail` makes it raise instead."""

    def __init__(self, fail: Exception | None = None) -> None:
        self.saved: list[Secret] = []
        self.fail = fail

    def save(self, secret: Secret) -> None:
        if self.fail is not None:
            raise self.fail
        self.saved.append(secret)


def _check(
    gitlab: FakeGitLab,
    *,
    within: int | None = 14,
    lifetime: int = 90,
    vault: Vault | None = None,
    can_save: Callable[[], str | None] | None = lambda: None,
) -> OwnCredentialReport:
    return check_own_credential(
        gitlab,
        today=TODAY,
        rotate_within_days=within,
        lifetime_days=lifetime,
        save_secret=vault.save if vault else None,
        can_save=can_save,
    )


def test_rotates_when_the_threshold_is_reached_and_saves_the_new_value() -> None:
    gitlab, vault = _gitlab(days_left=14), Vault()
    report = _check(gitlab, within=14, vault=vault)
    assert report.state is OwnCredentialState.ROTATED
    assert report.rotated
    assert not report.urgent
    assert gitlab.own_rotations == [TODAY + timedelta(days=90)]
    assert (report.expires_on, report.days_left) == (TODAY + timedelta(days=90), 90)
    assert report.gitlab_id == gitlab.own_token.gitlab_id != 7
    assert report.scopes == ("api",)
    assert report.problem is None
    assert [s.reveal() for s in vault.saved] == [f"glpat-fake{report.gitlab_id:016d}"]


def test_does_not_rotate_while_more_days_are_left_than_the_threshold() -> None:
    gitlab, vault = _gitlab(days_left=15), Vault()
    report = _check(gitlab, within=14, vault=vault)
    assert report.state is OwnCredentialState.OK
    assert (report.days_left, report.expires_on) == (15, TODAY + timedelta(days=15))
    assert gitlab.own_rotations == []
    assert vault.saved == []


def test_never_rotates_without_a_threshold() -> None:
    gitlab = _gitlab(days_left=1)
    report = _check(gitlab, within=None, vault=Vault())
    assert (report.state, report.days_left) == (OwnCredentialState.OK, 1)
    assert gitlab.own_rotations == []


def test_a_token_that_never_expires_is_never_rotated() -> None:
    gitlab = _gitlab(days_left=None)
    report = _check(gitlab, within=30, vault=Vault())
    assert (report.state, report.days_left) == (OwnCredentialState.OK, None)
    assert gitlab.own_rotations == []


def test_does_not_rotate_when_the_token_was_not_read_from_a_file() -> None:
    gitlab = _gitlab(days_left=3)
    report = _check(gitlab, vault=None, can_save=None)
    assert report.state is OwnCredentialState.ROTATION_BLOCKED
    assert not report.urgent
    assert report.problem is not None
    assert "expires on 2026-11-25" in report.problem
    assert "Set GITLAB_TOKEN_FILE" in report.problem
    assert gitlab.own_rotations == []


def test_does_not_rotate_when_the_file_cannot_be_written() -> None:
    gitlab, vault = _gitlab(days_left=3), Vault()
    report = _check(gitlab, vault=vault, can_save=lambda: "/run/secrets/token is read-only")
    assert report.state is OwnCredentialState.ROTATION_BLOCKED
    assert report.problem is not None
    assert "/run/secrets/token is read-only" in report.problem
    assert gitlab.own_rotations == []
    assert vault.saved == []


def test_the_new_expiry_is_at_most_365_days_away() -> None:
    gitlab = _gitlab(days_left=3)
    report = _check(gitlab, lifetime=400, vault=Vault())
    assert gitlab.own_rotations == [TODAY + timedelta(days=365)]
    assert report.days_left == 365


def test_a_threshold_as_long_as_the_lifetime_would_rotate_daily_so_it_does_not() -> None:
    gitlab = _gitlab(days_left=30)
    report = _check(gitlab, within=90, lifetime=90, vault=Vault())
    assert report.state is OwnCredentialState.ROTATION_BLOCKED
    assert report.problem is not None
    assert "TOKENBOT_SELF_ROTATE_DAYS (90) must be smaller" in report.problem
    assert gitlab.own_rotations == []


def test_a_rotation_gitlab_refuses_keeps_the_old_token_and_says_why() -> None:
    gitlab = _gitlab(days_left=3)
    gitlab.fail_own_rotate = MissingScopeError("api self_rotate")
    report = _check(gitlab, vault=Vault())
    assert report.state is OwnCredentialState.ROTATION_BLOCKED
    assert (report.gitlab_id, report.days_left) == (7, 3)
    assert report.problem is not None
    assert "GitLab refused to rotate it" in report.problem
    assert "(api self_rotate)" in report.problem


def test_an_unconfirmed_rotation_is_urgent_and_warns_against_retrying() -> None:
    gitlab = _gitlab(days_left=3)
    gitlab.fail_own_rotate = OutcomeUnknownError("GitLab did not confirm")
    report = _check(gitlab, vault=Vault())
    assert report.state is OwnCredentialState.UNCONFIRMED
    assert report.urgent
    assert report.problem is not None
    assert "Do not retry with the old token" in report.problem


def test_a_failed_save_after_rotating_is_urgent_and_never_shows_the_secret() -> None:
    gitlab = _gitlab(days_left=3)
    report = _check(gitlab, vault=Vault(fail=OSError("disk full")))
    assert report.state is OwnCredentialState.UNSAVED
    assert report.rotated
    assert report.urgent
    assert report.gitlab_id == gitlab.own_token.gitlab_id
    assert report.problem is not None
    assert "disk full" in report.problem
    assert "keeps working with the new token" in report.problem
    assert "update it by hand" in report.problem
    assert "glpat-" not in report.problem


def test_a_new_token_gitlab_does_not_accept_after_saving_is_urgent() -> None:
    gitlab = _gitlab(days_left=3)

    def save_then_break(secret: Secret) -> None:
        gitlab.fail_own = BotCredentialError("is not accepted by GitLab")

    report = check_own_credential(
        gitlab,
        today=TODAY,
        rotate_within_days=14,
        lifetime_days=90,
        save_secret=save_then_break,
        can_save=lambda: None,
    )
    assert report.state is OwnCredentialState.UNSAVED
    assert report.problem is not None
    assert "restart tokenbot" in report.problem


@pytest.mark.parametrize("reason", ["has expired", "was revoked"])
def test_an_expired_or_revoked_token_is_reported_not_rotated(reason: str) -> None:
    gitlab = _gitlab(days_left=3)
    gitlab.fail_own = BotCredentialError(reason)
    report = _check(gitlab, vault=Vault())
    assert report.state is OwnCredentialState.UNUSABLE
    assert report.urgent
    assert report.problem is not None
    assert reason in report.problem
    assert gitlab.own_rotations == []


@pytest.mark.parametrize(("days_left", "active"), [(0, True), (-2, True), (30, False)])
def test_a_token_gitlab_calls_inactive_is_not_rotated(days_left: int, active: bool) -> None:
    gitlab = _gitlab(days_left=days_left, active=active)
    report = _check(gitlab, within=40, vault=Vault())
    assert report.state is OwnCredentialState.UNUSABLE
    assert gitlab.own_rotations == []


def test_gitlab_being_down_is_reported_as_unchecked() -> None:
    gitlab = _gitlab(days_left=3)
    gitlab.fail_own = UnavailableError("GitLab is unavailable right now (503); try again later.")
    report = _check(gitlab, vault=Vault())
    assert report.state is OwnCredentialState.UNCHECKED
    assert not report.urgent
    assert report.problem is not None
    assert "503" in report.problem
    assert gitlab.own_rotations == []
