"""What the hygiene buttons need: the reminder actions (Revoke), findings, and the request form."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.domain.hygiene_report import FlaggedCredential
from bot.services.hygiene import HygieneDeps, hygiene_report
from bot.services.reminder_actions import ActionDeps
from bot.slack.blocks.hygiene import HOME_ITEMS
from bot.slack.flow import ReminderFlow, RequestFlow


@dataclass(frozen=True, slots=True)
class HygieneFlow:
    reminders: ReminderFlow  # who the clicker is, and Revoke's dependencies
    hygiene: HygieneDeps
    requests: RequestFlow | None = None  # Replace opens the request form: requests must be on

    @property
    def actions(self) -> ActionDeps:
        return self.reminders.actions

    def own_findings(self, chat_id: str) -> tuple[Sequence[FlaggedCredential], int]:
        """The person's own flagged credentials for the Home tab, and how many in all."""
        report = hygiene_report(deps=self.hygiene, owner=chat_id, worst=HOME_ITEMS)
        return report.worst, report.flagged_count
