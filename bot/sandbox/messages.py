"""Request, response and error values passed between the WSGI layer and the endpoints."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ApiRequest:
    """One parsed API request; `path` is relative to `/api/v4` and still percent-encoded."""

    method: str
    path: str
    query_string: str
    params: Mapping[str, Any]
    headers: Mapping[str, str]
    base_url: str
    remote_addr: str = "127.0.0.1"


@dataclass
class ApiResponse:
    """A JSON (or, with `text`, plain-text) response."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    text: str | None = None


def no_content() -> ApiResponse:
    return ApiResponse(status=204)


class ApiError(Exception):
    """Raised by endpoints; turned into a response with GitLab's error body."""

    def __init__(self, status: int, body: Mapping[str, Any]) -> None:
        super().__init__(status)
        self.status = status
        self.body = dict(body)


def bad_request(reason: str | None = None) -> ApiError:
    message = "400 Bad request" if reason is None else f"400 Bad request - {reason}"
    return ApiError(400, {"message": message})


def param_error(*errors: str) -> ApiError:
    """Grape parameter validation failure: note the `error` key."""
    return ApiError(400, {"error": ", ".join(errors)})


def model_errors(errors: Mapping[str, list[str]]) -> ApiError:
    """`render_validation_error!`: the model's error hash under `message`."""
    return ApiError(400, {"message": dict(errors)})


def unauthorized() -> ApiError:
    return ApiError(401, {"message": "401 Unauthorized"})


def forbidden(reason: str | None = None) -> ApiError:
    message = "403 Forbidden" if reason is None else f"403 Forbidden - {reason}"
    return ApiError(403, {"message": message})


def not_found(resource: str | None = None) -> ApiError:
    message = "404 Not Found" if resource is None else f"404 {resource} Not Found"
    return ApiError(404, {"message": message})


def record_not_found() -> ApiError:
    """An ActiveRecord miss: lower-case "found"."""
    return ApiError(404, {"message": "404 Not found"})


def route_not_found() -> ApiError:
    return ApiError(404, {"error": "404 Not Found"})


def not_allowed() -> ApiError:
    return ApiError(405, {"message": "405 Method Not Allowed"})


def unprocessable(message: str) -> ApiError:
    """`render_api_error!(message, :unprocessable_entity)`: the text as is, status 422."""
    return ApiError(422, {"message": message})


def to_sentence(parts: list[str]) -> str:
    """Rails' `Array#to_sentence`: "a", "a and b", "a, b, and c"."""
    if len(parts) <= 2:
        return " and ".join(parts)
    return f"{', '.join(parts[:-1])}, and {parts[-1]}"


def conflict(reason: str) -> ApiError:
    """`conflict!(message)` renders the message as is, without a status prefix."""
    return ApiError(409, {"message": reason})
