"""Mermaid flowchart of the decision tree, generated from the data so the docs cannot drift."""

from __future__ import annotations

from bot.domain.profiles import PROFILES
from bot.domain.tree import DecisionTree, Leaf, Question

_STYLE = {
    "low": "fill:#d4f6d4",
    "medium": "fill:#fff3cd",
    "high": "fill:#ffe6e6",
}


def render_mermaid(tree: DecisionTree) -> str:
    """A `flowchart TD` with every question, choice and leaf, in a stable order."""
    lines = ["flowchart TD"]
    for question in tree.questions.values():
        lines.append(f"    {question.key}{{{_label(_question_text(question))}}}")
        for choice in question.choices:
            lines.append(f"    {question.key} -->|{_label(choice.label)}| {choice.next}")
    for leaf in tree.leaves.values():
        lines.append(f"    {leaf.key}[{_label(_leaf_text(leaf))}]")
    for leaf in tree.leaves.values():
        lines.append(f"    style {leaf.key} {_STYLE[_leaf_risk(leaf)]}")
    return "\n".join(lines) + "\n"


def _question_text(question: Question) -> str:
    return f"{question.text}<br/><i>{question.question_id}</i>"


def _leaf_text(leaf: Leaf) -> str:
    seed = f" ({leaf.seed_node})" if leaf.seed_node else ""
    return f"{leaf.summary}<br/><i>{leaf.token_type.value}{seed}</i>"


def _leaf_risk(leaf: Leaf) -> str:
    # A leaf the seeds hedge ("consider", "last resort") is at least amber.
    risk = PROFILES[leaf.token_type].risk
    if leaf.caveats and risk == "low":
        return "medium"
    return risk


def _label(text: str) -> str:
    escaped = text.replace('"', "#quot;").replace("`", "")
    return f'"{escaped}"'
