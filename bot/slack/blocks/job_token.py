"""Block Kit for CI/CD job token access: the form, the approvers' card, the list, the notes.

Paths, reasons and GitLab's refusals are untrusted: they go through `bot.slack.text`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    RadioButtonsElement,
    StaticMultiSelectElement,
)
from slack_sdk.models.views import View

from bot.domain.gitlab_features import Verdict
from bot.domain.job_token_access import (
    PATH_MAX_LENGTH,
    REASON_MAX_LENGTH,
    JobAccessState,
    JobTokenAccess,
    SourceKind,
)
from bot.domain.job_token_policies import UNCONTROLLED, JobResource, Need, choice, choice_label
from bot.slack import ids
from bot.slack import text as t
from bot.slack.blocks import parts
from bot.slack.blocks.submitted import checking_view, done_view, refilled

_SHOWN_PATH = 300
TITLE = "Job token access"
KIND_LABELS = {
    SourceKind.PROJECT: "The jobs of one project",
    SourceKind.GROUP: "The jobs of every project in a group",
}
_STATE_WORDS = {
    JobAccessState.PENDING: "Waiting for a Maintainer of the target project",
    JobAccessState.ADDING: "Approved; tokenbot is adding it to GitLab's allowlist",
    JobAccessState.ALLOWED: "Allowed: the entry is on GitLab's job token allowlist",
    JobAccessState.FAILED: "GitLab refused the entry",
    JobAccessState.DENIED: "Denied",
    JobAccessState.REMOVING: "Being removed from GitLab's allowlist",
    JobAccessState.REMOVED: "Removed from GitLab's allowlist",
    JobAccessState.WITHDRAWN: "Withdrawn: its approval card could not be posted",
    JobAccessState.EXPIRED: "Expired: nobody decided in time",
}


def job_access_button() -> ButtonElement:
    """Under the advisor's CI job token recommendation."""
    return ButtonElement(
        text="Request job-token access", action_id=ids.JOB_ACCESS_OPEN, value="open"
    )


def job_access_modal(fine_grained: Verdict) -> dict[str, Any]:
    """The request form; where GitLab has fine-grained job token permissions (18.3), it asks
    which resources the jobs need, else it says that the entry gets the default permissions."""
    options = [Option(value=k.value, label=label) for k, label in KIND_LABELS.items()]
    blocks: list[Block] = [
        InputBlock(
            block_id="source_kind",
            label="Whose jobs need access",
            element=RadioButtonsElement(
                action_id="value", options=options, initial_option=options[0]
            ),
        ),
        _input("source", "Project or group whose jobs need access", "group/project-with-the-jobs"),
        _input("target", "Project the jobs need to reach", "group/project-they-reach"),
        _resources(fine_grained),
        _input("reason", "Reason", None, max_length=REASON_MAX_LENGTH, multiline=True),
    ]
    view = View(
        type="modal",
        callback_id=ids.JOB_ACCESS_SUBMIT,
        title=TITLE,
        submit="Request",
        close="Cancel",
        blocks=blocks,
    )
    return view.to_dict()


def job_access_checking_modal() -> dict[str, Any]:
    return checking_view(
        callback_id=ids.JOB_ACCESS_SUBMIT,
        title=TITLE,
        words="The form comes back here if anything needs fixing. Nothing goes to the"
        " approvers until GitLab agrees.",
    )


def job_access_form_again(
    fine_grained: Verdict, submitted: Mapping[str, Any], problems: Mapping[str, str]
) -> dict[str, Any]:
    return refilled(job_access_modal(fine_grained), submitted, problems, again="Request")


def job_access_sent_modal(access: JobTokenAccess) -> dict[str, Any]:
    """The confirmation: the requester's note, which they also get by direct message."""
    return done_view(callback_id=ids.JOB_ACCESS_SUBMIT, title=TITLE, markup=job_access_note(access))


def _resources(fine_grained: Verdict) -> Block:
    if not fine_grained.yes:
        return parts.context(
            f"Fine-grained job token permissions {t.prose(fine_grained.reason, 500)}: the"
            " entry gets GitLab's default permissions (everything a job token can reach)."
        )
    options = [
        Option(value=choice(resource, need), label=choice_label(resource, need))
        for resource in JobResource
        for need in Need
    ]
    return InputBlock(
        block_id="resources",
        label="Resources the jobs need",
        element=StaticMultiSelectElement(
            action_id="value", placeholder="Read or read and write, per resource", options=options
        ),
        optional=True,
        hint="tokenbot asks GitLab for the least permissions: read unless you pick read and"
        " write. Leave empty for GitLab's default permissions. Endpoints no permission"
        f" controls ({UNCONTROLLED.replace('`', '')}) stay reachable.",
    )


