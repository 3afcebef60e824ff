"""Fault and latency injection, and the request log."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import gitlab
import pytest
import requests

from tests.integration.sandbox.conftest import World


def test_rate_limit_answers_429_with_retry_after_and_plain_text(world: World) -> None:
    world.sandbox.sim.faults.rate_limit(path="*/user", retry_after=1)
    response = world.sandbox.call("GET", "/user", world.developer_token)
    assert response.status_code == 429
    assert response.text == "Retry later\n"
    assert response.headers["Content-Type"].startswith("text/plain")
    assert response.headers["Retry-After"] == "1"
    assert response.headers["RateLimit-Remaining"] == "0"
    assert response.headers["RateLimit-Name"] == "throttle_authenticated_api"
    assert int(response.headers["RateLimit-Reset"]) >= int(time.time())
    assert "RateLimit-ResetTime" in response.headers
    assert world.sandbox.call("GET", "/user", world.developer_token).status_code == 200


def test_python_gitlab_retries_after_429_then_succeeds(world: World) -> None:
    world.sandbox.sim.faults.rate_limit(path="*/access_tokens", count=2, retry_after=0)
    project = world.sandbox.gl(world.maintainer_token).projects.get(world.project.id)
    world.sandbox.sim.requests.clear()
    assert project.access_tokens.list() == []
    statuses = [r.status for r in world.sandbox.sim.requests.entries()]
    assert statuses == [429, 429, 200]


def test_python_gitlab_retries_500_with_retry_transient_errors(world: World) -> None:
    world.sandbox.sim.faults.error(500, path="*/projects/*", count=1)
    gl = world.sandbox.gl(world.developer_token, retry_transient_errors=True)
    assert gl.projects.get(world.project.id).id == world.project.id
    assert world.sandbox.sim.requests.count(status=500) == 1


def test_500_without_retry_raises_with_json_message(world: World) -> None:
    world.sandbox.sim.faults.error(500, count=1)
    with pytest.raises(gitlab.GitlabGetError) as raised:
        world.sandbox.gl(world.developer_token).projects.get(world.project.id)
    assert raised.value.response_code == 500


def test_502_is_an_html_gateway_error(world: World) -> None:
    world.sandbox.sim.faults.error(502, count=1)
    response = world.sandbox.call("GET", "/user", world.developer_token)
    assert response.status_code == 502
    assert response.headers["Content-Type"].startswith("text/html")


def test_dropped_connection_raises_connection_error(world: World) -> None:
    world.sandbox.sim.faults.drop_connection(path="*/user", count=1)
    with pytest.raises(requests.ConnectionError):
        world.sandbox.call("GET", "/user", world.developer_token)
    assert world.sandbox.call("GET", "/user", world.developer_token).status_code == 200


def test_python_gitlab_retries_a_dropped_connection(world: World) -> None:
    world.sandbox.sim.faults.drop_connection(path="*/projects/*", method="GET", count=1)
    gl = world.sandbox.gl(world.developer_token, retry_transient_errors=True)
    assert gl.projects.get(world.project.id).id == world.project.id


def test_rules_target_path_method_and_count(world: World) -> None:
    faults = world.sandbox.sim.faults
    faults.error(500, path="*/access_tokens", method="POST", count=2)
    path = f"/projects/{world.project.id}/access_tokens"
    assert world.sandbox.call("GET", path, world.maintainer_token).status_code == 200
    body = {"name": "x", "scopes": ["api"]}
    statuses = [
        world.sandbox.call("POST", path, world.maintainer_token, json=body).status_code
        for _ in range(3)
    ]
    assert statuses == [500, 500, 201]
    assert faults.rules() == []


def test_fixed_latency_delays_responses(world: World) -> None:
    world.sandbox.sim.faults.latency(80, path="*/user", count=1)
    started = time.perf_counter()
    world.sandbox.call("GET", "/user", world.developer_token)
    assert time.perf_counter() - started >= 0.08


def test_random_latency_stays_within_bounds(world: World) -> None:
    rule = world.sandbox.sim.faults.latency(10, max_ms=30)
    assert (rule.min_ms, rule.max_ms) == (10, 30)
    started = time.perf_counter()
    world.sandbox.call("GET", "/user", world.developer_token)
    assert time.perf_counter() - started >= 0.01


def test_latency_does_not_serialize_concurrent_requests(world: World) -> None:
    world.sandbox.sim.faults.latency(200)
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(
            pool.map(
                lambda _: world.sandbox.call("GET", "/user", world.developer_token).status_code,
                range(10),
            )
        )
    elapsed = time.perf_counter() - started
    assert statuses == [200] * 10
    assert elapsed < 1.0
    assert world.sandbox.sim.requests.peak_in_flight >= 5
    assert world.sandbox.sim.requests.peak_rate(window_s=1.0) >= 10


def test_request_log_never_records_query_strings_or_secrets(world: World) -> None:
    world.sandbox.call("GET", "/user", params={"private_token": world.developer_token})
    entries = world.sandbox.sim.requests.entries()
    assert [(e.method, e.path, e.status) for e in entries] == [("GET", "/api/v4/user", 200)]
    assert all(world.developer_token not in e.path for e in entries)
