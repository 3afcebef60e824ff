"""The chaos benchmark (tests/benchmarks/chaos.py) in small: a few seeded runs, each with
random GitLab faults and worker deaths, end with exactly one delivered credential or none."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from tests.benchmarks import chaos

RUNS, SEED = 12, 7


def test_seeded_chaos_runs_leave_no_orphan_duplicate_or_stuck_request(
    database_url: str, db: Engine
) -> None:
    figures = chaos.run_all(database_url, runs=RUNS, seed=SEED)
    assert figures.failing_runs == []
    assert figures.clean
    assert figures.requests == RUNS
    # Not a quiet run: workers died and lost answers were resolved.
    assert figures.deaths > 0
    assert figures.actions["adopted"] > 0
    assert figures.actions["reconciled"] > 0


def test_the_script_prints_its_figures_and_no_secret(capsys: pytest.CaptureFixture[str]) -> None:
    assert chaos.main(["--runs", "3", "--seed", "1", "--database", "sqlite"]) == 0
    out = capsys.readouterr().out
    for label in ("requests", "credentials minted", "live orphans", "duplicates", "stuck"):
        assert label in out
    for figure in ("reconciliation", "total", "mean", "max"):
        assert figure in out
    for prefix in ("glpat-", "gldt-", "glptt-"):  # secrets' prefixes
        assert prefix not in out
