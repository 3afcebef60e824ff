"""A world for GitLab sign-in: `tokenbot run` with a non-administrator GITLAB_TOKEN, no user
map, and the simulator as GitLab's OAuth provider (an application whose redirect URI is the
bot's own callback). Alice can sign in on the simulator with DEMO_PASSWORD."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bot.sandbox import GitlabSimulator, SandboxServer
from bot.sandbox.seed import add_oauth_application, set_password
from bot.sandbox.token_store import secret_digest
from bot.slack.link_page import CALLBACK_PATH
from tests.support.acme import seed_acme
from tests.support.bot_process import APP_TOKEN, BOT_TOKEN, start_bot
from tests.support.request_world import APPROVALS, World
from tests.support.slack_api import SlackPerson, SlackRecorder
from tests.support.slack_requests import SlackDriver

DEMO_PASSWORD = "correct-horse-battery"
_HEX64 = re.compile(rb"[0-9a-f]{64}")


@dataclass
class SignInWorld(World):
    public_url: str = ""
    client_id: str = ""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def start_sign_in_world(
    data_dir: Path, *, socket_mode: bool = False, extra_env: dict[str, str] | None = None
) -> Iterator[SignInWorld]:
    sim = GitlabSimulator()
    bot_token = seed_acme(sim)
    for username in ("alice", "dan"):
        user = sim.state.user_by_username(username)
        assert user is not None
        set_password(sim.state, user, DEMO_PASSWORD)
    port = _free_port()
    public_url = f"http://127.0.0.1:{port}"
    app, secret = add_oauth_application(
        sim.state, name="tokenbot", redirect_uris=[public_url + CALLBACK_PATH]
    )
    with SandboxServer(sim) as gitlab, SlackRecorder() as slack:
        slack.people = {
            "U0ALICE": SlackPerson("Alice"),  # no e-mail in Slack: only sign-in can tell
            "U0DAN": SlackPerson("Dan"),
        }
        env = {
            "GITLAB_URL": gitlab.url,
            "GITLAB_TOKEN": bot_token,
            "TOKENBOT_APPROVALS_CHANNEL": APPROVALS,
            "TOKENBOT_SECRET_KEY": "test-only-key-0123456789-abcdefghijklmnop",
            "TOKENBOT_LOG_LEVEL": "DEBUG",
            "TOKENBOT_GITLAB_OAUTH_CLIENT_ID": app.uid,
            "TOKENBOT_GITLAB_OAUTH_CLIENT_SECRET": secret,
            "TOKENBOT_PUBLIC_URL": public_url,
            **(extra_env or {}),
        }
        bot = start_bot(
            slack_api_url=slack.url,
            data_dir=data_dir,
            extra_env=env,
            port=port,
            app_token=APP_TOKEN if socket_mode else None,
        )
        env |= {"TOKENBOT_DATA_DIR": str(data_dir), "SLACK_API_URL": slack.url}
        env["SLACK_BOT_TOKEN"] = BOT_TOKEN
        try:
            driver = SlackDriver(bot.url, response_url=slack.hooks_url)
            yield SignInWorld(
                sim,
                slack,
                bot,
                driver,
                data_dir,
                gitlab.url,
                env,
                public_url=public_url,
                client_id=app.uid,
            )
        finally:
            bot.stop()


def oauth_tokens_in(world: SignInWorld, blob: bytes) -> list[bytes]:
    """Every OAuth access or refresh token the simulator issued that appears in `blob`."""
    registry = world.sim.state.oauth
    known = set(registry.token_ids_by_digest) | set(registry.token_ids_by_refresh_digest)
    return [m for m in _HEX64.findall(blob) if secret_digest(m.decode()) in known]
