"""Block Kit for token hygiene: the weekly digest, a person's own findings on the Home tab,
and the "Keep, it is right" form.

Each flagged credential comes with Revoke (confirmed first, as on a reminder), Replace with a
narrower token and Keep, it is right. A button's value holds the token's key and a finding's
id only: the listeners read the token and its findings again and the gate decides.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    DividerBlock,
    InputBlock,
    Option,
    PlainTextInputElement,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.domain.hygiene import Finding, FindingKind
from bot.domain.hygiene_report import FlaggedCredential, HygieneReport
from bot.domain.profiles import PROFILES
from bot.services.reminder_actions import can_revoke
from bot.slack import ids
from bot.slack import text as t
from bot.slack.blocks import parts
from bot.slack.blocks.reminders import owner_text, where

MESSAGE_BLOCKS = 50  # Slack's most blocks in one message
HOME_ITEMS = 6  # flagged credentials on the Home tab (which holds 100 blocks in all)
DIGEST_ITEMS = 20  # two blocks each, within MESSAGE_BLOCKS with the summary around them
KEEP_REASON_MAX = 500
_NAME = 120
_WHY = 400  # one finding's sentence, from tokenbot, quoting names from GitLab
_CONFIRM_NAME = 80

FINDING_LABELS: Mapping[FindingKind, str] = {
    FindingKind.UNUSED: "Unused",
    FindingKind.BROAD_SCOPE: "Can write",
    FindingKind.HIGH_ROLE: "Maintainer or Owner role",
    FindingKind.LARGE_GROUP: "Reaches a large group",
    FindingKind.LONG_LIFETIME: "Lives longer than the default",
    FindingKind.UNOWNED: "Nobody owns it",
    FindingKind.NEVER_EXPIRES: "Never expires",
    FindingKind.BEYOND_MAXIMUM: "Expires after the policy's maximum",
}


def label(kind: FindingKind) -> str:
    return FINDING_LABELS.get(kind, kind.value)


def keep_value(key: str, kind: FindingKind) -> str:
    """What Keep and Replace carry: the finding's id and the token's key."""
    return f"{kind.value} {key}"


def read_keep_value(raw: str) -> tuple[str, FindingKind | None]:
    """(token key, finding kind) from a button's value; a forged kind reads as None."""
    kind, _, key = raw.partition(" ")
    known = {k.value: k for k in FindingKind}
    return key, known.get(kind)


def digest_message(
    report: HygieneReport, *, note: str | None = None, team: str | None = None
) -> tuple[list[dict[str, Any]], str]:
    """The weekly digest: how many are flagged for what, then the worst with their buttons.

    `note` is tokenbot's own mrkdwn (the chart could not be attached); `team` names the routed
    namespace the digest covers (from settings).
    """
    scope = f" in {t.code(team, _NAME)}" if team else ""
    text = t.clip(
        f"Token hygiene{t.plain(scope, 200)}: {report.flagged_count} of {report.total}"
        " tracked credentials have findings.",
        t.MESSAGE_TEXT,
    )
    blocks: list[Block] = [
        parts.header("Token hygiene this week"),
        parts.section(
            f"{report.flagged_count} of {report.total} tracked credentials{scope} have findings."
        ),
    ]
    counts = [f"• {label(kind)}: {number}" for kind, number in _counted(report) if number]
    if counts:
        blocks.append(parts.section("*By finding*\n" + "\n".join(counts)))
    room = (MESSAGE_BLOCKS - len(blocks) - 3) // 2
    shown = report.worst[: min(DIGEST_ITEMS, room)]
    if shown:
        blocks.append(parts.section("*Worst first*"))
    for item in shown:
        blocks += flagged_blocks(item)
    if report.flagged_count > len(shown):
        blocks.append(
            parts.context(f"… and {report.flagged_count - len(shown)} more not shown here.")
        )
    if note:
        blocks.append(parts.context(note))
    return [b.to_dict() for b in blocks[:MESSAGE_BLOCKS]], text


