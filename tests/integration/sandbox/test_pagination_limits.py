"""What GitLab does with odd `page` / `per_page` values: Grape's checks, then Kaminari's.

Sources in gitlab-org/gitlab (read from its gitlabhq/gitlabhq mirror):
* lib/api/pagination_params.rb: `use :pagination` declares `page` and `per_page` as Integer
  with `per_page` `except_values: [0]` (Grape: "per_page has a value not allowed"). Its
  stricter `verify_pagination_params!` sits behind the `only_positive_pagination_values` flag,
  off by default (config/feature_flags/development/only_positive_pagination_values.yml) and
  called by few endpoints; spec/requests/api/commits_spec.rb tabulates both cases ("when FF is
  off": page 0 and -10 succeed, per_page 0 is 400, per_page -1 succeeds).
* config/initializers/kaminari_config.rb: default_per_page 20, max_per_page 100; Kaminari's
  `per` keeps the default for a negative value and caps at the maximum.
* lib/gitlab/pagination/offset_pagination.rb: `relation.page(params[:page]).per(params[:per_page])`.
* lib/api/resource_access_tokens.rb: the access-token list does not `use :pagination`, so a
  per_page of 0 reaches Kaminari, whose `total_pages` raises ZeroPerPageOperation (a 500).
Docs: https://docs.gitlab.com/api/rest/#pagination (per_page: default 20, maximum 100).
"""

from __future__ import annotations

import gitlab
import pytest

from bot.sandbox import add_personal_token
from tests.integration.sandbox.conftest import World


def _seed_pats(world: World, count: int) -> None:
    state = world.sandbox.sim.state
    for _ in range(count):
        add_personal_token(state, world.developer, scopes=("api",))


def _list_pats(world: World, token: str, **params: object) -> tuple[int, dict[str, str], object]:
    response = world.sandbox.call("GET", "/personal_access_tokens", token, params=params)
    return response.status_code, dict(response.headers), response.json()


def test_per_page_zero_is_400_not_allowed(world: World) -> None:
    status, _, body = _list_pats(world, world.developer_token, per_page=0)
    assert status == 400
    assert body == {"error": "per_page has a value not allowed"}


@pytest.mark.parametrize(
    "path",
    [
        "/users",
        "/groups",
        "/projects",
        "/groups/{group}/members/all",
        "/projects/{project}/variables",
        "/projects/{project}/triggers",
        "/projects/{project}/deploy_tokens",
        "/projects/{project}/job_token_scope/allowlist",
        "/groups/{group}/service_accounts",
    ],
)
def test_per_page_zero_is_400_on_every_list_that_declares_pagination(
    world: World, path: str
) -> None:
    url = path.format(group=world.acme.id, project=world.project.id)
    response = world.sandbox.call("GET", url, world.admin_token, params={"per_page": 0})
    assert response.status_code == 400
    assert response.json() == {"error": "per_page has a value not allowed"}


def test_the_400_comes_before_the_permission_check(world: World) -> None:
    """Grape validates declared params before the endpoint body runs `authorize!`."""
    url = f"/projects/{world.project.id}/variables"
    response = world.sandbox.call("GET", url, world.developer_token, params={"per_page": 0})
    assert response.status_code == 400
    without = world.sandbox.call("GET", url, world.developer_token)
    assert without.status_code == 403


def test_non_integer_page_values_are_400_invalid(world: World) -> None:
    status, _, body = _list_pats(world, world.developer_token, page="x", per_page="ten")
    assert status == 400
    assert body == {"error": "page is invalid, per_page is invalid"}


def test_per_page_above_100_is_clamped_to_100(world: World) -> None:
    _seed_pats(world, 105)
    status, headers, body = _list_pats(world, world.developer_token, per_page=101)
    assert status == 200
    assert headers["X-Per-Page"] == "100"
    assert isinstance(body, list)
    assert len(body) == 100


@pytest.mark.parametrize(("per_page", "page"), [(-1, 0), (-100, -10)])
def test_negative_values_fall_back_to_kaminaris_defaults(
    world: World, per_page: int, page: int
) -> None:
    _seed_pats(world, 25)
    status, headers, body = _list_pats(world, world.developer_token, per_page=per_page, page=page)
    assert status == 200
    assert (headers["X-Page"], headers["X-Per-Page"]) == ("1", "20")
    assert isinstance(body, list)
    assert len(body) == 20


def test_python_gitlab_refuses_nothing_itself(world: World) -> None:
    """python-gitlab passes per_page through; the 400 is GitLab's (here, the simulator's)."""
    gl = world.sandbox.gl(world.developer_token)
    with pytest.raises(gitlab.GitlabListError) as caught:
        gl.personal_access_tokens.list(per_page=0, get_all=False)
    assert caught.value.response_code == 400


def test_access_token_list_without_declared_pagination_is_500_for_per_page_zero(
    world: World,
) -> None:
    """Kaminari's ZeroPerPageOperation, rendered by lib/api/api.rb's rescue-all as a 500."""
    url = f"/projects/{world.project.id}/access_tokens"
    response = world.sandbox.call("GET", url, world.maintainer_token, params={"per_page": 0})
    assert response.status_code == 500
    assert response.json() == {"message": "500 Internal Server Error"}


def test_access_token_list_reads_odd_values_as_kaminari_does(world: World) -> None:
    """Nothing declared: no Grape 400; `"x".to_i` is page 1, a non-digit per_page the default,
    a leading integer is read as such."""
    url = f"/projects/{world.project.id}/access_tokens"
    token = world.maintainer_token
    odd = world.sandbox.call("GET", url, token, params={"page": "x", "per_page": "ten"})
    assert odd.status_code == 200
    assert (odd.headers["X-Page"], odd.headers["X-Per-Page"]) == ("1", "20")
    leading = world.sandbox.call("GET", url, token, params={"per_page": "5abc"})
    assert leading.headers["X-Per-Page"] == "5"
