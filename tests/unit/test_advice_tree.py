"""The decision tree: every seed-000 path, and the tree's shape (reachable, no dead ends)."""

from __future__ import annotations

import itertools

import pytest

from bot.domain.advice_tree import ADVICE_TREE
from bot.domain.tokens import TokenType
from bot.domain.tree import CAPABILITIES_QUESTION_ID, Leaf, Question
from bot.domain.walk import walk

API = {"need": "gitlab_api"}

# Seed 000's flowchart: each leaf letter, the answers that reach it, and its token type.
SEED_000_PATHS = [
    ("D", {"in_ci": "yes", "limited_api": "yes"}, TokenType.CI_JOB_TOKEN),
    (
        "F",
        {"in_ci": "yes", "limited_api": "no", "multi_project": "no"},
        TokenType.PROJECT_ACCESS_TOKEN,
    ),
    (
        "G",
        {"in_ci": "yes", "limited_api": "no", "multi_project": "yes"},
        TokenType.SERVICE_ACCOUNT_PAT,
    ),
    (
        "J",
        {"in_ci": "no", "single_project": "yes", "admin_actions": "no"},
        TokenType.PROJECT_ACCESS_TOKEN,
    ),
    (
        "K",
        {"in_ci": "no", "single_project": "yes", "admin_actions": "yes"},
        TokenType.SERVICE_ACCOUNT_PAT,
    ),
    (
        "N",
        {"in_ci": "no", "single_project": "no", "multi_project": "yes", "large_group": "yes"},
        TokenType.SERVICE_ACCOUNT_PAT,
    ),
    (
        "P",
        {
            "in_ci": "no",
            "single_project": "no",
            "multi_project": "yes",
            "large_group": "no",
            "small_group": "yes",
        },
        TokenType.GROUP_ACCESS_TOKEN,
    ),
    (
        "Q",
        {
            "in_ci": "no",
            "single_project": "no",
            "multi_project": "yes",
            "large_group": "no",
            "small_group": "no",
        },
        TokenType.SERVICE_ACCOUNT_PAT,
    ),
    (
        "S",
        {
            "in_ci": "no",
            "single_project": "no",
            "multi_project": "no",
            "can_create_service_account": "yes",
        },
        TokenType.SERVICE_ACCOUNT_PAT,
    ),
    (
        "T",
        {
            "in_ci": "no",
            "single_project": "no",
            "multi_project": "no",
            "can_create_service_account": "no",
        },
        TokenType.BOT_USER_PAT,
    ),
]


@pytest.mark.parametrize(
    ("letter", "answers", "token_type"), SEED_000_PATHS, ids=[p[0] for p in SEED_000_PATHS]
)
def test_each_seed_000_path_ends_at_its_flowchart_leaf(
    letter: str, answers: dict[str, str], token_type: TokenType
) -> None:
    result = walk(ADVICE_TREE, API | answers)
    assert result.leaf is not None
    assert result.leaf.seed_node == letter
    assert result.leaf.token_type is token_type
    assert result.ignored == ()


def test_all_ten_seed_000_leaves_are_in_the_tree() -> None:
    letters = {leaf.seed_node for leaf in ADVICE_TREE.leaves.values() if leaf.seed_node}
    assert letters == set("DFGJKNPQST")
    assert {p[0] for p in SEED_000_PATHS} == letters


def test_seed_000_question_ids_are_the_documented_contract() -> None:
    seed_ids = {q.question_id for q in ADVICE_TREE.questions.values() if q.seed_node}
    assert seed_ids == {
        "in_ci",
        "limited_api",
        "multi_project",
        "single_project",
        "admin_actions",
        "large_group",
        "small_group",
        "can_create_service_account",
    }
    for question in ADVICE_TREE.questions.values():
        if question.seed_node:
            assert question.values == ("yes", "no")


def test_every_token_type_is_some_leaf() -> None:
    reached = {leaf.token_type for leaf in ADVICE_TREE.leaves.values()}
    assert reached == set(TokenType)


def _paths(key: str, seen: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    node = ADVICE_TREE.node(key)
    assert key not in seen, f"cycle through {key}"
    if isinstance(node, Leaf):
        return [(*seen, key)]
    return [p for c in node.choices for p in _paths(c.next, (*seen, key))]


def test_walking_every_node_finds_no_dead_end_and_no_unreachable_node() -> None:
    paths = _paths(ADVICE_TREE.root)
    visited = {key for path in paths for key in path}
    assert visited == set(ADVICE_TREE.questions) | set(ADVICE_TREE.leaves)
    for path in paths:
        assert isinstance(ADVICE_TREE.node(path[-1]), Leaf)
    for question in ADVICE_TREE.questions.values():
        assert len(question.choices) >= 2, question.key
        assert len(set(question.values)) == len(question.values), question.key


def test_a_question_id_is_asked_at_most_once_on_any_path() -> None:
    for path in _paths(ADVICE_TREE.root):
        ids = [ADVICE_TREE.questions[k].question_id for k in path if k in ADVICE_TREE.questions]
        assert len(ids) == len(set(ids)), path
        assert CAPABILITIES_QUESTION_ID not in ids


def test_every_path_can_be_walked_to_a_recommendation_by_its_answers() -> None:
    for path in _paths(ADVICE_TREE.root):
        answers: dict[str, str] = {}
        for here, nxt in itertools.pairwise(path):
            question = ADVICE_TREE.questions[here]
            assert isinstance(question, Question)
            answers[question.question_id] = next(c.value for c in question.choices if c.next == nxt)
        result = walk(ADVICE_TREE, answers)
        if result.prompt is not None:  # the leaf asks what the token must do
            assert result.prompt.question_id == CAPABILITIES_QUESTION_ID
            answers[CAPABILITIES_QUESTION_ID] = result.prompt.choices[0].value
            result = walk(ADVICE_TREE, answers)
        assert result.prompt is None
        assert result.leaf is not None
        assert result.leaf.key == path[-1]


def test_the_first_how_to_line_of_every_requestable_type_says_how_to_create_it() -> None:
    from bot.domain.profiles import HOW_TO, how_to_use
    from bot.domain.request_policy import REQUESTABLE

    for token_type in REQUESTABLE:
        assert "creat" in HOW_TO[token_type][0].lower(), token_type
        assert how_to_use(token_type) == HOW_TO[token_type][1:]
        assert how_to_use(token_type)
