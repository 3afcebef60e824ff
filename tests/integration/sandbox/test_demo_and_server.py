"""Demo data, the benchmark tree generator and the server's own guarantees."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.sandbox import GitlabSimulator, SandboxServer, generate_tree, load_demo_data


def test_demo_data_is_reachable_with_the_admin_token() -> None:
    sim = GitlabSimulator()
    info = load_demo_data(sim, admin_token="glpat-demo-admin-token")
    assert info.admin_token == "glpat-demo-admin-token"
    with SandboxServer(sim) as server:
        import gitlab

        gl = gitlab.Gitlab(server.url, private_token=info.admin_token)
        gl.auth()
        assert gl.user is not None
        assert gl.user.username == info.admin_username
        paths = {p.path_with_namespace for p in gl.projects.list(get_all=True)}
        assert paths == set(info.project_paths)
        infra = gl.groups.get("acme/platform/infra")
        assert infra.full_path == "acme/platform/infra"


def test_demo_has_expiring_expired_and_revoked_tokens_relative_to_today() -> None:
    fixed = datetime(2026, 7, 1, 12, tzinfo=UTC)
    sim = GitlabSimulator(clock=lambda: fixed)
    load_demo_data(sim)
    tokens = list(sim.state.tokens.values())
    today = fixed.date()
    soon = [
        t for t in tokens if t.expires_at and today < t.expires_at <= today + timedelta(days=30)
    ]
    assert len(soon) >= 4
    assert any(t.expires_at is not None and t.expires_at < today for t in tokens)
    assert any(t.revoked for t in tokens)
    assert sim.state.deploy_tokens
    assert sim.state.triggers
    assert any(u.provisioned_by_group_id for u in sim.state.users.values())


def test_moving_the_clock_forward_expires_demo_tokens() -> None:
    now = [datetime(2026, 7, 1, tzinfo=UTC)]
    sim = GitlabSimulator(clock=lambda: now[0])
    info = load_demo_data(sim)
    with SandboxServer(sim) as server:
        import requests

        url = f"{server.url}/api/v4/user"
        alice = {"PRIVATE-TOKEN": info.user_tokens["alice"]}
        assert requests.get(url, headers=alice, timeout=5).status_code == 200
        now[0] += timedelta(days=91)
        assert requests.get(url, headers=alice, timeout=5).json()["error"] == "invalid_token"


def test_generate_tree_builds_projects_and_tokens() -> None:
    sim = GitlabSimulator(clock=lambda: datetime(2026, 1, 1, tzinfo=UTC))
    info = generate_tree(sim, projects=120, tokens_per_project=2, projects_per_group=50)
    assert len(info.project_ids) == 120
    assert info.token_count == 240
    assert len([g for g in sim.state.groups.values() if g.parent_id is not None]) == 3
    expiries = [t.expires_at for t in sim.state.tokens.values() if t.expires_at]
    assert min(expiries) > date(2026, 1, 1)
    assert max(expiries) <= date(2027, 1, 1)


def test_server_refuses_non_loopback_addresses() -> None:
    with pytest.raises(ValueError, match="loopback"):
        SandboxServer(host="0.0.0.0")  # noqa: S104 - the point is that it is refused
    with pytest.raises(ValueError, match="loopback"):
        SandboxServer(host="::1")


def test_server_url_uses_an_os_assigned_port_and_stops_cleanly() -> None:
    server = SandboxServer().start()
    url = server.url
    assert url.startswith("http://127.0.0.1:")
    assert not url.endswith(":0")
    server.stop()
    with pytest.raises(RuntimeError):
        _ = server.url


def test_serve_sandbox_prints_url_and_admin_token_and_stops_on_ctrl_c() -> None:
    import signal
    import subprocess
    import sys

    import requests

    code = "from bot.sandbox import serve_sandbox; serve_sandbox()"
    process = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, bufsize=1
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(5)]
        url = lines[0].rsplit(" ", 1)[-1].strip()
        token = next(line for line in lines if line.startswith("Admin token:")).split()[-1]
        assert url.startswith("http://127.0.0.1:")
        user = requests.get(f"{url}/api/v4/user", headers={"PRIVATE-TOKEN": token}, timeout=5)
        assert user.json()["is_admin"] is True
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)
    assert process.returncode == 0


def test_demo_people_sign_in_with_the_demo_password_and_some_show_their_email() -> None:
    # The OAuth sign-in page (tests/integration/sandbox/test_oauth_authorize.py) checks these.
    from bot.sandbox.passwords import password_matches

    sim = GitlabSimulator()
    info = load_demo_data(sim)
    alice = sim.state.user_by_username("alice")
    judy = sim.state.user_by_username("judy")
    assert alice is not None
    assert judy is not None
    assert password_matches(info.demo_password, alice.password_hash)
    assert alice.public_email == alice.email
    assert judy.public_email is None
