"""Per-namespace channels: the most specific configured namespace wins, by whole segments."""

from __future__ import annotations

from bot.domain.routing import channel_for

ROUTES = {"acme": "C0ACME", "acme/payments": "C0PAY", "acme/payments/pci": "C0PCI"}


def test_the_most_specific_namespace_wins() -> None:
    assert channel_for("acme/payments/checkout", ROUTES, "C0ALL") == "C0PAY"
    assert channel_for("acme/payments/pci/vault", ROUTES, "C0ALL") == "C0PCI"
    assert channel_for("acme/web/site", ROUTES, "C0ALL") == "C0ACME"
    assert channel_for("acme/payments", ROUTES, "C0ALL") == "C0PAY"


def test_routes_match_whole_segments_only() -> None:
    assert channel_for("acme-labs/tool", ROUTES, "C0ALL") == "C0ALL"
    assert channel_for("acme/paymentsx/tool", ROUTES, "C0ALL") == "C0ACME"
    assert channel_for("/acme/payments/", ROUTES, "C0ALL") == "C0PAY"


def test_routes_ignore_case_as_gitlab_paths_do() -> None:
    assert channel_for("ACME/Payments/Checkout", ROUTES, "C0ALL") == "C0PAY"
    assert channel_for("acme/payments/checkout", {"ACME/Payments": "C0PAY"}, "C0ALL") == "C0PAY"
