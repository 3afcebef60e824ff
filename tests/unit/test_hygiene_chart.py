"""The hygiene chart: a real PNG of the expected size, drawn, whatever the labels say."""

from __future__ import annotations

import io
import threading
from datetime import UTC, date, datetime, timedelta

from PIL import Image

from bot.domain.credentials import Namespace, NamespaceKind
from bot.domain.hygiene import Finding, FindingKind
from bot.domain.hygiene_report import FlaggedCredential, HygieneReport, build_report
from bot.domain.reminders import TrackedToken
from bot.domain.tokens import TokenType
from bot.reports.chart import OTHER, plain, render_chart, stack_order

NOW = datetime(2026, 12, 9, 12, 0, tzinfo=UTC)
UNUSED = Finding(FindingKind.UNUSED, "why", "instead")


def _report(groups: list[str], per_group: int = 3) -> HygieneReport:
    credentials = []
    for g, group in enumerate(groups):
        for n in range(per_group):
            token = TrackedToken(
                f"project_access_token:{g * 100 + n}",
                TokenType.PROJECT_ACCESS_TOKEN,
                g * 100 + n,
                "t",
                Namespace(NamespaceKind.PROJECT, n, f"{group}/p{n}"),
                expires_on=NOW.date() + timedelta(days=1 + (g * 7 + n * 11) % 90),
            )
            credentials.append(FlaggedCredential(token, (UNUSED,) if n % 2 else (), None))
    return build_report(credentials, now=NOW)


def _image(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    image.load()
    return image.convert("RGB")


def _colours(image: Image.Image) -> int:
    return len(image.getcolors(maxcolors=1 << 24) or ())


def test_a_chart_is_a_png_of_the_expected_size_with_bars_drawn() -> None:
    image = _image(render_chart(_report(["acme/web", "acme/data", "acme/payments"])))
    assert image.size == (1100, 600)
    assert _colours(image) > 50  # bars, hatching, text: far from blank


def test_an_empty_report_still_draws_a_chart() -> None:
    empty = _image(render_chart(build_report([], now=NOW)))
    full = _image(render_chart(_report(["acme/web"])))
    assert empty.size == (1100, 600)
    assert _colours(empty) > 2  # its title and its sentence
    assert _colours(full) > _colours(empty)


def test_many_stacks_are_bounded_with_other() -> None:
    report = _report([f"acme/team-{n:02d}" for n in range(12)], per_group=2)
    names = stack_order(report)
    assert len(names) == 6
    assert OTHER not in names
    assert _colours(_image(render_chart(report))) > 50


def test_one_stack_too_many_is_named_rather_than_called_other() -> None:
    assert len(stack_order(_report([f"g{n}" for n in range(7)]))) == 7


def test_hostile_labels_are_drawn_as_bounded_plain_text() -> None:
    evil = [
        "$\\frac{1}{0}$ \\undefined{",  # math markup matplotlib would parse (and fail on)
        "_hidden",  # a leading underscore hides a legend entry
        "x" * 500,
        "bell\x07\x1b[31m\nnewline",
        "\u202edesrever",
    ]
    report = _report(evil, per_group=1)
    assert _image(render_chart(report)).size == (1100, 600)
    assert plain("x" * 500) == "x" * 39 + "…"
    assert plain("a\nb\x07c") == "a b c"
    assert plain("$5") == r"\$5"
    assert plain("") == "?"


def test_charts_draw_on_many_threads_at_once() -> None:
    report = _report(["acme/web", "acme/data"])
    sizes: list[tuple[int, int]] = []
    errors: list[BaseException] = []

    def draw() -> None:
        try:
            sizes.append(_image(render_chart(report)).size)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=draw) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sizes == [(1100, 600)] * 4


def test_the_weeks_on_the_axis_are_the_reports() -> None:
    report = _report(["acme/web"])
    assert report.weeks[0].week_start == date(2026, 12, 7)
    assert len(report.weeks) == 14
