"""The storage port of token hygiene: what the inventory knows for the findings, and silences."""

from __future__ import annotations

from datetime import date
from typing import Protocol

from bot.domain.hygiene import CredentialFacts
from bot.domain.hygiene_silences import Silence
from bot.domain.reminders import TrackedToken


class HygieneStore(Protocol):
    def facts(self, *, today: date, owner: str | None = None) -> list[CredentialFacts]:
        """Every live tracked credential (active, not expired by `today`, not tokenbot's own
        token) with its age and its group's size, in one query; only `owner`'s if given.
        Each token has what the findings, the stacks and the order read; its web address,
        last addresses, account and owner source are left out (`tokens` has them)."""
        ...

    def facts_of(self, key: str) -> CredentialFacts | None:
        """One tracked credential's facts, its token complete, whatever its state."""
        ...

    def tokens(self, keys: list[str]) -> dict[str, TrackedToken]:
        """These tracked tokens, complete, by key (one query)."""
        ...

    def silences(self, keys: list[str] | None = None) -> list[Silence]:
        """The silences kept (of these token keys, if given)."""
        ...

    def keep(self, silence: Silence) -> None:
        """Store a silence, replacing the one for the same token and finding."""
        ...
