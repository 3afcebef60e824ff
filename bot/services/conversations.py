"""The conversation engine: asks the next question, takes answers, goes back, starts over.

Front ends (Slack, the terminal) call these use cases with a conversation key; the state lives
in the database, so a restart loses nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.domain.capabilities import RULES, Capability
from bot.domain.conversation import Conversation
from bot.domain.tree import CAPABILITIES_QUESTION_ID, Question
from bot.domain.walk import NONE_VALUE, AnswerError
from bot.services.advisor import Advice, AdviceContext, advise
from bot.services.ports import Clock, ConcurrentUpdateError, UnitOfWorkFactory

_Change = Callable[[Conversation], Conversation]
TREE_CHANGED = "The questions changed since you started; I kept the answers that still apply."


@dataclass(frozen=True, slots=True)
class Turn:
    """What a front end shows after each step."""

    key: str
    advice: Advice
    history: tuple[tuple[str, str], ...]  # (question, the answer's label), in order
    notice: str | None = None

    @property
    def can_go_back(self) -> bool:
        return bool(self.history)


@dataclass(frozen=True, slots=True)
class ConversationDeps:
    """The collaborators every conversation use case needs."""

    uow: UnitOfWorkFactory
    context: AdviceContext
    clock: Clock


def start_conversation(key: str, *, deps: ConversationDeps) -> Turn:
    """Begin (or begin again) at the first question."""
    return _change(
        key,
        deps,
        lambda conv: conv.restarted(tree_version=deps.context.tree.version, now=deps.clock()),
    )


def open_conversation(key: str, *, deps: ConversationDeps) -> Turn:
    """Begin the conversation of a message just posted, at the first question.

    A click on that message can reach tokenbot before this runs (Slack shows the message as
    soon as it is posted); the conversation it began is kept, not restarted.
    """
    return _change(key, deps, lambda conversation: conversation)


def current_turn(key: str, *, deps: ConversationDeps) -> Turn | None:
    """Where a conversation stands, or None if there is none."""
    with deps.uow() as uow:
        conversation = uow.conversations.get(key)
    if conversation is None:
        return None
    repaired, notice = _repair(conversation, deps)
    if repaired.answers != conversation.answers:
        return _change(key, deps, lambda conv: _repair(conv, deps)[0], notice=notice)
    return _turn(repaired, deps.context, notice)


def answer_question(key: str, question_id: str, value: str, *, deps: ConversationDeps) -> Turn:
    """Answer the current question, or an earlier one (which drops the answers after it)."""

    def apply(conversation: Conversation) -> Conversation:
        repaired, _ = _repair(conversation, deps)
        current = advise(repaired.as_mapping(), context=deps.context)
        asked = {qid for qid, _ in repaired.answers}
        if current.prompt is not None:
            asked.add(current.prompt.question_id)
        if question_id not in asked:
            expected = current.prompt.question_id if current.prompt else "nothing: it's done"
            raise AnswerError(
                f"'{question_id}' is not asked at this point; the current question is {expected}",
                question_id=question_id,
                valid=tuple(sorted(asked)),
            )
        updated = repaired.answered(question_id, value, now=deps.clock())
        advise(updated.as_mapping(), context=deps.context)  # raises before anything is stored
        return updated

    return _change(key, deps, apply)


def go_back(key: str, *, deps: ConversationDeps) -> Turn:
    """Undo the last answer."""
    return _change(key, deps, lambda conv: conv.back(now=deps.clock()))


def start_over(key: str, *, deps: ConversationDeps) -> Turn:
    return start_conversation(key, deps=deps)


def _change(key: str, deps: ConversationDeps, change: _Change, notice: str | None = None) -> Turn:
    # Two clicks at once on the same conversation: the loser re-reads and applies its change
    # on top, so no answer is silently lost.
    for _attempt in range(3):
        with deps.uow() as uow:
            existing = uow.conversations.get(key)
            now = deps.clock()
            base = existing or Conversation.start(
                key, tree_version=deps.context.tree.version, now=now
            )
            updated = change(base)
            try:
                if existing is None:
                    uow.conversations.add(updated)
                    saved = updated
                else:
                    saved = uow.conversations.update(updated)
                uow.commit()
            except ConcurrentUpdateError:
                uow.rollback()
                continue
        return _turn(saved, deps.context, notice)
    raise ConcurrentUpdateError(f"conversation {key} kept changing; try again")


def _repair(conversation: Conversation, deps: ConversationDeps) -> tuple[Conversation, str | None]:
    """Keep the longest prefix of stored answers the current tree still accepts."""
    for length in range(len(conversation.answers), -1, -1):
        candidate = conversation.truncated(length, now=conversation.updated_at)
        try:
            result = advise(candidate.as_mapping(), context=deps.context)
        except AnswerError:
            continue
        if not result.walk.ignored:
            changed = length != len(conversation.answers)
            return candidate, TREE_CHANGED if changed else None
    return conversation.truncated(0, now=conversation.updated_at), TREE_CHANGED


def _turn(conversation: Conversation, context: AdviceContext, notice: str | None) -> Turn:
    advice = advise(conversation.as_mapping(), context=context)
    history: list[tuple[str, str]] = []
    answers = conversation.as_mapping()
    for node_key in advice.walk.path:
        question = context.tree.questions.get(node_key)
        if isinstance(question, Question) and question.question_id in answers:
            choice = question.choice(answers[question.question_id])
            history.append((question.text, choice.label if choice else "?"))
    if CAPABILITIES_QUESTION_ID in answers:
        history.append(
            (
                "What must the token be able to do?",
                _capability_labels(answers[CAPABILITIES_QUESTION_ID]),
            )
        )
    return Turn(conversation.key, advice, tuple(history), notice)


def _capability_labels(raw: str) -> str:
    values = [v.strip() for v in raw.split(",") if v.strip()]
    labels = ["Nothing else" if v == NONE_VALUE else RULES[Capability(v)].label for v in values]
    return ", ".join(labels)
