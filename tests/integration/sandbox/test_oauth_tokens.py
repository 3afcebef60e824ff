"""GitLab as an OAuth provider, server side: code exchange, PKCE, revocation, API use.

Sources: docs.gitlab.com/api/oauth2/; GitLab's config/initializers/doorkeeper.rb
(`access_token_expires_in 7200`, `use_refresh_token`, `hash_token_secrets`,
`access_token_methods :from_access_token_param, :from_bearer_authorization, ...`),
app/controllers/oauth/tokens_controller.rb, app/models/application_setting.rb
(`ropc_without_client_credentials` default true); Doorkeeper v5.8.2 (GitLab's Gemfile:
`doorkeeper ~> 5.8, >= 5.8.1`): lib/doorkeeper/config.rb (`authorization_code_expires_in`
600), lib/doorkeeper/request/authorization_code.rb, oauth/authorization_code_request.rb,
oauth/token_response.rb, oauth/error_response.rb, app/controllers/doorkeeper/
tokens_controller.rb (revoke), config/locales/en.yml.
"""

from __future__ import annotations

import base64
from typing import Any

import requests

from bot.sandbox import add_oauth_application
from tests.integration.sandbox.conftest import PASSWORD, OAuthWorld
from tests.integration.sandbox.oauth_flow import (
    CALLBACK,
    VERIFIER,
    Browser,
    authorize_query,
    code_from,
    link_target,
    query_of,
)


def _code(world: OAuthWorld, **query: str) -> str:
    browser = Browser.open(world.sandbox.url)
    browser.sign_in("alice", PASSWORD)
    consent = browser.consent(authorize_query(world.app.uid, **query))
    return code_from(browser.decide(consent, allow=True))


def _exchange(world: OAuthWorld, code: str, **overrides: str) -> requests.Response:
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": CALLBACK,
        "code_verifier": VERIFIER,
        "client_id": world.app.uid,
        "client_secret": world.client_secret,
        **overrides,
    }
    return requests.post(f"{world.sandbox.url}/oauth/token", data=data, timeout=10)


def _token(world: OAuthWorld) -> str:
    body: dict[str, Any] = _exchange(world, _code(world)).json()
    return str(body["access_token"])


def _api(world: OAuthWorld, path: str, token: str) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"}
    return requests.get(f"{world.sandbox.api}{path}", headers=headers, timeout=10)


def test_code_exchange_answers_like_doorkeeper(oauth_world: OAuthWorld) -> None:
    response = _exchange(oauth_world, _code(oauth_world))
    assert response.status_code == 200
    body = response.json()
    fields = {"access_token", "token_type", "expires_in", "refresh_token", "scope", "created_at"}
    assert set(body) == fields
    assert (body["token_type"], body["expires_in"], body["scope"]) == ("Bearer", 7200, "read_user")
    assert body["created_at"] == int(oauth_world.now[0].timestamp())
    assert response.headers["Cache-Control"] == "no-store, no-cache"


def test_read_user_token_reads_user_and_nothing_else(oauth_world: OAuthWorld) -> None:
    token = _token(oauth_world)
    assert _api(oauth_world, "/user", token).json()["username"] == "alice"
    refused = _api(oauth_world, f"/projects/{oauth_world.project.id}", token)
    assert refused.status_code == 403
    assert refused.json()["error"] == "insufficient_scope"


def test_api_scoped_token_reaches_the_rest_of_the_api(oauth_world: OAuthWorld) -> None:
    state = oauth_world.sandbox.sim.state
    app, secret = add_oauth_application(state, name="ci", redirect_uris=[CALLBACK], scopes=["api"])
    oauth_world.app, oauth_world.client_secret = app, secret
    token = _exchange(oauth_world, _code(oauth_world, scope="api")).json()["access_token"]
    assert _api(oauth_world, f"/projects/{oauth_world.project.id}", token).status_code == 200


def test_access_token_param_is_accepted_but_private_token_header_is_not(
    oauth_world: OAuthWorld,
) -> None:
    token = _token(oauth_world)
    url = f"{oauth_world.sandbox.api}/user"
    assert requests.get(url, params={"access_token": token}, timeout=10).status_code == 200
    assert requests.get(url, headers={"PRIVATE-TOKEN": token}, timeout=10).status_code == 401


def test_second_exchange_is_invalid_grant_and_first_token_keeps_working(
    oauth_world: OAuthWorld,
) -> None:
    # Doorkeeper 5.8 refuses a used code (`accessible?` is false) without revoking the token it
    # issued; revocation on reuse came with 6.0.0.beta2 (#1865), which GitLab does not run.
    code = _code(oauth_world)
    token = _exchange(oauth_world, code).json()["access_token"]
    again = _exchange(oauth_world, code)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"
    assert _api(oauth_world, "/user", token).status_code == 200


def test_code_expires_after_ten_minutes(oauth_world: OAuthWorld) -> None:
    fresh, stale = _code(oauth_world), _code(oauth_world)
    oauth_world.advance(seconds=599)
    assert _exchange(oauth_world, fresh).status_code == 200
    oauth_world.advance(seconds=2)
    assert _exchange(oauth_world, stale).json()["error"] == "invalid_grant"


