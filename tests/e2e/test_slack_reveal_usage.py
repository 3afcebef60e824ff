"""Every reveal says how to use the credential: its exact username, how it calls the API and
commands to paste, while the secret itself stays in the one-time reveal modal.

The simulator answers a deploy token's create with GitLab's `username` field, by default
`gitlab+deploy-token-{id}` (docs.gitlab.com/api/deploy_tokens/, "Create a project deploy
token": the response carries `username`; docs.gitlab.com/user/project/deploy_tokens/: "The
default username format is `gitlab+deploy-token-{n}`").
"""

from __future__ import annotations

import json
import threading
from typing import Any

from tests.support.request_world import (
    ALICE,
    ANSWERS,
    OLGA,
    World,
    card_in,
    dm_with_button,
    open_form,
    request_token,
    send_form,
    world,
)

__all__ = ["world"]  # the fixture


def _shown(view: dict[str, Any]) -> str:
    """Everything a modal's or message's blocks show, as one text."""
    return "\n".join(
        str(part.get("text", {}).get("text", ""))
        for part in view["blocks"]
        if isinstance(part.get("text"), dict)
    ) + "\n".join(str(e.get("text", "")) for b in view["blocks"] for e in b.get("elements", []))


def _approved_and_revealed(world: World, **answers: Any) -> tuple[dict[str, Any], str]:
    """The reveal modal and the secret in it."""
    filled = {k: v for k, v in {**ANSWERS, **answers}.items() if v is not None}
    outcome = send_form(world, ALICE, open_form(world, ALICE), filled)
    assert outcome.sent, outcome.errors
    assert world.driver.click(OLGA, card_in(world), "request.approve").status_code == 200
    dm = dm_with_button(world, ALICE)
    assert world.driver.click(ALICE, dm, "request.reveal").status_code == 200
    view = world.slack.wait_for("views.open", 2)[-1].args["view"]
    secret = next(
        part.strip("`") for part in json.dumps(view).split('"') if part.startswith("```gldt-")
    )
    return view, secret


def test_the_reveal_of_a_deploy_token_shows_its_gitlab_username_and_commands(
    world: World,
) -> None:
    view, secret = _approved_and_revealed(
        world,
        token_type="deploy_token",
        name="image-puller",
        scopes=["read_repository", "read_registry"],
        role=None,  # a deploy token has none
    )
    made = [t for t in world.sim.state.deploy_tokens.values() if t.name.startswith("image-puller")]
    assert len(made) == 1
    username = f"gitlab+deploy-token-{made[0].id}"
    assert made[0].username == username
    shown = _shown(view)
    host = world.gitlab_url.removeprefix("http://")
    assert f"*Username* `{username}`" in shown
    assert f"```git clone https://{username}@{host}/acme/platform/api.git```" in shown
    assert (
        f'```echo "$DEPLOY_TOKEN" | docker login &lt;registry host&gt; -u {username}'
        " --password-stdin```"
    ) in shown
    assert "It cannot call the REST API" in shown
    assert "read -rs DEPLOY_TOKEN" in shown
    carrying = [c for c in world.slack.calls if secret in json.dumps(c.args)]
    assert [c.method for c in carrying] == ["views.open"]  # only the reveal holds the secret


def test_a_ci_variable_delivery_tells_how_a_job_uses_it_with_the_bot_users_name(
    world: World,
) -> None:
    assert request_token(
        world,
        scopes=["read_repository", "read_api"],
        delivery="ci_variable",
        variable_project="acme/platform/api",
        variable_key="RELEASE_NOTES_TOKEN",
    ).sent
    assert world.driver.click(OLGA, card_in(world), "request.approve").status_code == 200
    told = _dm_mentioning(world, "RELEASE_NOTES_TOKEN")
    token = next(t for t in world.sim.state.tokens.values() if t.name.startswith("release-notes"))
    bot_user = world.sim.state.users[token.user_id].username
    assert bot_user.startswith("project_")
    host = world.gitlab_url.removeprefix("http://")
    assert f"*Username* `{bot_user}`" in told
    assert (
        f'```git clone "https://{bot_user}:${{RELEASE_NOTES_TOKEN}}@{host}/acme/platform/api.git"```'
    ) in told
    assert '```curl --header "PRIVATE-TOKEN: $RELEASE_NOTES_TOKEN"' in told
    assert "In the CI/CD jobs of `acme/platform/api`, `$RELEASE_NOTES_TOKEN` holds" in told
    (variable,) = [v for v in world.sim.state.variables if v.key == "RELEASE_NOTES_TOKEN"]
    assert [c for c in world.slack.calls if variable.value in json.dumps(c.args)] == []


def _dm_mentioning(world: World, words: str) -> str:
    """The first DM to alice whose blocks mention `words`, once it is posted."""
    for _ in range(200):
        for call in world.slack.calls_to("chat.postMessage"):
            if call.args.get("channel") == ALICE and words in json.dumps(call.args.get("blocks")):
                return _shown(call.args)
        threading.Event().wait(0.05)
    raise AssertionError(f"no DM to {ALICE} mentioning {words}")
