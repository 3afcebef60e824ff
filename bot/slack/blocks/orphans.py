"""Block Kit for a credential the reconciler reported: what it is, why, and Revoke."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import ActionsBlock, ButtonElement

from bot.domain.profiles import PROFILES
from bot.services.reconciler import Orphan
from bot.slack import ids
from bot.slack import text as t
from bot.slack.blocks import parts

_SHOWN = 300  # a name or path in a sentence
_CONFIRM = 80  # in the confirmation dialog, whose whole text is at most 300
_WHY = 400


def orphan_value(orphan: Orphan) -> str:
    record = orphan.record
    return f"{orphan.request.id}|{record.token_type.value}|{record.gitlab_id}"


def orphan_report(orphan: Orphan) -> tuple[list[dict[str, Any]], str]:
    """The report for the approvals channel, and its notification text."""
    record, request = orphan.record, orphan.request
    kind = PROFILES[record.token_type].title
    place = record.namespace.path if record.namespace else request.draft.target
    words = (
        f":warning: *A credential tokenbot cannot account for.* The {t.escape(kind)}"
        f" {t.code(record.name, _SHOWN)} in {t.code(place, _SHOWN)} (GitLab id"
        f" {record.gitlab_id}) bears the mark of the request by {t.mention(request.requester)},"
        f" but that request does not hold it: {t.prose(orphan.why, _WHY)}."
        " Revoke it unless someone relies on it."
    )
    name = t.plain(record.name, _CONFIRM)
    button = ButtonElement(
        text="Revoke this credential",
        action_id=ids.ORPHAN_REVOKE,
        value=orphan_value(orphan),
        style="danger",
        confirm=parts.confirm(
            title="Revoke this credential?",
            words=f"'{name}' stops working at once. Anything still using it will fail.",
            ok="Revoke",
            deny="Keep it",
        ),
    )
    blocks = [parts.section(words), ActionsBlock(elements=[button])]
    text = f"A credential tokenbot cannot account for: {t.plain(record.name, _SHOWN)}"
    return [b.to_dict() for b in blocks], text
