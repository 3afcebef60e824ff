"""`tokenbot advise` as scripts and people use it."""

from __future__ import annotations

import json

from tests.cli_runner import run_tokenbot

ONE_PROJECT = [
    "-a",
    "need=gitlab_api",
    "-a",
    "in_ci=no",
    "-a",
    "single_project=yes",
    "-a",
    "admin_actions=no",
]


def test_without_answers_it_prints_the_first_question_and_how_to_answer() -> None:
    result = run_tokenbot("advise")
    assert result.code == 0
    assert "Next question [need]:" in result.out
    assert "[gitlab_api]" in result.out
    assert "--answer need=VALUE" in result.out


def test_json_names_the_next_question_with_its_choices() -> None:
    result = run_tokenbot("advise", "--json", "--answer", "need=gitlab_api")
    document = json.loads(result.out)
    assert document["complete"] is False
    assert document["next_question"]["id"] == "in_ci"
    assert [c["value"] for c in document["next_question"]["choices"]] == ["yes", "no"]


def test_all_answers_give_a_recommendation_in_json() -> None:
    result = run_tokenbot("advise", "--json", *ONE_PROJECT, "-a", "capabilities=clone,push")
    assert result.code == 0, result.err
    document = json.loads(result.out)
    assert document["token_type"] == "project_access_token"
    assert document["scopes"] == ["write_repository"]
    assert document["access_level"] == 30
    assert document["role"] == "Developer"
    assert document["lifetime_days"] == 90
    assert document["reasons"]
    assert document["seed_node"] == "J"


def test_the_text_recommendation_shows_scopes_role_lifetime_and_why() -> None:
    result = run_tokenbot("advise", *ONE_PROJECT, "-a", "capabilities=read_api")
    assert "Recommendation: Project access token  [project_access_token]" in result.out
    assert "Scopes:   read_api" in result.out
    assert "Role:     Reporter (20)" in result.out
    assert "Lifetime: 90 days" in result.out
    assert "Why:" in result.out


def test_an_unknown_id_exits_2_listing_the_valid_ids() -> None:
    result = run_tokenbot("advise", "--answer", "in_cee=yes")
    assert result.code == 2
    assert "unknown question id 'in_cee'" in result.err
    assert "in_ci" in result.err
    assert "Traceback" not in result.err


def test_an_unknown_value_exits_2_listing_the_valid_values() -> None:
    result = run_tokenbot("advise", "-a", "need=gitlab_api", "-a", "in_ci=perhaps")
    assert result.code == 2
    assert "valid values: yes, no" in result.err


def test_a_malformed_answer_exits_2() -> None:
    result = run_tokenbot("advise", "--answer", "in_ci")
    assert result.code == 2
    assert "expects ID=VALUE" in result.err


def test_the_configured_tier_changes_the_advice() -> None:
    env = {"GITLAB_URL": "https://gitlab.com", "TOKENBOT_GITLAB_TIER": "free"}
    result = run_tokenbot("advise", "--json", *ONE_PROJECT, "-a", "capabilities=write_api", env=env)
    document = json.loads(result.out)
    assert document["token_type"] == "bot_user_pat"
    assert document["first_choice"] == "project_access_token"


def test_a_malformed_setting_is_one_line_without_a_traceback() -> None:
    result = run_tokenbot("advise", env={"TOKENBOT_DEFAULT_LIFETIME_DAYS": "lots"})
    assert result.code == 2
    assert result.err.startswith("tokenbot: TOKENBOT_DEFAULT_LIFETIME_DAYS:")
    assert len(result.err.strip().splitlines()) == 1


def test_the_tree_command_prints_a_mermaid_flowchart() -> None:
    result = run_tokenbot("tree")
    assert result.out.startswith("flowchart TD\n")
    assert "leaf_bot_user" in result.out
