"""Request parameter decoding (query, form, JSON) and Grape-style validation."""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import parse_qsl

from bot.sandbox.messages import ApiError, param_error

_NESTED_KEY = re.compile(r"^([^\[\]]+)\[([^\[\]]*)\]$")
_TRUE = frozenset({"1", "on", "t", "true", "y", "yes"})
_FALSE = frozenset({"0", "off", "f", "false", "n", "no"})


def decode_form(text: str) -> dict[str, Any]:
    """Rack-style decoding: `k[]=a&k[]=b` is a list, `k[x]=v` a nested dict, else last wins."""
    params: dict[str, Any] = {}
    for key, value in parse_qsl(text, keep_blank_values=True):
        match = _NESTED_KEY.match(key)
        if match is None:
            params[key] = value
        elif match.group(2) == "":
            existing = params.get(match.group(1))
            params[match.group(1)] = [*existing, value] if isinstance(existing, list) else [value]
        else:
            nested = params.setdefault(match.group(1), {})
            if isinstance(nested, dict):
                nested[match.group(2)] = value
    return params


def decode_body(raw: bytes, content_type: str) -> dict[str, Any]:
    """Decode a JSON or form-encoded body; anything else contributes no parameters."""
    if not raw:
        return {}
    if content_type.startswith("application/json"):
        try:
            decoded = json.loads(raw)
        except ValueError as exc:
            raise ApiError(
                400, {"error": "The provided content-type 'application/json' is not valid JSON"}
            ) from exc
        return decoded if isinstance(decoded, dict) else {}
    if content_type.startswith("application/x-www-form-urlencoded"):
        return decode_form(raw.decode("utf-8", errors="replace"))
    return {}


def _ruby_split_commas(text: str) -> list[str]:
    """`text.split(',').map(&:strip)`: Ruby drops trailing empty fields before the strip."""
    parts = text.split(",")
    while parts and parts[-1] == "":
        parts.pop()
    return [part.strip() for part in parts]


def comma_separated_to_array(value: Any) -> list[str]:
    """lib/api/validations/types/comma_separated_to_array.rb: a string is split on commas, each
    element of an array too, and anything else becomes an empty list."""
    if isinstance(value, str):
        return _ruby_split_commas(value)
    if isinstance(value, list):
        return [part for item in value for part in _ruby_split_commas(_ruby_to_s(item))]
    return []


def _ruby_to_s(item: Any) -> str:
    if item is None:
        return ""
    if isinstance(item, bool):
        return str(item).lower()
    return str(item)


class ParamReader:
    """Reads typed parameters, collecting Grape's error texts until `check()`."""

    def __init__(self, params: Mapping[str, Any]) -> None:
        self._params = params
        self.errors: list[str] = []

    def has(self, name: str) -> bool:
        return name in self._params

    def _missing(self, name: str, required: bool) -> bool:
        if name in self._params and self._params[name] is not None:
            return False
        if required:
            self.errors.append(f"{name} is missing")
        return True

    def string(
        self, name: str, *, required: bool = False, max_length: int | None = None
    ) -> str | None:
        if self._missing(name, required):
            return None
        value = self._params[name]
        if isinstance(value, (dict, list)):
            self.errors.append(f"{name} is invalid")
            return None
        text = str(value).lower() if isinstance(value, bool) else str(value)
        if max_length is not None and len(text) > max_length:
            self.errors.append(f"{name} is too long (maximum is {max_length} characters)")
        return text

    def integer(
        self,
        name: str,
        *,
        required: bool = False,
        values: Collection[int] | None = None,
        allow_blank: bool = True,
    ) -> int | None:
        if self._missing(name, required):
            return None
        value = self._params[name]
        if not allow_blank and value == "":
            # Grape coerces "" to nil for an Integer, then `allow_blank: false` refuses it.
            self.errors.append(f"{name} is empty")
            return None
        try:
            number = int(value) if not isinstance(value, (bool, dict, list)) else None
        except ValueError:
            number = None
        if number is None:
            self.errors.append(f"{name} is invalid")
        elif values is not None and number not in values:
            self.errors.append(f"{name} does not have a valid value")
            return None
        return number

    def boolean(self, name: str, *, required: bool = False) -> bool | None:
        if self._missing(name, required):
            return None
        value = self._params[name]
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE or text in _FALSE:
            return text in _TRUE
        self.errors.append(f"{name} is invalid")
        return None

    def day(self, name: str, *, required: bool = False) -> date | None:
        moment = self._moment(name, required)
        return None if moment is None else moment.date()

    def timestamp(self, name: str, *, required: bool = False) -> datetime | None:
        return self._moment(name, required)

    def _moment(self, name: str, required: bool) -> datetime | None:
        if self._missing(name, required):
            return None
        try:
            moment = datetime.fromisoformat(str(self._params[name]).strip())
        except ValueError:
            self.errors.append(f"{name} is invalid")
            return None
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)

    def string_list(
        self,
        name: str,
        *,
        required: bool = False,
        values: Collection[str] | None = None,
        comma_separated: bool = False,
    ) -> list[str] | None:
        """`type: Array[String]`; with `comma_separated`, GitLab's `coerce_with:
        ::API::Validations::Types::CommaSeparatedToArray.coerce` first."""
        if self._missing(name, required):
            return None
        value = self._params[name]
        if comma_separated:
            value = comma_separated_to_array(value)
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            self.errors.append(f"{name} is invalid")
            return None
        if required and not value:
            self.errors.append(f"{name} is empty")
        elif values is not None and any(item not in values for item in value):
            self.errors.append(f"{name} does not have a valid value")
            return None
        return list(value)

    def choice(self, name: str, values: Collection[str], *, required: bool = False) -> str | None:
        text = self.string(name, required=required)
        if text is not None and text not in values:
            self.errors.append(f"{name} does not have a valid value")
            return None
        return text

    def check(self) -> None:
        if self.errors:
            raise param_error(*self.errors)
