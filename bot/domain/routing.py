"""Which chat channel serves a GitLab path: the most specific configured namespace wins."""

from __future__ import annotations

from collections.abc import Mapping


def route_for(path: str, routes: Mapping[str, str]) -> str | None:
    """The route (as configured, without slashes around it) that `channel_for` would pick."""
    by_name = {route.strip("/").casefold(): route.strip("/") for route in routes}
    parts = path.strip("/").casefold().split("/")
    for size in range(len(parts), 0, -1):
        route = by_name.get("/".join(parts[:size]))
        if route is not None:
            return route
    return None


def channel_for(path: str, routes: Mapping[str, str], default: str) -> str:
    """The channel of the longest route that is `path` or one of its parent namespaces.

    Routes match whole path segments: `acme/pay` does not cover `acme/payments`. GitLab's
    paths ignore case, and so do routes: `ACME/Payments` covers `acme/payments/checkout`.
    """
    lowered = {route.strip("/").casefold(): channel for route, channel in routes.items()}
    parts = path.strip("/").casefold().split("/")
    for size in range(len(parts), 0, -1):
        channel = lowered.get("/".join(parts[:size]))
        if channel is not None:
            return channel
    return default
