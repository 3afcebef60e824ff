"""The bot's own GitLab token, checked daily: rotated when configured, and reminded of.

The report of `check_own_credential` is written to the inventory as a tracked token with
the key `own:<GitLab id>`, so the daily sweep reminds the reminders channel before the bot
loses its access, like any other token (it has no owner and no namespace to route by).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC

from bot.domain.credentials import Namespace, NamespaceKind
from bot.domain.reminders import TrackedStatus, TrackedToken
from bot.domain.tokens import TokenType
from bot.services.own_credential import OwnCredentialReport, OwnCredentialState
from bot.services.ports import Clock, UnitOfWorkFactory

log = logging.getLogger(__name__)
OWN_PLACE = "own"
OWN_WHERE = Namespace(NamespaceKind.GROUP, 0, "tokenbot's own GitLab token")


def watch_own_token(
    check: Callable[[], OwnCredentialReport], *, uow: UnitOfWorkFactory, clock: Clock
) -> OwnCredentialReport:
    """Run the check, log what people must know, and track the token for reminders."""
    report = check()
    if report.urgent:
        log.error("tokenbot's own GitLab token: %s", report.problem)
    elif report.problem:
        log.warning("tokenbot's own GitLab token: %s", report.problem)
    if report.rotated:
        log.info("tokenbot rotated its own GitLab token; it now expires on %s", report.expires_on)
    if report.gitlab_id is None or report.state is OwnCredentialState.UNCHECKED:
        return report
    token = TrackedToken(
        key=f"own:{report.gitlab_id}",
        token_type=TokenType.PERSONAL_ACCESS_TOKEN,
        gitlab_id=report.gitlab_id,
        name=report.name or "tokenbot",
        namespace=OWN_WHERE,
        scopes=report.scopes,
        expires_on=report.expires_on,
        status=TrackedStatus.ACTIVE,
    )
    now = clock().astimezone(UTC)
    with uow() as unit:
        if report.rotated:
            # The rotation revoked the previous own token: no more reminders for it.
            for old in unit.inventory.tokens():
                if old.key.startswith("own:") and old.key != token.key:
                    unit.inventory.update(replace(old, status=TrackedStatus.REVOKED), now)
        unit.inventory.track(token, OWN_PLACE, now)
        unit.commit()
    return report
