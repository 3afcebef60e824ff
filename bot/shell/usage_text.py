"""How to use a new credential, as terminal text: username, API header, commands to paste."""

from __future__ import annotations

from bot.domain.usage import Usage


def usage_text(usage: Usage, *, variable_project: str | None = None) -> str:
    """Plain lines; the commands read the secret from a variable, never hold it."""
    lines = []
    if usage.username:
        lines.append(f"  Username: {usage.username} ({usage.username_note})")
    lines.append(f"  API: {usage.api}")
    for snippet in usage.snippets:
        lines += [f"  {snippet.label}:", f"      {snippet.command}"]
    if usage.snippets and usage.in_ci:
        lines.append(f"  In the CI/CD jobs of {variable_project}, ${usage.variable} holds it.")
    elif usage.snippets:
        lines.append(
            f"  The commands read it from ${usage.variable}: type"
            f" `read -rs {usage.variable} && export {usage.variable}` and paste it."
        )
    return "\n".join(lines)
