"""The `advise` use case: from answers to the next question or a recommendation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.domain.advice import Recommendation, recommend
from bot.domain.advice_tree import ADVICE_TREE
from bot.domain.platform import Platform
from bot.domain.policy import LifetimePolicy
from bot.domain.tree import DecisionTree
from bot.domain.walk import Prompt, Walk, walk
from bot.services.known_platform import KnownPlatform


@dataclass(frozen=True, slots=True)
class AdviceContext:
    """What advice depends on besides the answers: the tree, the GitLab platform, the policy."""

    platform: Platform = field(default_factory=Platform)
    policy: LifetimePolicy = field(default_factory=LifetimePolicy)
    tree: DecisionTree = ADVICE_TREE
    known: KnownPlatform | None = None  # when set, GitLab's own version over `platform`

    def current_platform(self) -> Platform:
        return self.platform if self.known is None else self.known.current()


@dataclass(frozen=True, slots=True)
class Advice:
    walk: Walk
    recommendation: Recommendation | None

    @property
    def prompt(self) -> Prompt | None:
        return self.walk.prompt

    @property
    def complete(self) -> bool:
        return self.recommendation is not None


def advise(answers: Mapping[str, str], *, context: AdviceContext) -> Advice:
    """Walk the answers; recommend once the path is complete. Raises AnswerError on bad input."""
    result = walk(context.tree, answers)
    if result.prompt is not None or result.leaf is None:
        return Advice(result, None)
    rec = recommend(
        result.leaf,
        result.capabilities,
        platform=context.current_platform(),
        policy=context.policy,
    )
    return Advice(result, rec)
