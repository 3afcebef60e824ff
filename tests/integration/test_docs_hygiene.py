"""docs/hygiene.md: every finding id is documented, and its chart is a real generated PNG."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from bot.domain.hygiene import FindingKind

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_every_finding_id_is_documented() -> None:
    text = (DOCS / "hygiene.md").read_text(encoding="utf-8")
    for kind in FindingKind:
        assert f"| `{kind.value}` |" in text, kind


def test_the_chart_it_shows_is_committed_and_drawn() -> None:
    text = (DOCS / "hygiene.md").read_text(encoding="utf-8")
    assert "](images/hygiene-chart.png)" in text
    image = Image.open(DOCS / "images" / "hygiene-chart.png")
    assert image.format == "PNG"
    assert image.size == (1100, 600)
    assert len(image.convert("RGB").getcolors(maxcolors=1 << 24) or ()) > 50
