"""What inventory code needs of the gateway: one guarded call to GitLab."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

T = TypeVar("T")


class Caller(Protocol):
    def call(self, what: str, operation: Callable[[], T]) -> T: ...
