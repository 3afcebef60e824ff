"""docs/decision-tree.md carries the Mermaid chart generated from the tree data."""

from __future__ import annotations

from pathlib import Path

from bot.domain.advice_tree import ADVICE_TREE
from bot.domain.diagram import render_mermaid

DOC = Path(__file__).resolve().parents[2] / "docs" / "decision-tree.md"


def test_the_docs_chart_is_the_one_generated_from_the_data() -> None:
    text = DOC.read_text(encoding="utf-8")
    expected = "```mermaid\n" + render_mermaid(ADVICE_TREE) + "```"
    assert expected in text, "regenerate it: see the top of docs/decision-tree.md"


def test_the_chart_has_every_node_and_edge() -> None:
    chart = render_mermaid(ADVICE_TREE)
    for key in [*ADVICE_TREE.questions, *ADVICE_TREE.leaves]:
        assert f"    {key}" in chart
    edges = sum(len(q.choices) for q in ADVICE_TREE.questions.values())
    assert chart.count(" -->|") == edges
