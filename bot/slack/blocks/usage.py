"""Block Kit for how to use a new credential: username, API header, commands to paste.

No block here holds a secret: the commands read it from a variable (bot/domain/usage.py).
"""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import Block

from bot.domain.requests import TokenRequest
from bot.domain.usage import Usage
from bot.slack import text as t
from bot.slack.blocks import notices, parts

_SHOWN_NAME = 300
_COMMAND = 1500  # one command line and its label in a section of 3,000


def usage_blocks(usage: Usage, *, variable_project: str | None = None) -> list[Block]:
    """The username (when it takes one), the API in one line, then each command."""
    lines = []
    if usage.username:
        lines.append(f"*Username* {t.code(usage.username, _SHOWN_NAME)}: {usage.username_note}")
    lines.append(f"*API* {t.prose(usage.api, 600)}")
    blocks: list[Block] = [parts.section("\n".join(lines))]
    for snippet in usage.snippets:
        label = t.prose(snippet.label, 200)
        blocks.append(parts.section(f"*{label}*\n{t.code_block(snippet.command, _COMMAND)}"))
    if usage.snippets:
        blocks.append(parts.context(_where_the_secret_is(usage, variable_project)))
    return blocks


def in_variable_message(
    request: TokenRequest, usage: Usage | None, *, rotated: bool
) -> tuple[list[dict[str, Any]], str]:
    """The requester's DM when the secret went into a CI/CD variable: which, and how a job
    uses it."""
    draft = request.draft
    text = notices.in_variable(draft, rotated=rotated)
    blocks: list[Block] = [parts.section(text)]
    if usage is not None:
        blocks += usage_blocks(usage, variable_project=draft.variable_project)
    return [b.to_dict() for b in blocks], t.clip(text, t.MESSAGE_TEXT)


def _where_the_secret_is(usage: Usage, variable_project: str | None) -> str:
    variable = t.code(f"${usage.variable}", 260)
    if usage.in_ci:
        where = t.code(variable_project or "", _SHOWN_NAME)
        return f"In the CI/CD jobs of {where}, {variable} holds the token."
    read = t.code(f"read -rs {usage.variable} && export {usage.variable}", 300)
    return (
        f"The commands read the token from {variable}: type {read} and paste it (it is not"
        " shown or kept in your shell history)."
    )