def job_access_card(access: JobTokenAccess) -> tuple[list[dict[str, Any]], str]:
    """The approvers' card; its buttons follow the entry's state."""
    blocks: list[Block] = [
        parts.header("CI/CD job token access request"),
        parts.section(f"{t.mention(access.requester)} asks: {_what(access)}"),
        parts.section("*Reason*\n" + t.prose(access.reason, t.SECTION_TEXT)),
        parts.section("*Permissions*\n" + t.prose(access.policies.describe, 1500)),
        parts.context(_status(access)),
    ]
    buttons = _buttons(access)
    if buttons:
        blocks.append(ActionsBlock(elements=buttons))
    return [b.to_dict() for b in blocks], t.clip(f"Job token access: {_plain(access)}", 3000)


def job_access_list(entries: Sequence[JobTokenAccess]) -> tuple[list[dict[str, Any]], str]:
    """`/token job-access`: live entries the person asked for or may remove."""
    if not entries:
        words = "No job token access is requested or allowed that you asked for or manage."
        return [parts.section(words).to_dict()], words
    blocks: list[Block] = [parts.header("CI/CD job token access")]
    for access in entries[:40]:  # a message holds 50 blocks
        remove = _remove_button(access) if access.state is JobAccessState.ALLOWED else None
        words = f"{_what(access)}\n{_permissions(access)}\n{_status(access)}"
        blocks.append(parts.section(words, accessory=remove))
    return [b.to_dict() for b in blocks], "CI/CD job token access"


def job_access_note(access: JobTokenAccess) -> str:
    """What the requester is told at each step (mrkdwn, already escaped)."""
    what = _what(access)
    if access.state is JobAccessState.PENDING:
        return (
            f"Your job token access request is waiting for approval: {what}\n{_permissions(access)}"
        )
    if access.state is JobAccessState.FAILED:
        return f"GitLab refused the job token access: {what}\n{_failure(access)}"
    if access.state is JobAccessState.WITHDRAWN:
        return f"Not requested: its approval card could not be posted; try again. ({what})"
    who = t.mention(access.removed_by or access.decided_by)
    said = f"{_STATE_WORDS[access.state]} (by {who}): {what}"
    if access.state is JobAccessState.ALLOWED:
        said += f"\n{_permissions(access)}"
        if access.failure:
            said += f"\n{_failure(access)}"
    return said


def _what(access: JobTokenAccess) -> str:
    source = t.code(access.source.path, _SHOWN_PATH)
    target = t.code(access.target.path, _SHOWN_PATH)
    if access.source_kind is SourceKind.GROUP:
        return f"CI/CD jobs of projects in the group {source} may reach {target} with CI_JOB_TOKEN"
    return f"CI/CD jobs of {source} may reach {target} with CI_JOB_TOKEN"


def _permissions(access: JobTokenAccess) -> str:
    return "Permissions: " + t.prose(access.policies.describe, 800)


def _plain(access: JobTokenAccess) -> str:
    return t.plain(f"{access.source.path} → {access.target.path}", 600)


def _status(access: JobTokenAccess) -> str:
    words = _STATE_WORDS[access.state]
    if access.state in {JobAccessState.ALLOWED, JobAccessState.DENIED} and access.decided_by:
        words += f"; decided by {t.mention(access.decided_by)}"
    if access.state is JobAccessState.REMOVED and access.removed_by:
        words += f" by {t.mention(access.removed_by)}"
    if access.failure:
        words += f"\n{_failure(access)}"
    return words


def _failure(access: JobTokenAccess) -> str:
    return "GitLab said: " + t.prose(access.failure or "", 1000)


def _buttons(access: JobTokenAccess) -> list[ButtonElement]:
    if access.state is JobAccessState.PENDING:
        return [
            ButtonElement(
                text="Approve", action_id=ids.JOB_ACCESS_APPROVE, value=access.id, style="primary"
            ),
            ButtonElement(
                text="Deny", action_id=ids.JOB_ACCESS_DENY, value=access.id, style="danger"
            ),
        ]
    if access.state is JobAccessState.ALLOWED:
        return [_remove_button(access)]
    return []


def _remove_button(access: JobTokenAccess) -> ButtonElement:
    return ButtonElement(
        text="Remove access",
        action_id=ids.JOB_ACCESS_REMOVE,
        value=access.id,
        style="danger",
        confirm=parts.confirm(
            title="Remove job token access?",
            words=f"Jobs of {access.source.path} will no longer reach {access.target.path}.",
            ok="Remove",
            deny="Keep",
        ),
    )


def _input(
    block_id: str,
    label: str,
    placeholder: str | None,
    *,
    max_length: int = PATH_MAX_LENGTH,
    multiline: bool = False,
) -> InputBlock:
    element = PlainTextInputElement(
        action_id="value",
        placeholder=placeholder,
        multiline=multiline or None,
        max_length=max_length,
    )
    return InputBlock(block_id=block_id, label=label, element=element)
