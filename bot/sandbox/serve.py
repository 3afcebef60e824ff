"""`serve_sandbox`: run the simulator in the foreground until Ctrl-C."""

from __future__ import annotations

import signal
import threading

from bot.sandbox.app import GitlabSimulator
from bot.sandbox.demo import DemoInfo, load_demo_data
from bot.sandbox.hook_sender import start_expiry_ticker
from bot.sandbox.seed import add_oauth_application
from bot.sandbox.server import SandboxServer


def serve_sandbox(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    demo: bool = True,
    latency_ms: int = 0,
    tokenbot_url: str | None = None,
) -> None:
    """Start the server, print its URL (and the demo admin token), block until Ctrl-C.

    `tokenbot_url`: also register tokenbot as an OAuth application whose redirect URI is that
    URL + /gitlab/oauth/callback, and print the settings that turn GitLab sign-in on."""
    _stop_on_ctrl_c()
    sim = GitlabSimulator()
    info = load_demo_data(sim) if demo else None
    if latency_ms > 0:
        sim.faults.latency(latency_ms)
    sign_in = _sign_in_app(sim, tokenbot_url) if tokenbot_url else None
    with SandboxServer(sim, host=host, port=port) as server:
        # GitLab's expiry workers, so group hooks registered by `tokenbot webhooks install`
        # receive expiring-token events (docs/webhooks.md).
        stop_hooks = start_expiry_ticker(sim.state)
        try:
            _print_banner(server.url, info)
            if sign_in is not None:
                _print_sign_in(*sign_in)
            # Wake up now and then: a Ctrl-C the kernel hands to a server thread runs only on
            # the main thread, which a wait without a timeout would never let happen.
            idle = threading.Event()
            while not idle.wait(0.5):
                pass
        except KeyboardInterrupt:
            # Also when Ctrl-C comes while the banner is still being printed.
            print("Stopping GitLab sandbox.")
        finally:
            stop_hooks()


def _stop_on_ctrl_c() -> None:
    """Ctrl-C stops it however it was started: a shell starts background jobs with SIGINT
    ignored, and an ignored signal stays ignored across exec, so Python would never raise
    KeyboardInterrupt and the sandbox could only be killed."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.default_int_handler)


def _sign_in_app(sim: GitlabSimulator, tokenbot_url: str) -> tuple[str, str, str]:
    """tokenbot's OAuth application (scope read_user): its client id, secret, public URL."""
    public = tokenbot_url.rstrip("/")
    app, secret = add_oauth_application(
        sim.state, name="tokenbot", redirect_uris=[public + "/gitlab/oauth/callback"]
    )
    return app.uid, secret, public


def _print_sign_in(client_id: str, secret: str, public: str) -> None:
    # Like the admin token: a sandbox-only secret, printed because it is how you use it.
    print("\nGitLab sign-in for tokenbot (an OAuth application, scope read_user):")
    print(f"  export TOKENBOT_GITLAB_OAUTH_CLIENT_ID={client_id}")
    print(f"  export TOKENBOT_GITLAB_OAUTH_CLIENT_SECRET={secret}")
    print(f"  export TOKENBOT_PUBLIC_URL={public}")


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
