"""GitLab's own version beats TOKENBOT_GITLAB_VERSION once GitLab has answered."""

from __future__ import annotations

import logging

import pytest

from bot.domain.platform import Offering, Platform, Tier
from bot.domain.tokens import TokenType
from bot.services.advisor import AdviceContext, advise
from bot.services.gitlab_errors import UnavailableError
from bot.services.known_platform import KnownPlatform

CONFIGURED = Platform(Offering.SELF_MANAGED, Tier.FREE, (18, 5))
NO_PROJECT_SA = {
    "need": "gitlab_api",
    "in_ci": "no",
    "single_project": "no",
    "multi_project": "no",
    "can_create_service_account": "yes",
    "capabilities": "read_api",
}


def test_the_configured_platform_holds_until_gitlab_answers() -> None:
    known = KnownPlatform(CONFIGURED)
    assert known.current() == CONFIGURED
    assert known.refresh(lambda: "19.6.1-ee") == (19, 6)
    assert known.current() == Platform(Offering.SELF_MANAGED, Tier.FREE, (19, 6))


def test_a_failed_read_keeps_what_is_known_and_logs_it(caplog: pytest.LogCaptureFixture) -> None:
    known = KnownPlatform(CONFIGURED)
    known.refresh(lambda: "19.6")

    def down() -> str:
        raise UnavailableError("GitLab is down")

    with caplog.at_level(logging.WARNING):
        assert known.refresh(down) is None
    assert known.current().version == (19, 6)
    assert "could not be read" in caplog.text


def test_an_unreadable_answer_is_ignored() -> None:
    known = KnownPlatform(CONFIGURED)
    assert known.refresh(lambda: "nightly") is None
    assert known.current() == CONFIGURED


def test_the_advice_follows_the_version_gitlab_gave() -> None:
    known = KnownPlatform(CONFIGURED)
    context = AdviceContext(platform=CONFIGURED, known=known)
    before = advise(NO_PROJECT_SA, context=context).recommendation
    assert before is not None
    assert before.token_type is TokenType.BOT_USER_PAT  # Free before 18.11: no service accounts
    known.refresh(lambda: "18.11.0")
    after = advise(NO_PROJECT_SA, context=context).recommendation
    assert after is not None
    assert after.token_type is TokenType.SERVICE_ACCOUNT_PAT
