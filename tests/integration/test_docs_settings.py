"""docs/configuration.md lists every setting, as generated from the settings model."""

from __future__ import annotations

from pathlib import Path

from bot.config import Settings, reference_markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def test_the_settings_table_in_the_docs_is_generated_from_the_model() -> None:
    assert reference_markdown() in DOC.read_text(encoding="utf-8"), (
        "regenerate it with `tokenbot settings --reference`"
    )


def test_every_setting_has_a_description() -> None:
    for name, field in Settings.model_fields.items():
        assert field.description, name
