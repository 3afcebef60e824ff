"""Offset pagination with GitLab's `Link` and `X-*` headers.

Two layers, as in GitLab. Grape first, where an endpoint declares `use :pagination`
(lib/api/pagination_params.rb): `page` and `per_page` must be integers, and `per_page`
`except_values: [0]` is `400 {"error": "per_page has a value not allowed"}`. Then Kaminari
(`page(params[:page]).per(params[:per_page])`, config/initializers/kaminari_config.rb:
default 20, max 100): a page below 1 is page 1; a `per_page` that is negative or does not start
with a digit is the default, above 100 is 100, and 0 (reachable only where nothing declared
the parameter) makes `total_pages` raise ZeroPerPageOperation, a 500.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode

from bot.sandbox.messages import ApiError, ApiRequest, ApiResponse, param_error

DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100
# Above this many records GitLab stops counting (no X-Total, X-Total-Pages, rel="last").
COUNT_LIMIT = 10_000

T = TypeVar("T")


_LEADING_INT = re.compile(r"\s*([+-]?\d+)")
_SERVER_ERROR = {"message": "500 Internal Server Error"}


def check_declared_page_params(request: ApiRequest) -> None:
    """Grape's checks for `use :pagination`, which run before the endpoint body."""
    _grape_page_params(request)


def _grape_page_params(request: ApiRequest) -> tuple[str | None, str | None]:
    errors: list[str] = []
    coerced: list[str | None] = []
    for name in ("page", "per_page"):
        raw = request.params.get(name)
        if raw is None or raw == "":
            coerced.append(None)
            continue
        try:
            value = int(raw)
        except (TypeError, ValueError):
            errors.append(f"{name} is invalid")
            coerced.append(None)
            continue
        if name == "per_page" and value == 0:
            errors.append("per_page has a value not allowed")
        coerced.append(str(value))
    if errors:
        raise param_error(*errors)
    return coerced[0], coerced[1]


def _ruby_to_i(text: str) -> int:
    """`String#to_i`: the leading integer, else 0."""
    match = _LEADING_INT.match(text)
    return int(match.group(1)) if match else 0


def _kaminari_page(raw: Any) -> int:
    number = _ruby_to_i(str(raw)) if raw is not None else 1
    return max(number, 1)


def _kaminari_per_page(raw: Any) -> int:
    text = "" if raw is None else str(raw)
    if not text[:1].isdigit():  # Kaminari's `num.to_i < 0 || !(/^\d/ =~ num.to_s)`
        return DEFAULT_PER_PAGE
    number = _ruby_to_i(text)
    if number == 0:
        raise ApiError(500, _SERVER_ERROR)
    return min(number, MAX_PER_PAGE)


def page_window(request: ApiRequest, *, declared: bool = True) -> tuple[int, int]:
    """(page, per_page) as Kaminari computes them; `declared`: Grape checked them first."""
    raw_page: Any = request.params.get("page")
    raw_per_page: Any = request.params.get("per_page")
    if declared:
        raw_page, raw_per_page = _grape_page_params(request)
    return _kaminari_page(raw_page), _kaminari_per_page(raw_per_page)


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


def paginate(
    request: ApiRequest,
    items: Sequence[T],
    render: Callable[[T], Any],
    *,
    declared: bool = True,
) -> ApiResponse:
    """Render one page of `items` with the headers python-gitlab reads. `declared=False` for
    the few GitLab endpoints that paginate without `use :pagination`."""
    page, per_page = page_window(request, declared=declared)
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
