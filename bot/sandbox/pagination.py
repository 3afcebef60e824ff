"""Offset pagination with GitLab's `Link` and `X-*` headers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode

from bot.sandbox.messages import ApiRequest, ApiResponse, param_error

DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100
# Above this many records GitLab stops counting (no X-Total, X-Total-Pages, rel="last").
COUNT_LIMIT = 10_000

T = TypeVar("T")


def _positive_int(request: ApiRequest, name: str, default: int) -> int:
    raw = request.params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise param_error(f"{name} is invalid") from None
    return value if value >= 1 else default


def page_window(request: ApiRequest) -> tuple[int, int]:
    """(page, per_page) with per_page silently capped at 100."""
    page = _positive_int(request, "page", 1)
    per_page = min(_positive_int(request, "per_page", DEFAULT_PER_PAGE), MAX_PER_PAGE)
    return page, per_page


def _page_url(request: ApiRequest, page: int, per_page: int) -> str:
    pairs = [
        (k, v)
        for k, v in parse_qsl(request.query_string, keep_blank_values=True)
        if k not in {"page", "per_page"}
    ]
    query = urlencode([*pairs, ("page", str(page)), ("per_page", str(per_page))])
    return f"{request.base_url}/api/v4/{request.path.lstrip('/')}?{query}"


def _link_header(
    request: ApiRequest, page: int, per_page: int, *, has_next: bool, last: int | None
) -> str:
    rels: list[tuple[str, int]] = []
    if page > 1:
        rels.append(("prev", page - 1))
    if has_next:
        rels.append(("next", page + 1))
    rels.append(("first", 1))
    if last is not None:
        rels.append(("last", last))
    return ", ".join(f'<{_page_url(request, p, per_page)}>; rel="{rel}"' for rel, p in rels)


def paginate(request: ApiRequest, items: Sequence[T], render: Callable[[T], Any]) -> ApiResponse:
    """Render one page of `items` with the headers python-gitlab reads."""
    page, per_page = page_window(request)
    total = len(items)
    start = (page - 1) * per_page
    window = items[start : start + per_page]
    pages = max(1, -(-total // per_page))
    counted = total <= COUNT_LIMIT
    has_next = start + per_page < total
    headers = {
        "X-Page": str(page),
        "X-Per-Page": str(per_page),
        "X-Next-Page": str(page + 1) if has_next else "",
        "X-Prev-Page": str(page - 1) if page > 1 else "",
        "Link": _link_header(
            request, page, per_page, has_next=has_next, last=pages if counted else None
        ),
    }
    if counted:
        headers["X-Total"] = str(total)
        headers["X-Total-Pages"] = str(pages)
    return ApiResponse(status=200, body=[render(item) for item in window], headers=headers)
