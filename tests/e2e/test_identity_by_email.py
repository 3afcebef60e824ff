"""Who is who by e-mail, end to end: `tokenbot run` with no user map, the Slack stand-in
answering `users.info`, and GitLab's rules for finding people by address.

GitLab's user search matches a private (primary) e-mail only for administrators; anyone else
finds a user only by their exact public e-mail (gitlab-org/gitlab app/models/user.rb,
`User.search`: `with_public_email` for everyone, primary and secondary e-mails only with
`use_minimum_char_limit`/admin; docs.gitlab.com/api/users/#list-users). Slack's
`is_email_confirmed` says whether the address was proven; tokenbot trusts only those.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest

from bot.sandbox import GitlabSimulator, add_personal_token
from tests.support.request_world import ALICE, APPROVALS, World, card_in, request_token, start_world
from tests.support.slack_api import SlackPerson

ADDRESS = "alice@acme.example"


@contextmanager
def email_world(data_dir: Path, *, admin_token: bool, public: bool) -> Iterator[World]:
    """Alice's GitLab address is ADDRESS (public in her profile if `public`); the bot's
    GITLAB_TOKEN is an administrator's if `admin_token`, else the usual service account's."""
    env: dict[str, str] = {"TOKENBOT_USER_MAP": ""}

    def setup(sim: GitlabSimulator) -> None:
        alice = sim.state.user_by_username("alice")
        assert alice is not None
        alice.email = ADDRESS
        alice.public_email = ADDRESS if public else None
        if admin_token:
            root = sim.state.add_user("root", is_admin=True)
            _, secret = add_personal_token(
                sim.state, root, scopes=("api",), expires_at=sim.state.today() + timedelta(days=30)
            )
            env["GITLAB_TOKEN"] = secret  # start_world reads extra_env after setup

    with start_world(data_dir, extra_env=env, setup=setup) as world:
        yield world


Check = Callable[[World], None]


def accepted(world: World) -> None:
    response = request_token(world, ALICE)
    assert response.sent, response.errors  # accepted as alice
    assert f"<@{ALICE}>" in str(card_in(world)["blocks"])


def refused(world: World) -> None:
    response = request_token(world, ALICE)
    assert response.errors
    posted = world.slack.calls_to("chat.postMessage")
    assert not [c for c in posted if c.args.get("channel") == APPROVALS]


@pytest.mark.parametrize(
    ("admin_token", "public", "confirmed", "expect"),
    [
        (False, True, True, accepted),  # a public address, confirmed in Slack
        (False, False, True, refused),  # private in GitLab: only an administrator could see it
        (False, True, False, refused),  # not confirmed in Slack: anyone could have typed it
        (True, False, True, accepted),  # an administrator's token finds private addresses
        (True, False, False, refused),  # ...but an unconfirmed Slack address is still not proof
    ],
)
def test_the_e_mail_path(
    tmp_path: Path, admin_token: bool, public: bool, confirmed: bool, expect: Check
) -> None:
    with email_world(tmp_path, admin_token=admin_token, public=public) as world:
        world.slack.people[ALICE] = SlackPerson("Alice", email=ADDRESS, email_confirmed=confirmed)
        expect(world)
