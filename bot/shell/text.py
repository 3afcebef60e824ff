"""Plain-text rendering of prompts and recommendations, for the terminal and `advise`."""

from __future__ import annotations

import textwrap

from bot.domain.advice import Recommendation
from bot.domain.profiles import PROFILES
from bot.domain.walk import Prompt

WIDTH = 88


def render_prompt(prompt: Prompt, *, numbered: bool = True) -> str:
    lines = [prompt.text]
    for index, choice in enumerate(prompt.choices, start=1):
        marker = f"{index:>2}." if numbered else "  -"
        lines.append(f"  {marker} {choice.label}  [{choice.value}]")
    if prompt.multiple:
        lines.append("  (several allowed: type numbers or ids separated by commas, e.g. 1,3)")
    if prompt.help:
        lines.append(_wrap(prompt.help, indent="  "))
    return "\n".join(lines)


def render_recommendation(rec: Recommendation) -> str:
    lines = [f"Recommendation: {rec.title}  [{rec.token_type.value}]", _wrap(rec.summary, "  ")]
    if rec.first_choice is not None:
        lines.append(f"  (first choice {PROFILES[rec.first_choice].title} is not available here)")
    lines.append("")
    lines.append(f"  Scopes:   {', '.join(rec.scopes) if rec.scopes else 'none to choose'}")
    role = (
        f"{rec.access_level.label} ({rec.access_level.value})"
        if rec.access_level
        else ("not applicable")
    )
    lines.append(f"  Role:     {role}")
    lifetime = f"{rec.lifetime_days} days" if rec.lifetime_days else "no expiry date to set"
    lines.append(f"  Lifetime: {lifetime}")
    lines.append(f"  Risk:     {rec.risk}")
    lines.append("")
    lines.append("Why:")
    lines.extend(_wrap(reason, "  - ", "    ") for reason in rec.reasons)
    if rec.warnings:
        lines.append("Watch out:")
        lines.extend(_wrap(warning, "  ! ", "    ") for warning in rec.warnings)
    lines.append("How:")
    lines.extend(_wrap(step, "  * ", "    ") for step in rec.how_to)
    return "\n".join(lines)


def _wrap(text: str, indent: str, subsequent: str | None = None) -> str:
    return textwrap.fill(
        text,
        WIDTH,
        initial_indent=indent,
        subsequent_indent=subsequent or indent,
        break_on_hyphens=False,
        break_long_words=False,
    )
