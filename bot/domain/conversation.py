"""An advisor conversation's state: the ordered answers someone has given so far."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Conversation:
    """Answers in the order given, so 'back' undoes the last one. `revision` guards writes."""

    key: str
    answers: tuple[tuple[str, str], ...]
    tree_version: int
    started_at: datetime
    updated_at: datetime
    revision: int = 0

    @classmethod
    def start(cls, key: str, *, tree_version: int, now: datetime) -> Conversation:
        return cls(key, (), tree_version, now, now)

    def as_mapping(self) -> dict[str, str]:
        return dict(self.answers)

    def answered(self, question_id: str, value: str, *, now: datetime) -> Conversation:
        """Set an answer; answering an earlier question again drops everything after it."""
        ids = [qid for qid, _ in self.answers]
        kept = self.answers[: ids.index(question_id)] if question_id in ids else self.answers
        return replace(self, answers=(*kept, (question_id, value)), updated_at=now)

    def back(self, *, now: datetime) -> Conversation:
        return replace(self, answers=self.answers[:-1], updated_at=now)

    def restarted(self, *, tree_version: int, now: datetime) -> Conversation:
        return replace(self, answers=(), tree_version=tree_version, started_at=now, updated_at=now)

    def truncated(self, length: int, *, now: datetime) -> Conversation:
        return replace(self, answers=self.answers[:length], updated_at=now)
