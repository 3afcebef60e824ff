"""Translating python-gitlab and requests failures into the project's GitLab errors."""

from __future__ import annotations

import json
from collections.abc import Callable

import gitlab.exceptions as gle
import requests

from bot.services.gitlab_errors import (
    BotCredentialError,
    GitLabError,
    MissingScopeError,
    NotFoundError,
    PermissionDeniedError,
    UnavailableError,
    ValidationError,
)

_PERMISSION_WORDS = (
    "does not have permission",
    "cannot delete",
    "not eligible",
    "forbidden",
    "permissions not held",
)


def translate(  # noqa: PLR0911 - one return per kind of failure reads best
    exc: Exception, *, what: str, credential_ok: Callable[[], bool] | None = None
) -> GitLabError:
    """The project's error for `exc`; `what` names the object for not-found messages.

    GitLab answers 401 both for a bad credential and, on token endpoints, for missing rights;
    `credential_ok` (a cheap self look-up) tells the two apart.
    """
    if isinstance(exc, requests.Timeout):
        return UnavailableError("GitLab did not answer in time; try again in a minute.")
    if isinstance(exc, requests.ConnectionError):
        return UnavailableError("GitLab could not be reached; try again in a minute.")
    if not isinstance(exc, gle.GitlabError):
        return GitLabError(f"unexpected failure talking to GitLab: {exc.__class__.__name__}")
    status = exc.response_code or 0
    body = _body(exc)
    message = _gitlab_message(exc, body)
    if status == 401:
        return _unauthorized(body, message, credential_ok)
    if status == 403:
        if body.get("error") == "insufficient_scope":
            return MissingScopeError(str(body.get("scope") or "api"))
        return PermissionDeniedError(f"GitLab refused: {message}")
    if status == 404:
        return NotFoundError(what)
    if status in {400, 409, 422}:
        if any(word in message.lower() for word in _PERMISSION_WORDS):
            return PermissionDeniedError(f"GitLab refused: {message}")
        return ValidationError(f"GitLab refused the request: {message}")
    if status == 429 or status >= 500:
        return UnavailableError(f"GitLab is unavailable right now ({status}); try again later.")
    return GitLabError(f"GitLab answered {status}: {message}")


def _unauthorized(
    body: dict[str, object], message: str, credential_ok: Callable[[], bool] | None
) -> GitLabError:
    description = str(body.get("error_description") or "").lower()
    if "expired" in description:
        return BotCredentialError("has expired")
    if "revoked" in description:
        return BotCredentialError("was revoked")
    if credential_ok is not None and credential_ok():
        return PermissionDeniedError(
            "tokenbot's GitLab account lacks the role this needs there (GitLab answered 401)."
        )
    return BotCredentialError("is not accepted by GitLab")


def _body(exc: gle.GitlabError) -> dict[str, object]:
    raw = exc.response_body
    if not raw:
        return {}
    try:
        parsed = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _gitlab_message(exc: gle.GitlabError, body: dict[str, object]) -> str:
    text = str(body.get("message") or body.get("error") or exc.error_message or "")
    for prefix in ("400 Bad request - ", "403 Forbidden - ", "400 Bad request"):
        if text.startswith(prefix):
            text = text[len(prefix) :]
            break
    return text.strip() or f"HTTP {exc.response_code}"
