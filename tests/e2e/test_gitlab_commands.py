"""`tokenbot sandbox gitlab` and `tokenbot inventory`, as a person tries them."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest
import requests

from bot.sandbox import GitlabSimulator, SandboxServer, load_demo_data
from tests.cli_runner import run_tokenbot


@pytest.fixture
def demo() -> Iterator[tuple[str, str]]:
    sim = GitlabSimulator()
    info = load_demo_data(sim)
    with SandboxServer(sim) as server:
        yield server.url, info.admin_token


def test_inventory_lists_the_demo_companys_credentials(demo: tuple[str, str]) -> None:
    url, token = demo
    result = run_tokenbot("inventory", "acme", env={"GITLAB_URL": url, "GITLAB_TOKEN": token})
    assert result.code == 0, result.err
    header, *rows = result.out.splitlines()
    assert header.split()[:3] == ["TYPE", "NAME", "WHERE"]
    kinds = {row.split()[0] for row in rows}
    assert {
        "project_access_token",
        "group_access_token",
        "service_account_pat",
        "deploy_token",
        "pipeline_trigger_token",
    } <= kinds
    assert token not in result.out + result.err


def test_inventory_as_json_lines_uses_the_watched_groups(demo: tuple[str, str]) -> None:
    url, token = demo
    env = {"GITLAB_URL": url, "GITLAB_TOKEN": token, "TOKENBOT_WATCHED_GROUPS": "acme"}
    result = run_tokenbot("inventory", "--json", env=env)
    records = [json.loads(line) for line in result.out.splitlines()]
    assert any(r["state"] == "revoked" for r in records)
    assert any(r["state"] == "expired" for r in records)
    assert all("token" not in r for r in records)


def test_inventory_with_a_bad_credential_is_one_line(demo: tuple[str, str]) -> None:
    url, _ = demo
    result = run_tokenbot(
        "inventory", "acme", env={"GITLAB_URL": url, "GITLAB_TOKEN": "glpat-not-valid"}
    )
    assert result.code == 1
    assert result.err.strip() == (
        "tokenbot: tokenbot's GitLab credential is not accepted by GitLab: replace GITLAB_TOKEN"
        " with a valid service-account token (see docs/getting-started.md)."
    )


def test_inventory_without_gitlab_settings_names_the_missing_one() -> None:
    result = run_tokenbot("inventory", "acme")
    assert result.code == 2
    assert result.err.startswith("tokenbot: GITLAB_URL is not set")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_sandbox_command_serves_gitlab_and_prints_how_to_use_it() -> None:
    port = _free_port()
    child = subprocess.Popen(
        [sys.executable, "-m", "bot", "sandbox", "gitlab", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    try:
        assert child.stdout is not None
        lines = [child.stdout.readline() for _ in range(8)]
        assert lines[0].strip() == f"GitLab sandbox listening on http://127.0.0.1:{port}"
        token = next(line.split()[-1] for line in lines if line.startswith("Admin token:"))
        users = run_tokenbot(
            "inventory",
            "acme/payments",
            env={"GITLAB_URL": f"http://127.0.0.1:{port}", "GITLAB_TOKEN": token},
        )
        assert "checkout-api" in users.out
    finally:
        child.send_signal(signal.SIGINT)
        child.wait(timeout=10)


def test_the_sandbox_refuses_a_non_loopback_address() -> None:
    result = run_tokenbot("sandbox", "gitlab", "--host", "0.0.0.0", "--port", "0")  # noqa: S104
    assert result.code == 2
    assert "loopback" in result.err


def test_the_sandbox_can_register_tokenbot_for_gitlab_sign_in() -> None:
    port = _free_port()
    child = subprocess.Popen(
        [
            *(sys.executable, "-m", "bot", "sandbox", "gitlab", "--port", str(port)),
            *("--tokenbot-url", "http://127.0.0.1:3000/"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    try:
        assert child.stdout is not None
        lines = []
        while not any("TOKENBOT_PUBLIC_URL" in line for line in lines):
            lines.append(child.stdout.readline())
            assert lines[-1], lines
        exports = dict(
            line.split()[-1].split("=", 1) for line in lines if "export TOKENBOT_" in line
        )
        assert exports["TOKENBOT_PUBLIC_URL"] == "http://127.0.0.1:3000"
        base = f"http://127.0.0.1:{port}"
        client = {
            "client_id": exports["TOKENBOT_GITLAB_OAUTH_CLIENT_ID"],
            "client_secret": exports["TOKENBOT_GITLAB_OAUTH_CLIENT_SECRET"],
        }
        redirect = "http://127.0.0.1:3000/gitlab/oauth/callback"
        # The application exists with that secret: a made-up code is refused as a grant,
        # not the client (Doorkeeper: invalid_grant rather than invalid_client).
        answer = requests.post(
            f"{base}/oauth/token",
            data={
                **client,
                "grant_type": "authorization_code",
                "code": "made-up",
                "redirect_uri": redirect,
                "code_verifier": "v" * 43,
            },
            timeout=10,
        )
        assert answer.json()["error"] == "invalid_grant"
        page = requests.get(
            f"{base}/oauth/authorize",
            params={
                "client_id": client["client_id"],
                "redirect_uri": redirect,
                "response_type": "code",
                "scope": "read_user",
                "state": "s",
            },
            timeout=10,
        )
        assert page.status_code == 200
        assert 'id="sign-in"' in page.text
    finally:
        child.send_signal(signal.SIGINT)
        child.wait(timeout=10)


def test_inventory_json_on_the_demo_lists_peoples_pats_and_deploy_keys(
    demo: tuple[str, str],
) -> None:
    url, token = demo  # the demo's admin: GitLab shows it everyone's PATs
    env = {"GITLAB_URL": url, "GITLAB_TOKEN": token}
    result = run_tokenbot("inventory", "--json", "acme", env=env)
    assert result.code == 0, result.err
    records = [json.loads(line) for line in result.out.splitlines()]
    pats = {r["name"]: r for r in records if r["token_type"] == "personal_access_token"}
    laptop = pats["bob-laptop"]
    assert (laptop["account"], laptop["where"], laptop["access_level"]) == ("bob", "acme", 40)
    assert laptop["days_left"] == 6
    assert laptop["last_used_ips"] == ["203.0.113.7"]
    assert pats["carol-old-script"]["last_used_at"] is None
    assert "sandbox-admin" not in pats  # tokenbot's own account is watched on its own
    keys = {r["name"]: r for r in records if r["token_type"] == "deploy_key"}
    assert keys["k8s-deploy"]["where"] == "acme/payments/checkout-api"
    assert keys["k8s-deploy"]["days_left"] == 12
    assert keys["ci-pull"]["expires_on"] is None
    assert token not in result.out + result.err