def home_findings(items: Sequence[FlaggedCredential], *, total: int | None = None) -> list[Block]:
    """The Home tab's "Your credentials' findings": the person's own, with the same buttons."""
    blocks: list[Block] = [DividerBlock(), parts.header("Your credentials' findings")]
    if not items:
        blocks.append(parts.context("Nothing to fix: none of your credentials has findings."))
        return blocks
    for item in items[:HOME_ITEMS]:
        blocks += flagged_blocks(item)
    hidden = (total if total is not None else len(items)) - min(len(items), HOME_ITEMS)
    if hidden > 0:
        blocks.append(parts.context(f"… and {hidden} more not shown here."))
    return blocks


def flagged_blocks(item: FlaggedCredential) -> list[Block]:
    """One flagged credential: what it is, each finding and what instead, and its buttons."""
    token = item.token
    title = PROFILES[token.token_type].title
    lines = [
        f"*{t.code(token.name, _NAME)}* ({title}) in {where(token, limit=_NAME)},"
        f" {owner_text(token)}"
    ]
    lines += [_finding_line(f) for f in item.findings]
    blocks: list[Block] = [parts.section("\n".join(lines))]
    buttons = action_buttons(item)
    if buttons:
        blocks.append(ActionsBlock(elements=buttons))
    return blocks


def action_buttons(item: FlaggedCredential) -> list[ButtonElement]:
    token, first = item.token, item.findings[0].kind if item.findings else None
    buttons: list[ButtonElement] = []
    if can_revoke(token):
        name = t.plain(token.name, _CONFIRM_NAME)
        path = t.plain(token.namespace.path, _CONFIRM_NAME)
        words = f"'{name}' in {path} stops working at once. Anything still using it will fail."
        buttons.append(
            ButtonElement(
                text="Revoke",
                action_id=ids.HYGIENE_REVOKE,
                value=token.key,
                style="danger",
                confirm=parts.confirm(
                    title="Revoke this token?", words=words, ok="Revoke", deny="Keep it"
                ),
            )
        )
    if first is not None:
        buttons.append(
            ButtonElement(
                text="Replace with a narrower token",
                action_id=ids.HYGIENE_REPLACE,
                value=keep_value(token.key, first),
            )
        )
        buttons.append(
            ButtonElement(
                text="Keep, it is right",
                action_id=ids.HYGIENE_KEEP,
                value=keep_value(token.key, first),
            )
        )
    return buttons


def keep_modal(item: FlaggedCredential, chosen: FindingKind) -> dict[str, Any]:
    """Keep, it is right: which finding is right for this token, and why (required)."""
    token = item.token
    options = [
        Option(value=f.kind.value, text=t.plain(label(f.kind), t.OPTION_TEXT))
        for f in item.findings
    ]
    initial = next((o for o in options if o.value == chosen.value), options[0] if options else None)
    view = View(
        type="modal",
        callback_id=ids.HYGIENE_KEEP_SUBMIT,
        private_metadata=token.key[: t.PRIVATE_METADATA],
        title="Keep this finding",
        submit="Keep",
        close="Cancel",
        blocks=[
            parts.section(
                f"*{t.code(token.name, _NAME)}* in {where(token, limit=_NAME)}: tokenbot stops"
                " flagging it for the finding you choose. Your reason is kept in the audit log."
            ),
            InputBlock(
                block_id="kind",
                label="Finding that is right for this token",
                element=StaticSelectElement(
                    action_id="value", options=options, initial_option=initial
                ),
            ),
            InputBlock(
                block_id="reason",
                label="Why it is right",
                element=PlainTextInputElement(
                    action_id="value",
                    multiline=True,
                    min_length=1,
                    max_length=KEEP_REASON_MAX,
                    placeholder="What needs it as it is",
                ),
            ),
        ],
    )
    return view.to_dict()


def _finding_line(finding: Finding) -> str:
    why = t.prose(finding.why, _WHY)
    instead = t.prose(finding.instead, _WHY)
    return f"• *{label(finding.kind)}*: {why} _Instead:_ {instead}"


def _counted(report: HygieneReport) -> list[tuple[FindingKind, int]]:
    """Counts in FindingKind's order (the report's mapping may hold any order)."""
    return [(kind, int(report.counts.get(kind, 0))) for kind in FindingKind]
