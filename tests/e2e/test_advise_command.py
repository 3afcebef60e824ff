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


MULTI_PROJECT_JOB = [
    *("-a", "need=gitlab_api", "-a", "in_ci=no", "-a", "single_project=no"),
    *("-a", "multi_project=yes", "-a", "large_group=no", "-a", "small_group=yes"),
    *("-a", "capabilities=read_api,write_api"),
]


def _advise_json(*answers: str, env: dict[str, str]) -> dict[str, object]:
    result = run_tokenbot("advise", "--json", *answers, env=env)
    assert result.code == 0, result.err
    document: dict[str, object] = json.loads(result.out)
    return document


def test_gitlab_com_free_gets_a_service_account_for_a_multi_project_job() -> None:
    """Service accounts are on every tier (MR !227910); group access tokens still need Premium
    on GitLab.com, so the bot-user PAT of the seeds is no longer the fallback."""
    env = {"TOKENBOT_GITLAB_OFFERING": "gitlab_com", "TOKENBOT_GITLAB_TIER": "free"}
    document = _advise_json(*MULTI_PROJECT_JOB, env=env)
    assert document["token_type"] == "service_account_pat"
    assert document["first_choice"] == "group_access_token"


def test_free_self_managed_before_18_11_still_falls_back_to_a_bot_user() -> None:
    env = {
        "TOKENBOT_GITLAB_OFFERING": "self_managed",
        "TOKENBOT_GITLAB_TIER": "free",
        "TOKENBOT_GITLAB_VERSION": "18.5.2-ee",
    }
    no_project = [
        *("-a", "need=gitlab_api", "-a", "in_ci=no", "-a", "single_project=no"),
        *("-a", "multi_project=no", "-a", "can_create_service_account=yes"),
        *("-a", "capabilities=read_api"),
    ]
    document = _advise_json(*no_project, env=env)
    assert document["token_type"] == "bot_user_pat"
    assert document["first_choice"] == "service_account_pat"


def test_a_bot_user_on_19_2_gets_the_fine_grained_permissions_with_their_sources() -> None:
    env = {
        "TOKENBOT_GITLAB_OFFERING": "self_managed",
        "TOKENBOT_GITLAB_TIER": "free",
        "TOKENBOT_GITLAB_VERSION": "19.2",
    }
    answers = [
        *("-a", "need=gitlab_api", "-a", "in_ci=no", "-a", "single_project=no"),
        *("-a", "multi_project=no", "-a", "can_create_service_account=no"),
        *("-a", "capabilities=clone"),
    ]
    fine = _advise_json(*answers, env=env)["fine_grained"]
    assert isinstance(fine, dict)
    assert fine["usable"] is True
    assert fine["access"] == "selected_memberships"
    assert fine["permissions"] == [
        {
            "name": "download_code",
            "source": "gitlab-org/gitlab config/authz/permission_groups/assignable_permissions/"
            "repository/code/download.yml",
        }
    ]


def test_a_bad_gitlab_version_setting_is_refused_with_a_clear_message() -> None:
    result = run_tokenbot("advise", env={"TOKENBOT_GITLAB_VERSION": "latest"})
    assert result.code != 0
    assert "TOKENBOT_GITLAB_VERSION" in result.err
    assert "18.6" in result.err
    assert "Traceback" not in result.err
