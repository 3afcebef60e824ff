"""One interaction's GitLab reads are asked once (bot/gitlab/read_memo.py), over HTTP.

The gateway talks to the simulator through its real python-gitlab client; the simulator's
request log counts what reached GitLab.
"""

from __future__ import annotations

from datetime import date

from bot.domain.credentials import TokenSpec
from bot.domain.tokens import AccessLevel, Scope, TokenType
from bot.gitlab.gateway import PythonGitlabGateway
from bot.gitlab.read_memo import interaction_reads
from tests.integration.gitlab.conftest import Company

PROJECT = "/api/v4/projects/acme%2Fplatform%2Fapi"


def _gets(company: Company, path: str) -> int:
    return sum(1 for e in company.sim.requests.entries() if e.method == "GET" and e.path == path)


def test_a_project_read_twice_in_one_interaction_reaches_gitlab_once(
    company: Company, gateway: PythonGitlabGateway
) -> None:
    """The form submit's shape: the project, then `effective_role` reads it again."""
    with interaction_reads() as memo:
        first = gateway.namespace("acme/platform/api")
        gateway.effective_role(company.alice.id, "acme/platform/api")
        again = gateway.namespace("acme/platform/api")
    assert first == again
    assert _gets(company, PROJECT) == 1
    assert memo.hits == 2


def test_a_group_path_is_not_asked_as_a_project_twice(
    company: Company, gateway: PythonGitlabGateway
) -> None:
    """`namespace` tries the project first; its 404 is kept too."""
    with interaction_reads():
        gateway.namespace("acme/platform")
        gateway.namespace("acme/platform")
    assert _gets(company, "/api/v4/projects/acme%2Fplatform") == 1
    assert _gets(company, "/api/v4/groups/acme%2Fplatform") == 1


def test_a_change_empties_the_memo_so_reads_after_it_are_fresh(
    company: Company, gateway: PythonGitlabGateway
) -> None:
    spec = TokenSpec(
        TokenType.PROJECT_ACCESS_TOKEN,
        "acme/platform/api",
        name="memo-check",
        scopes=(Scope.READ_API,),
        access_level=AccessLevel.REPORTER,
        expires_on=date(2026, 12, 20),
    )
    with interaction_reads():
        gateway.namespace("acme/platform/api")
        gateway.create_token(spec)  # reads the project (memo), then POSTs
        gateway.namespace("acme/platform/api")
    assert _gets(company, PROJECT) == 2  # before the create, and once after it


def test_outside_an_interaction_every_read_goes_to_gitlab(
    company: Company, gateway: PythonGitlabGateway
) -> None:
    gateway.namespace("acme/platform/api")
    gateway.namespace("acme/platform/api")
    assert _gets(company, PROJECT) == 2
