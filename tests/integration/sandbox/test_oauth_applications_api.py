"""`/api/v4/applications`: instance OAuth applications, for administrators.

Sources: docs.gitlab.com/api/applications/; GitLab's lib/api/applications.rb
(`authenticated_as_admin!`; `name`, `redirect_uri`, `scopes` required; `confidential` defaults
to true; `Entities::ApplicationWithSecret`),
lib/gitlab/doorkeeper_secret_storing/token/unique_application_token.rb (`gloas-` secrets),
Doorkeeper's `enforce_configured_scopes` and config/locales/en.yml.
"""

from __future__ import annotations

from tests.integration.sandbox.conftest import World

_APP = {"name": "tokenbot", "redirect_uri": "https://tokenbot.test/cb", "scopes": "read_user"}


def test_admin_creates_an_application_and_sees_the_secret_once(world: World) -> None:
    response = world.sandbox.call("POST", "/applications", world.admin_token, json=_APP)
    assert response.status_code == 201
    body = response.json()
    assert body["application_name"] == "tokenbot"
    assert body["callback_url"] == "https://tokenbot.test/cb"
    assert body["confidential"] is True
    assert body["secret"].startswith("gloas-")
    listed = world.sandbox.call("GET", "/applications", world.admin_token).json()
    assert [a["application_id"] for a in listed] == [body["application_id"]]
    assert "secret" not in listed[0]


def test_non_admins_get_403(world: World) -> None:
    response = world.sandbox.call("POST", "/applications", world.owner_token, json=_APP)
    assert (response.status_code, response.json()) == (403, {"message": "403 Forbidden"})


def test_unknown_scope_and_missing_fields_are_refused(world: World) -> None:
    bad = world.sandbox.call(
        "POST", "/applications", world.admin_token, json={**_APP, "scopes": "read_user godmode"}
    )
    assert bad.json() == {"message": {"scopes": ["doesn't match configured on the server."]}}
    missing = world.sandbox.call("POST", "/applications", world.admin_token, json={"name": "x"})
    assert missing.json() == {"error": "redirect_uri is missing, scopes is missing"}


def test_deleting_an_application_removes_it(world: World) -> None:
    created = world.sandbox.call("POST", "/applications", world.admin_token, json=_APP).json()
    path = f"/applications/{created['id']}"
    assert world.sandbox.call("DELETE", path, world.admin_token).status_code == 204
    assert world.sandbox.call("DELETE", path, world.admin_token).json() == {
        "message": "404 Application Not Found"
    }
    assert world.sandbox.sim.state.oauth.application_by_uid(created["application_id"]) is None
