"""Offset pagination: Link and X-* headers, per_page cap, python-gitlab iteration."""

from __future__ import annotations

import requests

from bot.sandbox import add_resource_token
from tests.integration.sandbox.conftest import World


def _seed_tokens(world: World, count: int) -> None:
    for number in range(count):
        add_resource_token(world.sandbox.sim.state, world.project, name=f"t{number:03d}")


def _links(response: requests.Response) -> dict[str, str]:
    return {rel: link["url"] for rel, link in response.links.items()}


def test_python_gitlab_iterates_every_page_lazily(world: World) -> None:
    _seed_tokens(world, 45)
    project = world.sandbox.gl(world.maintainer_token).projects.get(world.project.id)
    world.sandbox.sim.requests.clear()
    tokens = project.access_tokens.list(iterator=True, per_page=10)
    names = [t.name for t in tokens]
    assert names == [f"t{n:03d}" for n in range(45)]
    assert tokens.total == 45
    assert tokens.total_pages == 5
    assert world.sandbox.sim.requests.count(path="*/access_tokens") == 5


def test_middle_page_headers_and_absolute_links(world: World) -> None:
    _seed_tokens(world, 45)
    response = world.sandbox.call(
        "GET",
        f"/projects/{world.project.id}/access_tokens",
        world.maintainer_token,
        params={"page": 2, "per_page": 10, "state": "active"},
    )
    headers = response.headers
    assert (headers["X-Page"], headers["X-Per-Page"]) == ("2", "10")
    assert (headers["X-Next-Page"], headers["X-Prev-Page"]) == ("3", "1")
    assert (headers["X-Total"], headers["X-Total-Pages"]) == ("45", "5")
    links = _links(response)
    base = f"{world.sandbox.api}/projects/{world.project.id}/access_tokens?"
    assert set(links) == {"prev", "next", "first", "last"}
    assert all(url.startswith(base) for url in links.values())
    assert "state=active" in links["next"]
    assert "page=3" in links["next"]
    assert "page=5" in links["last"]
    assert len(response.json()) == 10


def test_last_page_has_no_next(world: World) -> None:
    _seed_tokens(world, 25)
    response = world.sandbox.call(
        "GET",
        f"/projects/{world.project.id}/access_tokens",
        world.maintainer_token,
        params={"page": 2},
    )
    assert len(response.json()) == 5
    assert response.headers["X-Next-Page"] == ""
    assert "next" not in _links(response)
    assert response.headers["X-Per-Page"] == "20"


def test_per_page_is_capped_at_100(world: World) -> None:
    _seed_tokens(world, 120)
    response = world.sandbox.call(
        "GET",
        f"/projects/{world.project.id}/access_tokens",
        world.maintainer_token,
        params={"per_page": 500},
    )
    assert response.headers["X-Per-Page"] == "100"
    assert len(response.json()) == 100
    assert response.headers["X-Total-Pages"] == "2"


def test_page_past_the_end_is_an_empty_list(world: World) -> None:
    response = world.sandbox.call(
        "GET",
        f"/projects/{world.project.id}/access_tokens",
        world.maintainer_token,
        params={"page": 9},
    )
    assert response.status_code == 200
    assert response.json() == []


def test_get_all_collects_every_page(world: World) -> None:
    _seed_tokens(world, 130)
    project = world.sandbox.gl(world.maintainer_token).projects.get(world.project.id)
    assert len(project.access_tokens.list(get_all=True, per_page=100)) == 130