def test_wrong_verifier_and_missing_verifier(oauth_world: OAuthWorld) -> None:
    wrong = _exchange(oauth_world, _code(oauth_world), code_verifier="x" * 43)
    assert (wrong.status_code, wrong.json()["error"]) == (400, "invalid_grant")
    missing = _exchange(oauth_world, _code(oauth_world), code_verifier="")
    assert missing.json() == {
        "error": "invalid_request",
        "error_description": "Missing required parameter: code_verifier.",
    }


def test_redirect_uri_must_match_the_one_used_to_authorize(oauth_world: OAuthWorld) -> None:
    response = _exchange(oauth_world, _code(oauth_world), redirect_uri="https://tokenbot.test/x")
    assert response.json()["error"] == "invalid_grant"


def test_wrong_client_secret_is_401_invalid_client(oauth_world: OAuthWorld) -> None:
    response = _exchange(oauth_world, _code(oauth_world), client_secret="gloas-wrong")
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert 'error="invalid_client"' in response.headers["WWW-Authenticate"]


def test_client_may_authenticate_with_http_basic(oauth_world: OAuthWorld) -> None:
    basic = base64.b64encode(f"{oauth_world.app.uid}:{oauth_world.client_secret}".encode())
    response = requests.post(
        f"{oauth_world.sandbox.url}/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": _code(oauth_world),
            "redirect_uri": CALLBACK,
            "code_verifier": VERIFIER,
        },
        headers={"Authorization": f"Basic {basic.decode()}"},
        timeout=10,
    )
    assert response.status_code == 200


def test_unsupported_grant_type(oauth_world: OAuthWorld) -> None:
    response = _exchange(oauth_world, "x", grant_type="client_credentials_x")
    assert response.json()["error"] == "unsupported_grant_type"


def test_token_expires_after_two_hours(oauth_world: OAuthWorld) -> None:
    token = _token(oauth_world)
    oauth_world.advance(seconds=7200)
    assert _api(oauth_world, "/user", token).status_code == 200
    oauth_world.advance(seconds=1)
    expired = _api(oauth_world, "/user", token)
    assert expired.status_code == 401
    assert expired.json()["error"] == "invalid_token"


def _revoke(world: OAuthWorld, token: str, **overrides: str) -> requests.Response:
    data = {"token": token, "client_id": world.app.uid, "client_secret": world.client_secret}
    return requests.post(
        f"{world.sandbox.url}/oauth/revoke", data={**data, **overrides}, timeout=10
    )


def test_revoke_answers_empty_json_and_the_token_stops_working(oauth_world: OAuthWorld) -> None:
    token = _token(oauth_world)
    response = _revoke(oauth_world, token)
    assert (response.status_code, response.json()) == (200, {})
    refused = _api(oauth_world, "/user", token)
    assert refused.status_code == 401
    assert refused.json()["error_description"].startswith("Token was revoked")
    assert _revoke(oauth_world, token).json() == {}  # again: still 200


def test_revoking_an_unknown_token_is_200(oauth_world: OAuthWorld) -> None:
    assert _revoke(oauth_world, "not-a-token").status_code == 200


def test_another_client_cannot_revoke_a_confidential_apps_token(oauth_world: OAuthWorld) -> None:
    token = _token(oauth_world)
    other, secret = add_oauth_application(
        oauth_world.sandbox.sim.state, name="other", redirect_uris=[CALLBACK]
    )
    response = _revoke(oauth_world, token, client_id=other.uid, client_secret=secret)
    assert response.status_code == 403
    assert response.json()["error"] == "unauthorized_client"
    assert _api(oauth_world, "/user", token).status_code == 200


def test_confidential_app_with_a_live_token_skips_consent(oauth_world: OAuthWorld) -> None:
    # Oauth::AuthorizationsController#new: `matching_token? && confidential?` authorizes at once
    # and renders doorkeeper/authorizations/redirect.html.haml.
    _token(oauth_world)
    browser = Browser.open(oauth_world.sandbox.url)
    browser.sign_in("alice", PASSWORD)
    page = browser.consent(authorize_query(oauth_world.app.uid))
    assert page.status_code == 200
    target = link_target(page.text)
    assert target.startswith(CALLBACK)
    assert _exchange(oauth_world, query_of(target)["code"]).status_code == 200


def test_pat_self_endpoints_refuse_oauth_tokens(oauth_world: OAuthWorld) -> None:
    # lib/api/personal_access_tokens/self_information.rb
    state = oauth_world.sandbox.sim.state
    app, secret = add_oauth_application(state, name="ci", redirect_uris=[CALLBACK], scopes=["api"])
    oauth_world.app, oauth_world.client_secret = app, secret
    token = _exchange(oauth_world, _code(oauth_world, scope="api")).json()["access_token"]
    response = _api(oauth_world, "/personal_access_tokens/self", token)
    assert response.status_code == 400
    assert response.json() == {
        "message": "400 Bad request - This endpoint requires token type to be a personal "
        "access token"
    }


def test_no_secret_is_kept_or_logged_in_plain_text(oauth_world: OAuthWorld) -> None:
    code = _code(oauth_world)
    body = _exchange(oauth_world, code).json()
    kept = repr(oauth_world.sandbox.sim.state.oauth)
    for secret in (oauth_world.client_secret, code, body["access_token"], body["refresh_token"]):
        assert secret not in kept
    logged = repr(oauth_world.sandbox.sim.requests.entries())
    assert code not in logged
    assert oauth_world.alice.password_hash is not None
    assert PASSWORD not in oauth_world.alice.password_hash
