"""`tokenbot report` on the sandbox's demo company, as an operator runs it: sync, then the
report as text, as JSON, and its chart as a PNG that is opened and looked at."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from bot.domain.hygiene import FindingKind
from bot.sandbox import GitlabSimulator, SandboxServer, load_demo_data
from bot.sandbox.demo import WATCHED_GROUPS
from tests.cli_runner import run_tokenbot


@pytest.fixture
def synced() -> Iterator[dict[str, str]]:
    """The demo company in the simulator, synced into the bot's database."""
    sim = GitlabSimulator()
    info = load_demo_data(sim)
    with SandboxServer(sim) as server:
        env = {
            "GITLAB_URL": server.url,
            "GITLAB_TOKEN": info.admin_token,
            "TOKENBOT_WATCHED_GROUPS": ",".join(WATCHED_GROUPS),
            "TOKENBOT_REMINDERS_ROUTES": "acme/payments=C0PAY,acme/platform=C0PLAT",
        }
        synced = run_tokenbot("sync", env=env)
        assert synced.code == 0, synced.err
        yield env


def test_report_on_the_demo_data(synced: dict[str, str], tmp_path: Path) -> None:
    """One sync (the slow part), then every form of the report on it."""
    _png_is_a_chart(synced, tmp_path)
    _text_counts_findings_and_explains_the_worst(synced)
    _json_is_stable_and_follows_the_teams(synced)


def _png_is_a_chart(env: dict[str, str], tmp_path: Path) -> None:
    chart = tmp_path / "hygiene.png"
    result = run_tokenbot("report", "--png", str(chart), env=env)
    assert result.code == 0, result.err
    image = Image.open(io.BytesIO(chart.read_bytes()))
    assert image.format == "PNG"
    assert image.size == (1100, 600)
    colours = image.convert("RGB").getcolors(maxcolors=1 << 24) or []
    assert len(colours) > 50  # bars in several colours, hatching, text
    most, _ = max(colours)
    assert most < 0.95 * image.size[0] * image.size[1]  # not one colour with specks


def _text_counts_findings_and_explains_the_worst(env: dict[str, str]) -> None:
    result = run_tokenbot("report", env=env)
    assert result.code == 0, result.err
    out = result.out
    assert out.startswith("Token hygiene at ")
    for kind in FindingKind:
        assert f"  {kind.value}" in out
    assert "The worst 10:" in out
    assert "instead: " in out
    assert "by week (UTC, from Monday):" in out
    assert "\x1b" not in out


def _json_is_stable_and_follows_the_teams(env: dict[str, str]) -> None:
    result = run_tokenbot("report", "--json", "--worst", "3", env=env)
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert set(report) == {
        "generated_at",
        "total",
        "flagged",
        "counts",
        "worst",
        "horizon_days",
        "weeks",
    }
    assert set(report["counts"]) == {k.value for k in FindingKind}
    assert report["total"] >= report["flagged"] > 0
    assert len(report["worst"]) == 3
    worst = report["worst"][0]
    assert {f["kind"] for f in worst["findings"]} <= {k.value for k in FindingKind}
    assert len(report["weeks"]) in (13, 14)
    everything = json.loads(run_tokenbot("report", "--json", "--worst", "100", env=env).out)
    assert {c["team"] for c in everything["worst"]} >= {"acme/payments", "acme/platform"}
    payments = json.loads(run_tokenbot("report", "--json", "--team", "acme/payments", env=env).out)
    assert {c["team"] for c in payments["worst"]} == {"acme/payments"}
    assert all(c["where"].startswith("acme/payments") for c in payments["worst"])


def test_report_refuses_bad_arguments_and_unwritable_files(tmp_path: Path) -> None:
    bad = run_tokenbot("report", "--worst", "-1")
    assert (bad.code, bad.err.strip()) == (2, "tokenbot: --worst must be 0 to 1000")
    nowhere = run_tokenbot("report", "--png", str(tmp_path / "missing" / "chart.png"))
    assert nowhere.code == 1
    assert nowhere.err.startswith("tokenbot: cannot write ")
    assert "Traceback" not in nowhere.err


def test_an_empty_inventory_still_reports_and_draws(tmp_path: Path) -> None:
    chart = tmp_path / "empty.png"
    result = run_tokenbot("report", "--png", str(chart))
    assert result.code == 0, result.err
    assert "0 credentials, 0 with findings" in result.out
    assert "Nothing expires in the next 90 days." in result.out
    assert Image.open(chart).size == (1100, 600)
