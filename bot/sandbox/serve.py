"""`serve_sandbox`: run the simulator in the foreground until Ctrl-C."""

from __future__ import annotations

import threading

from bot.sandbox.app import GitlabSimulator
from bot.sandbox.demo import DemoInfo, load_demo_data
from bot.sandbox.server import SandboxServer


def serve_sandbox(
    host: str = "127.0.0.1", port: int = 0, *, demo: bool = True, latency_ms: int = 0
) -> None:
    """Start the server, print its URL (and the demo admin token), block until Ctrl-C."""
    sim = GitlabSimulator()
    info = load_demo_data(sim) if demo else None
    if latency_ms > 0:
        sim.faults.latency(latency_ms)
    with SandboxServer(sim, host=host, port=port) as server:
        try:
            _print_banner(server.url, info)
            threading.Event().wait()
        except KeyboardInterrupt:
            # Also when Ctrl-C comes while the banner is still being printed.
            print("Stopping GitLab sandbox.")


def _print_banner(url: str, info: DemoInfo | None) -> None:
    print(f"GitLab sandbox listening on {url}")
    print(f"API base: {url}/api/v4")
    if info is not None:
        # Printing this one secret is the point: it is how you log in to the sandbox.
        print(f"Admin user: {info.admin_username}")
        print(f"Admin token: {info.admin_token}")
        print(f"Web sign-in (OAuth pages): any demo user, password {info.demo_password}")
        print("\nTry tokenbot against it, in another terminal:")
        print(f"  export GITLAB_URL={url} GITLAB_TOKEN={info.admin_token}")
        tops = sorted({path.split("/")[0] for path in info.group_paths})
        print(f"  tokenbot inventory {' '.join(tops)}")
    print("Press Ctrl-C to stop.", flush=True)
