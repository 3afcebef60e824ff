"""Walking answers: bad ids and values are refused with the valid ones listed."""

from __future__ import annotations

import pytest

from bot.domain.advice_tree import ADVICE_TREE
from bot.domain.capabilities import Capability
from bot.domain.walk import NONE_VALUE, AnswerError, walk

J_PATH = {"need": "gitlab_api", "in_ci": "no", "single_project": "yes", "admin_actions": "no"}


def test_no_answers_asks_the_first_question() -> None:
    result = walk(ADVICE_TREE, {})
    assert result.prompt is not None
    assert result.prompt.question_id == "need"
    assert result.leaf is None


def test_unknown_question_id_is_refused_with_the_valid_ids() -> None:
    with pytest.raises(AnswerError) as caught:
        walk(ADVICE_TREE, {"in_cii": "yes"})
    assert "unknown question id 'in_cii'" in str(caught.value)
    assert "in_ci" in caught.value.valid
    assert "capabilities" in caught.value.valid


def test_invalid_value_is_refused_with_the_valid_values() -> None:
    with pytest.raises(AnswerError) as caught:
        walk(ADVICE_TREE, {"need": "gitlab_api", "in_ci": "maybe"})
    assert caught.value.valid == ("yes", "no")
    assert "'maybe' is not a valid answer to 'in_ci'" in str(caught.value)


def test_answers_off_the_path_are_reported_as_ignored() -> None:
    result = walk(ADVICE_TREE, J_PATH | {"large_group": "yes", "capabilities": "clone"})
    assert result.leaf is not None
    assert result.ignored == ("large_group",)


def test_a_leaf_with_scopes_asks_what_the_token_must_do() -> None:
    result = walk(ADVICE_TREE, J_PATH)
    assert result.prompt is not None
    assert result.prompt.question_id == "capabilities"
    assert result.prompt.multiple
    assert "clone" in [c.value for c in result.prompt.choices]


def test_capabilities_are_parsed_from_a_comma_separated_list() -> None:
    result = walk(ADVICE_TREE, J_PATH | {"capabilities": "clone, push_images"})
    assert result.capabilities == {Capability.CLONE, Capability.PUSH_IMAGES}


def test_a_capability_the_token_type_cannot_have_is_refused() -> None:
    registry = {"need": "registry", "registry_group": "no"}
    with pytest.raises(AnswerError) as caught:
        walk(ADVICE_TREE, registry | {"capabilities": "write_api"})
    assert "write_api" not in caught.value.valid
    assert "push_images" in caught.value.valid


def test_nothing_else_is_allowed_only_when_the_path_implies_a_capability() -> None:
    k_path = J_PATH | {"admin_actions": "yes"}
    result = walk(ADVICE_TREE, k_path | {"capabilities": NONE_VALUE})
    assert result.capabilities == {Capability.CREATE_TOKENS}
    with pytest.raises(AnswerError):
        walk(ADVICE_TREE, J_PATH | {"capabilities": NONE_VALUE})


def test_an_empty_capability_list_is_refused() -> None:
    with pytest.raises(AnswerError):
        walk(ADVICE_TREE, J_PATH | {"capabilities": " , "})


def test_leaves_without_scopes_need_no_capability_answer() -> None:
    result = walk(ADVICE_TREE, {"need": "gitlab_api", "in_ci": "yes", "limited_api": "yes"})
    assert result.prompt is None
    assert result.leaf is not None
    assert result.leaf.key == "leaf_ci_limited"
