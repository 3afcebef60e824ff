"""Route table: path templates with `{placeholders}`, matched on percent-encoded segments."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import unquote

from bot.sandbox.auth import Caller
from bot.sandbox.messages import ApiRequest, ApiResponse, route_not_found
from bot.sandbox.models import User
from bot.sandbox.params import ParamReader
from bot.sandbox.state import SandboxState


@dataclass(frozen=True)
class Context:
    """Everything an endpoint handler needs for one request."""

    request: ApiRequest
    caller: Caller
    state: SandboxState
    args: dict[str, str] = field(default_factory=dict)

    @property
    def user(self) -> User:
        return self.caller.user

    @property
    def web(self) -> str:
        return self.request.base_url

    def reader(self) -> ParamReader:
        return ParamReader(self.request.params)


Handler = Callable[[Context], ApiResponse]


@dataclass(frozen=True)
class Route:
    method: str
    segments: tuple[str, ...]
    handler: Handler
    # Scopes accepted besides `api`/`read_api`, e.g. `self_rotate` on self-rotate endpoints.
    extra_scopes: tuple[str, ...] = ()
    # GitLab declares `use :pagination` here, so Grape checks page/per_page before the body.
    paginated: bool = False

    @property
    def literal_count(self) -> int:
        return sum(1 for s in self.segments if not s.startswith("{"))

    def match(self, parts: list[str]) -> dict[str, str] | None:
        if len(parts) != len(self.segments):
            return None
        args: dict[str, str] = {}
        for template, part in zip(self.segments, parts, strict=True):
            if template.startswith("{"):
                if not part:
                    return None
                args[template[1:-1]] = unquote(part)
            elif template != part:
                return None
        return args


class Router:
    """Finds the most specific route; `/tokens/self/rotate` beats `/tokens/{id}/rotate`."""

    def __init__(self) -> None:
        self._routes: list[Route] = []

    def add(
        self,
        method: str,
        pattern: str,
        handler: Handler,
        *,
        extra_scopes: tuple[str, ...] = (),
        paginated: bool = False,
    ) -> None:
        segments = tuple(pattern.strip("/").split("/"))
        self._routes.append(Route(method, segments, handler, extra_scopes, paginated))

    def get(
        self,
        pattern: str,
        handler: Handler,
        *,
        extra_scopes: tuple[str, ...] = (),
        paginated: bool = False,
    ) -> None:
        self.add("GET", pattern, handler, extra_scopes=extra_scopes, paginated=paginated)

    def post(self, pattern: str, handler: Handler, *, extra_scopes: tuple[str, ...] = ()) -> None:
        self.add("POST", pattern, handler, extra_scopes=extra_scopes)

    def put(self, pattern: str, handler: Handler) -> None:
        self.add("PUT", pattern, handler)

    def patch(self, pattern: str, handler: Handler) -> None:
        self.add("PATCH", pattern, handler)

    def delete(self, pattern: str, handler: Handler) -> None:
        self.add("DELETE", pattern, handler)

    def resolve(self, method: str, path: str) -> tuple[Route, dict[str, str]]:
        """Match an encoded path (relative to `/api/v4`); GitLab's catch-all 404 otherwise."""
        parts = path.strip("/").split("/")
        wanted = "GET" if method == "HEAD" else method
        candidates = [
            (route, args)
            for route in self._routes
            if route.method == wanted and (args := route.match(parts)) is not None
        ]
        if not candidates:
            raise route_not_found()
        return max(candidates, key=lambda pair: pair[0].literal_count)
