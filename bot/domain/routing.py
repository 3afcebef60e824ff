"""Which chat channel serves a GitLab path: the most specific configured namespace wins."""

from __future__ import annotations

from collections.abc import Mapping


def channel_for(path: str, routes: Mapping[str, str], default: str) -> str:
    """The channel of the longest route that is `path` or one of its parent namespaces.

    Routes match whole path segments: `acme/pay` does not cover `acme/payments`.
    """
    parts = path.strip("/").split("/")
    for size in range(len(parts), 0, -1):
        channel = routes.get("/".join(parts[:size]))
        if channel is not None:
            return channel
    return default
