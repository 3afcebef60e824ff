"""docs/gitlab-features.md shows the feature table as the code has it."""

from __future__ import annotations

from pathlib import Path

from bot.domain.fine_grained import PERMISSIONS
from bot.services.checks_features import feature_reference_markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "gitlab-features.md"


def test_the_feature_table_in_the_docs_is_generated_from_the_rows() -> None:
    assert feature_reference_markdown() in DOC.read_text(encoding="utf-8"), (
        "regenerate the table with bot.services.checks_features.feature_reference_markdown()"
    )


def test_every_fine_grained_permission_the_advisor_names_is_in_the_docs() -> None:
    text = DOC.read_text(encoding="utf-8")
    for found in PERMISSIONS.values():
        for permission in () if isinstance(found, str) else found:
            assert f"`{permission.name}`" in text, permission.name
