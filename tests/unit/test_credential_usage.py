"""How to use each kind of credential tokenbot makes (bot/domain/usage.py), as a table.

Facts from GitLab's docs: deploy tokens are a username (default `gitlab+deploy-token-{n}`)
and token pair and cannot call the REST API (docs.gitlab.com/user/project/deploy_tokens/);
project and group access tokens take "any non-blank value" as Git username
(docs.gitlab.com/user/project/settings/project_access_tokens/) and the `PRIVATE-TOKEN` or
`Authorization: Bearer` header (docs.gitlab.com/api/rest/authentication/); trigger tokens are
the form field `token` of `POST /projects/:id/trigger/pipeline` (docs.gitlab.com/ci/triggers/).
"""

from __future__ import annotations

import pytest

from bot.domain.credentials import NamespaceKind
from bot.domain.tokens import TokenType
from bot.domain.usage import Credential, Usage, usage

GITLAB = "https://gitlab.example.com"
T = TokenType


def guide(kind: TokenType, *scopes: str, **facts: object) -> Usage:
    values: dict[str, object] = {"target": "acme/web", "gitlab_url": GITLAB} | facts
    found = usage(Credential(kind, tuple(scopes), **values))  # type: ignore[arg-type]
    assert found is not None
    return found


def commands(found: Usage) -> dict[str, str]:
    return {s.label.split(" (")[0].split(",")[0]: s.command for s in found.snippets}


@pytest.mark.parametrize(
    ("kind", "scopes", "facts", "username", "api_starts"),
    [
        (T.DEPLOY_TOKEN, ("read_repository",), {"account": "gitlab+deploy-token-7"},
         "gitlab+deploy-token-7", "It cannot call the REST API"),
        (T.DEPLOY_TOKEN, ("read_repository",), {"account": "ci-reader"}, "ci-reader",
         "It cannot call the REST API"),
        (T.DEPLOY_TOKEN, ("read_repository",), {}, "<username>", "It cannot call the REST API"),
        (T.PROJECT_ACCESS_TOKEN, ("api",), {"account": "project_3_bot_ab12"},
         "project_3_bot_ab12", "Header `PRIVATE-TOKEN: <token>`, or `Authorization: Bearer"),
        (T.PROJECT_ACCESS_TOKEN, ("read_api",), {}, "any-name", "Header `PRIVATE-TOKEN"),
        (T.GROUP_ACCESS_TOKEN, ("read_api",), {"target": "acme"}, "any-name",
         "Header `PRIVATE-TOKEN"),
        (T.SERVICE_ACCOUNT_PAT, ("api",), {"target": "acme", "name": "deployer"}, "deployer",
         "Header `PRIVATE-TOKEN"),
        (T.PIPELINE_TRIGGER_TOKEN, (), {}, "", "Only the trigger API takes it"),
    ],
)  # fmt: skip
def test_each_kind_names_its_username_and_how_it_calls_the_api(
    kind: TokenType,
    scopes: tuple[str, ...],
    facts: dict[str, object],
    username: str,
    api_starts: str,
) -> None:
    found = guide(kind, *scopes, **facts)
    assert found.username == username
    assert found.api.startswith(api_starts)


def test_a_deploy_token_clones_and_logs_in_to_the_registry_with_its_gitlab_username() -> None:
    found = guide(
        T.DEPLOY_TOKEN, "read_repository", "read_registry", account="gitlab+deploy-token-7"
    )
    assert commands(found) == {
        "Git over HTTPS": "git clone https://gitlab+deploy-token-7@gitlab.example.com/acme/web.git",
        "Container registry": 'echo "$DEPLOY_TOKEN" | docker login <registry host>'
        " -u gitlab+deploy-token-7 --password-stdin",
    }
    assert found.variable == "DEPLOY_TOKEN"
    assert not found.in_ci


def test_a_group_deploy_token_clones_a_project_of_the_group() -> None:
    found = guide(T.DEPLOY_TOKEN, "read_repository", target="acme", place=NamespaceKind.GROUP)
    assert commands(found)["Git over HTTPS"].endswith("@gitlab.example.com/acme/<project>.git")


def test_gitlab_com_names_its_registry() -> None:
    found = guide(T.DEPLOY_TOKEN, "read_registry", account="d", gitlab_url="https://gitlab.com/")
    assert "docker login registry.gitlab.com -u d" in commands(found)["Container registry"]


def test_an_access_token_calls_the_api_of_its_own_project_or_group() -> None:
    project = guide(T.PROJECT_ACCESS_TOKEN, "read_api")
    group = guide(T.GROUP_ACCESS_TOKEN, "read_api", target="acme/platform")
    assert commands(project) == {
        "REST API": 'curl --header "PRIVATE-TOKEN: $GITLAB_TOKEN"'
        ' "https://gitlab.example.com/api/v4/projects/acme%2Fweb"'
    }
    assert commands(group)["REST API"].endswith('/api/v4/groups/acme%2Fplatform"')


def test_in_a_ci_variable_the_commands_read_that_variable() -> None:
    found = guide(T.PROJECT_ACCESS_TOKEN, "api", account="bot", variable="WEB_TOKEN")
    assert found.in_ci
    assert commands(found) == {
        "Git over HTTPS": 'git clone "https://bot:${WEB_TOKEN}@gitlab.example.com/acme/web.git"',
        "REST API": 'curl --header "PRIVATE-TOKEN: $WEB_TOKEN"'
        ' "https://gitlab.example.com/api/v4/projects/acme%2Fweb"',
    }


def test_a_trigger_token_starts_a_pipeline_with_the_token_form_field() -> None:
    found = guide(T.PIPELINE_TRIGGER_TOKEN)
    assert [s.command for s in found.snippets] == [
        'curl --request POST --form "token=$TRIGGER_TOKEN" --form ref=main'
        ' "https://gitlab.example.com/api/v4/projects/acme%2Fweb/trigger/pipeline"'
    ]


def test_gitlab_url_credentials_and_trailing_slashes_stay_out() -> None:
    found = guide(T.PROJECT_ACCESS_TOKEN, "read_repository", gitlab_url="https://u:p@git.io/gl/")
    assert commands(found)["Git over HTTPS"] == "git clone https://any-name@git.io/gl/acme/web.git"


def test_kinds_tokenbot_does_not_make_have_no_guide() -> None:
    for kind in (T.PERSONAL_ACCESS_TOKEN, T.DEPLOY_KEY, T.CI_JOB_TOKEN, T.OAUTH_APPLICATION):
        assert usage(Credential(kind, (), "acme/web", GITLAB)) is None
