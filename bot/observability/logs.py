"""Logging set-up: JSON lines off a terminal, text on one; token-shaped strings masked.

A JSON line has `ts` (ISO 8601, UTC), `level`, `logger`, `message`, `thread`, `request_id`
(while a Slack interaction is handled), `exc_info` and `stack_info` when there are any, and
whatever a call passed in `extra=` (the interaction line's `kind`, `user`, `ack_ms`...).

Masking is defence in depth: tokenbot never logs a secret on purpose (the reveal goes through
a logger outside the logging tree), but a library at DEBUG or an exception message might. The
filter formats each record's message with its arguments, masks anything shaped like a GitLab
or Slack token (and the literal values it was given, such as GITLAB_TOKEN), and does the same
to the exception text; the formatters mask their finished line once more.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Literal, TextIO

from bot.observability.context import current_request_id

LogFormat = Literal["auto", "json", "text"]
MASK = "[REDACTED]"

# GitLab's token prefixes (docs: "Token prefixes"); an instance prefix may come before them
# ("acme-glpat-..."), which the pattern allows. Routable tokens add `.`-separated parts.
GITLAB_PREFIXES = (
    "glpat",  # personal, project, group and impersonation tokens; service accounts'
    "gldt",  # deploy token
    "glptt",  # pipeline trigger token
    "gloas",  # OAuth application secret
    "glrt",  # runner authentication token
    "glrtr",  # runner token created in the UI
    "glcbt",  # CI/CD job token
    "glft",  # feed token
    "glimt",  # incoming mail token
    "glagent",  # GitLab agent for Kubernetes token
    "glsoat",  # SCIM OAuth token
    "glffct",  # feature flags client token
    "glwt",  # workspace token
)
_GITLAB = r"\b(?:{})-[0-9A-Za-z_\-./+]{{8,}}".format(
    "|".join(sorted(GITLAB_PREFIXES, key=len, reverse=True))
)
_RUNNER_REGISTRATION = r"\bGR1348941[0-9A-Za-z_\-]{8,}"  # the old runner registration token
# Slack: xoxb- (bot), xoxp- (user), xoxa-/xoxr-/xoxs-, xoxe- and xoxe.xoxp- (rotating), xapp-.
_SLACK = r"\b(?:xox[a-z](?:\.xox[a-z])?|xapp)-[0-9A-Za-z\-]{6,}"
TOKEN_PATTERN = re.compile(f"{_GITLAB}|{_RUNNER_REGISTRATION}|{_SLACK}")
_PREFIX = re.compile(r"GR1348941|[^-]*-")
SHORTEST_SECRET = 8  # shorter literal values would mask ordinary words


class Redactor:
    """Masks token-shaped strings, keeping their prefix (`glpat-[REDACTED]`), and literals."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        literals = sorted({s for s in secrets if len(s) >= SHORTEST_SECRET}, key=len, reverse=True)
        self._literals = re.compile("|".join(re.escape(s) for s in literals)) if literals else None

    def __call__(self, text: str) -> str:
        if self._literals is not None:
            text = self._literals.sub(MASK, text)
        return TOKEN_PATTERN.sub(_mask, text)


def _mask(match: re.Match[str]) -> str:
    prefix = _PREFIX.match(match.group(0))
    return (prefix.group(0) if prefix else "") + MASK


redact = Redactor()
"""Masks token-shaped strings (no literal secrets)."""

_PLAIN = logging.Formatter()


class RedactingFilter(logging.Filter):
    """Masks secrets in each record's message, arguments and exception text; adds request_id.

    The message is formatted here with its arguments (`msg % args`) and stored back with no
    arguments, so whatever an argument's `str()` or `repr()` holds is masked too.
    """

    def __init__(self, redactor: Redactor | None = None) -> None:
        super().__init__()
        self._redact = redactor or redact

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.__dict__["request_id"] = current_request_id()
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: logging reports it; mask the pieces
            record.msg = self._redact(str(record.msg))
            record.args = _masked_args(record.args, self._redact)
        else:
            record.msg, record.args = self._redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = _PLAIN.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self._redact(record.stack_info)
        return True


def _masked_args(args: Any, redactor: Redactor) -> Any:
    if isinstance(args, tuple):
        return tuple(redactor(str(a)) if not isinstance(a, int | float) else a for a in args)
    if isinstance(args, dict):
        return {
            k: redactor(str(v)) if not isinstance(v, int | float) else v for k, v in args.items()
        }
    return args


# Attributes every LogRecord has; anything else on a record came from `extra=`.
_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",
    "asctime",
    "request_id",
    "taskName",
}


class JsonFormatter(logging.Formatter):
    """One JSON object per line."""

    def __init__(self, redactor: Redactor | None = None) -> None:
        super().__init__()
        self._redact = redactor or redact

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "thread": record.threadName,
        }
        request_id = getattr(record, "request_id", None)
        if request_id is not None:
            entry["request_id"] = request_id
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry.setdefault(key, value)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exc_info"] = record.exc_text
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        return self._redact(
            json.dumps(entry, ensure_ascii=False, default=str, separators=(",", ":"))
        )


class TextFormatter(logging.Formatter):
    """`time LEVEL logger [request id]: message`, the request id only while there is one."""

    def __init__(self, redactor: Redactor | None = None) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self._with_id = logging.Formatter(
            "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"
        )
        self._redact = redactor or redact

    def format(self, record: logging.LogRecord) -> str:
        if getattr(record, "request_id", None) is not None:
            return self._redact(self._with_id.format(record))
        return self._redact(super().format(record))


class _TokenbotHandler(logging.StreamHandler[TextIO]):
    """The handler `configure_logging` installs; marked so a second call replaces it."""


def wants_json(stream: TextIO, fmt: LogFormat) -> bool:
    """JSON unless asked for text, or `auto` and the stream is a terminal."""
    if fmt != "auto":
        return fmt == "json"
    isatty = getattr(stream, "isatty", None)
    try:
        return not (isatty is not None and isatty())
    except ValueError:  # a closed stream
        return True


def configure_logging(
    level: int | str,
    stream: TextIO | None = None,
    fmt: LogFormat = "auto",
    *,
    secrets: Iterable[str] = (),
    force: bool = False,
) -> logging.Handler | None:
    """Log to `stream` (default: standard error) at `level`, as JSON or text (see `wants_json`).

    `secrets` are literal values to mask wherever they appear (the bot's own tokens). Like
    `logging.basicConfig`, it leaves a root logger alone that already has handlers someone
    else installed (a test runner's), unless `force`; a second call replaces its own handler.
    Returns the handler installed, or None when it left the root logger alone.
    """
    root = logging.getLogger()
    foreign = [h for h in root.handlers if not isinstance(h, _TokenbotHandler)]
    if foreign and not force:
        return None
    for old in list(root.handlers):
        if force or isinstance(old, _TokenbotHandler):
            root.removeHandler(old)
            if isinstance(old, _TokenbotHandler):
                old.close()
    out = stream if stream is not None else sys.stderr
    redactor = Redactor(secrets)
    handler = _TokenbotHandler(out)
    handler.addFilter(RedactingFilter(redactor))
    handler.setFormatter(
        JsonFormatter(redactor) if wants_json(out, fmt) else TextFormatter(redactor)
    )
    root.addHandler(handler)
    root.setLevel(level)
    return handler
