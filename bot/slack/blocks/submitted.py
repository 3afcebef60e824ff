"""The faces of a modal after its submit: "Checking with GitLab…" while the work runs, then
the form again as it was filled in with every problem under its field, or what was done.

`refilled` works on any form this bot builds (the deny, job-token, renew and break-glass
forms): the builder draws the form afresh and the answers are put back from what Slack sent,
only where they fit the element (an option it offers, a date, text within its length).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import date
from typing import Any

from slack_sdk.models.views import View

from bot.slack import text as t
from bot.slack.blocks import parts
from bot.slack.blocks.request_forms import PROBLEM_BLOCK, PROBLEM_LENGTH
from bot.slack.parse import form_value

CHECKING = "Checking with GitLab…"


def checking_view(
    *, callback_id: str, title: str, words: str, metadata: str = ""
) -> dict[str, Any]:
    """What the ack shows while GitLab is asked; `metadata` is kept for the form's return."""
    view = View(
        type="modal",
        callback_id=callback_id,
        title=t.plain(title, t.MODAL_TITLE),
        close="Close",
        private_metadata=metadata[: t.PRIVATE_METADATA] or None,
        blocks=[parts.section(f"*{CHECKING}*\n{words}")],
    )
    return view.to_dict()


def done_view(*, callback_id: str, title: str, markup: str) -> dict[str, Any]:
    """The modal's last face: `markup` (safe mrkdwn already), and a Done button."""
    view = View(
        type="modal",
        callback_id=callback_id,
        title=t.plain(title, t.MODAL_TITLE),
        close="Done",
        blocks=[parts.section(markup)],
    )
    return view.to_dict()


def refilled(
    form: dict[str, Any],
    submitted: Mapping[str, Any],
    problems: Mapping[str, str],
    *,
    again: str,
) -> dict[str, Any]:
    """`form` (freshly built) holding the answers of `submitted`, each problem (field ->
    plain words) under its field, one about a field it lacks on top; `again`: the submit
    button's words, as the line on top tells the person to press it again."""
    blocks: list[dict[str, Any]] = []
    shown = set()
    for block in copy.deepcopy(form.get("blocks", [])):
        blocks.append(block)
        name = block.get("block_id")
        if block.get("type") != "input" or not isinstance(name, str):
            continue
        shown.add(name)
        _put_back(block["element"], form_value(submitted, name))
        if name in problems:
            blocks.append(_problem(name, problems[name]))
    elsewhere = [_problem(n, w) for n, w in problems.items() if n not in shown]
    count = len(problems)
    top = parts.section(
        f":warning: Not done yet: {count} thing{'s' if count != 1 else ''} to fix, marked"
        f" below. Fix {'them' if count != 1 else 'it'} and press {again} again."
    ).to_dict()
    return {**form, "blocks": [top, *elsewhere, *blocks] if problems else blocks}


def _put_back(element: dict[str, Any], answer: str | list[str] | None) -> None:
    kind = element.get("type")
    if answer is None or answer == []:
        return
    if kind == "plain_text_input" and isinstance(answer, str):
        element["initial_value"] = answer[: int(element.get("max_length") or t.INPUT_MAX_LENGTH)]
    elif kind == "datepicker" and isinstance(answer, str) and _is_date(answer):
        element["initial_date"] = answer
    elif kind in {"static_select", "radio_buttons"} and isinstance(answer, str):
        chosen = [o for o in element.get("options", []) if o.get("value") == answer]
        if chosen:
            element["initial_option"] = chosen[0]
    elif kind == "multi_static_select" and isinstance(answer, list):
        picked = [o for o in element.get("options", []) if o.get("value") in answer]
        if picked:
            element["initial_options"] = picked


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10


def _problem(field: str, words: str) -> dict[str, Any]:
    block = parts.context(f":warning: {t.prose(words, PROBLEM_LENGTH)}")
    block.block_id = f"{PROBLEM_BLOCK}{field}"[:255]
    return block.to_dict()
