"""Following answers through the decision tree to the next prompt or to a leaf."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.domain.capabilities import RULES, Capability, supported
from bot.domain.tree import CAPABILITIES_QUESTION_ID, DecisionTree, Leaf, Question

NONE_VALUE = "none"


class AnswerError(ValueError):
    """An answer the tree cannot take; the message lists what it would take."""

    def __init__(self, message: str, *, question_id: str, valid: tuple[str, ...]) -> None:
        super().__init__(message)
        self.question_id = question_id
        self.valid = valid


@dataclass(frozen=True, slots=True)
class PromptChoice:
    value: str
    label: str


@dataclass(frozen=True, slots=True)
class Prompt:
    """A question as every front end shows it: one choice, or several for `multiple`."""

    question_id: str
    text: str
    choices: tuple[PromptChoice, ...]
    help: str = ""
    multiple: bool = False


@dataclass(frozen=True, slots=True)
class Walk:
    path: tuple[str, ...]  # node keys visited, root first
    prompt: Prompt | None  # the next thing to ask, if any
    leaf: Leaf | None
    capabilities: frozenset[Capability] = frozenset()
    ignored: tuple[str, ...] = ()  # answered question ids that are not on this path


def walk(tree: DecisionTree, answers: Mapping[str, str]) -> Walk:
    """Follow `answers` (question id -> value) from the root; raise AnswerError on bad input."""
    _check_known(tree, answers)
    path: list[str] = []
    used: set[str] = set()
    node: Question | Leaf = tree.node(tree.root)
    while isinstance(node, Question):
        path.append(node.key)
        value = answers.get(node.question_id)
        if value is None:
            return Walk(tuple(path), _question_prompt(node), None, ignored=())
        choice = node.choice(value)
        if choice is None:
            raise _bad_value(node.question_id, value, node.values)
        used.add(node.question_id)
        node = tree.node(choice.next)
    path.append(node.key)
    offered = capability_choices(node)
    capabilities = node.implied
    if offered:
        raw = answers.get(CAPABILITIES_QUESTION_ID)
        if raw is None:
            return Walk(tuple(path), capability_prompt(node), node)
        capabilities = capabilities | parse_capabilities(raw, offered, implied=node.implied)
        used.add(CAPABILITIES_QUESTION_ID)
    ignored = tuple(sorted(set(answers) - used))
    return Walk(tuple(path), None, node, capabilities, ignored)


def capability_choices(leaf: Leaf) -> tuple[Capability, ...]:
    if not leaf.ask_capabilities:
        return ()
    return tuple(cap for cap in supported(leaf.token_type) if cap not in leaf.implied)


def capability_prompt(leaf: Leaf) -> Prompt:
    choices = tuple(PromptChoice(c.value, RULES[c].label) for c in capability_choices(leaf))
    if leaf.implied:
        known = ", ".join(RULES[c].label.lower() for c in sorted(leaf.implied))
        text = f"It will {known}. What else must the token be able to do?"
        choices += (PromptChoice(NONE_VALUE, "Nothing else"),)
    else:
        text = "What must the token be able to do? Pick everything it needs, nothing more."
    return Prompt(
        CAPABILITIES_QUESTION_ID,
        text,
        choices,
        multiple=True,
        help="Scopes and role are chosen from this: the fewer, the safer.",
    )


def parse_capabilities(
    raw: str, offered: tuple[Capability, ...], *, implied: frozenset[Capability]
) -> frozenset[Capability]:
    """Parse 'clone,push' into capabilities; 'none' only when the path already implies some."""
    values = [part.strip() for part in raw.split(",") if part.strip()]
    allowed = tuple(c.value for c in offered) + ((NONE_VALUE,) if implied else ())
    if not values:
        raise _bad_value(CAPABILITIES_QUESTION_ID, raw, allowed)
    chosen: set[Capability] = set()
    for value in values:
        if value not in allowed:
            raise _bad_value(CAPABILITIES_QUESTION_ID, value, allowed)
        if value != NONE_VALUE:
            chosen.add(Capability(value))
    return frozenset(chosen)


def all_values(tree: DecisionTree, question_id: str) -> tuple[str, ...]:
    """Every value any node with this id accepts (capabilities: every capability id)."""
    if question_id == CAPABILITIES_QUESTION_ID:
        return (*(c.value for c in Capability), NONE_VALUE)
    seen: dict[str, None] = {}
    for question in tree.questions_with_id(question_id):
        seen.update(dict.fromkeys(question.values))
    return tuple(seen)


def _check_known(tree: DecisionTree, answers: Mapping[str, str]) -> None:
    valid_ids = tuple(sorted(tree.question_ids | {CAPABILITIES_QUESTION_ID}))
    for question_id, value in answers.items():
        if question_id not in valid_ids:
            raise AnswerError(
                f"unknown question id '{question_id}'; valid ids: {', '.join(valid_ids)}",
                question_id=question_id,
                valid=valid_ids,
            )
        if question_id != CAPABILITIES_QUESTION_ID:
            valid = all_values(tree, question_id)
            if value not in valid:
                raise _bad_value(question_id, value, valid)


def _question_prompt(question: Question) -> Prompt:
    choices = tuple(PromptChoice(c.value, c.label) for c in question.choices)
    return Prompt(question.question_id, question.text, choices, question.help)


def _bad_value(question_id: str, value: str, valid: tuple[str, ...]) -> AnswerError:
    return AnswerError(
        f"'{value}' is not a valid answer to '{question_id}'; valid values: {', '.join(valid)}",
        question_id=question_id,
        valid=valid,
    )
