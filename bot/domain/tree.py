"""The shapes of the advisor's decision tree: questions, choices and leaves."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from bot.domain.capabilities import Capability
from bot.domain.tokens import TokenType

CAPABILITIES_QUESTION_ID = "capabilities"


class Target(StrEnum):
    """Where the recommended credential lives."""

    PROJECT = "project"
    GROUP = "group"
    INSTANCE = "instance"
    USER = "user"
    PIPELINE = "pipeline"


@dataclass(frozen=True, slots=True)
class Choice:
    value: str
    label: str
    next: str  # key of the next question or leaf


@dataclass(frozen=True, slots=True)
class Question:
    key: str  # unique node key (also the Mermaid node id)
    question_id: str  # the answer key, a public contract; unique along any path
    text: str
    choices: tuple[Choice, ...]
    help: str = ""
    seed_node: str | None = None  # the flowchart letter in seed 000, where it comes from there

    def choice(self, value: str) -> Choice | None:
        return next((c for c in self.choices if c.value == value), None)

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(c.value for c in self.choices)


@dataclass(frozen=True, slots=True)
class Leaf:
    key: str
    token_type: TokenType
    target: Target
    summary: str
    reasons: tuple[str, ...]
    caveats: tuple[str, ...] = ()
    implied: frozenset[Capability] = frozenset()  # what the path already told us it must do
    ask_capabilities: bool = True
    seed_node: str | None = None


@dataclass(frozen=True, slots=True)
class DecisionTree:
    root: str
    questions: Mapping[str, Question]
    leaves: Mapping[str, Leaf]
    version: int = 1
    question_ids: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        ids = frozenset(q.question_id for q in self.questions.values())
        object.__setattr__(self, "question_ids", ids)

    def node(self, key: str) -> Question | Leaf:
        if key in self.questions:
            return self.questions[key]
        return self.leaves[key]

    def questions_with_id(self, question_id: str) -> tuple[Question, ...]:
        return tuple(q for q in self.questions.values() if q.question_id == question_id)
