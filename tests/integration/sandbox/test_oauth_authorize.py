"""GitLab as an OAuth provider, browser side: sign-in, consent, Authorize and Deny.

Sources: docs.gitlab.com/api/oauth2/ (authorization code flow with PKCE); GitLab's
config/initializers/doorkeeper.rb (`resource_owner_authenticator` sends the browser to sign-in
first), app/controllers/oauth/authorizations_controller.rb and
app/views/doorkeeper/authorizations/new.html.haml (consent wording, Authorize/Deny forms);
Doorkeeper v5.8.2 (GitLab's Gemfile: `doorkeeper ~> 5.8, >= 5.8.1`)
lib/doorkeeper/oauth/pre_authorization.rb, error_response.rb (`NON_REDIRECTABLE_STATES`),
helpers/uri_checker.rb, config/locales/en.yml.
"""

from __future__ import annotations

from urllib.parse import urlencode

from bot.sandbox import add_oauth_application
from tests.integration.sandbox.conftest import PASSWORD, OAuthWorld
from tests.integration.sandbox.oauth_flow import (
    CALLBACK,
    Browser,
    authorize_query,
    code_from,
    parse_page,
    query_of,
)


def _signed_in(world: OAuthWorld, username: str = "alice") -> Browser:
    browser = Browser.open(world.sandbox.url)
    assert browser.sign_in(username, PASSWORD).status_code == 200
    return browser


def test_authorize_sends_a_stranger_to_sign_in_and_back(oauth_world: OAuthWorld) -> None:
    browser = Browser.open(oauth_world.sandbox.url)
    first = browser.consent(authorize_query(oauth_world.app.uid))
    assert first.status_code == 302
    assert first.headers["Location"].startswith("/users/sign_in?redirect_to=%2Foauth%2Fauthorize")
    back = query_of(first.headers["Location"])["redirect_to"]
    signed = browser.sign_in("alice", PASSWORD, redirect_to=back)
    assert signed.status_code == 302
    assert signed.headers["Location"] == back
    assert "HttpOnly" in signed.headers["Set-Cookie"]
    consent = browser.get(back)
    assert consent.status_code == 200
    assert "Authorize tokenbot to use your account?" in consent.text


def test_sign_in_page_has_labelled_fields_with_stable_ids(oauth_world: OAuthWorld) -> None:
    page = Browser.open(oauth_world.sandbox.url).get("/users/sign_in")
    parsed = parse_page(page.text)
    assert {"username", "password", "sign-in"} <= parsed.ids
    assert {"username", "password"} <= set(parsed.labels)


def test_wrong_password_shows_devise_message_and_sets_no_session(oauth_world: OAuthWorld) -> None:
    # Devise's `failure.invalid` with GitLab's `login` key.
    response = Browser.open(oauth_world.sandbox.url).sign_in("alice", "nope")
    assert 'id="sign-in-error"' in response.text
    assert "Invalid login or password." in response.text
    assert "Set-Cookie" not in response.headers


def test_service_accounts_cannot_sign_in(oauth_world: OAuthWorld) -> None:
    # docs.gitlab.com/user/profile/service_accounts/: they "cannot sign in to GitLab through
    # the UI".
    response = Browser.open(oauth_world.sandbox.url).sign_in("sa-robot", PASSWORD)
    assert "Invalid login or password." in response.text


def test_consent_page_names_app_user_scopes_and_has_both_buttons(oauth_world: OAuthWorld) -> None:
    page = _signed_in(oauth_world).consent(authorize_query(oauth_world.app.uid))
    parsed = parse_page(page.text)
    wanted = {"consent-title", "signed-in-as", "scopes", "authorize", "deny", "sign-out"}
    assert wanted <= parsed.ids
    assert "@alice" in page.text
    assert "<strong>read_user</strong>" in page.text
    assert parsed.forms["deny-form"]["_method"] == "delete"


def test_authorize_redirects_with_code_and_state(oauth_world: OAuthWorld) -> None:
    browser = _signed_in(oauth_world)
    answer = browser.decide(browser.consent(authorize_query(oauth_world.app.uid)), allow=True)
    location = answer.headers["Location"]
    assert location.startswith(f"{CALLBACK}?")
    assert query_of(location)["state"] == "st-123"
    assert len(code_from(answer)) == 64  # `default_generator_method :hex`


def test_deny_redirects_with_access_denied_and_state(oauth_world: OAuthWorld) -> None:
    browser = _signed_in(oauth_world)
    answer = browser.decide(browser.consent(authorize_query(oauth_world.app.uid)), allow=False)
    assert answer.status_code == 302
    query = query_of(answer.headers["Location"])
    assert query["error"] == "access_denied"
    assert query["state"] == "st-123"
    assert "code" not in query


def test_unknown_client_is_an_error_page_without_redirect(oauth_world: OAuthWorld) -> None:
    page = _signed_in(oauth_world).consent(authorize_query("no-such-client"))
    assert page.status_code == 401  # invalid_client is never redirected
    assert "Location" not in page.headers
    assert 'data-error="invalid_client"' in page.text


def test_unregistered_redirect_uri_is_an_error_page(oauth_world: OAuthWorld) -> None:
    query = authorize_query(oauth_world.app.uid, redirect_uri="https://evil.test/callback")
    page = _signed_in(oauth_world).consent(query)
    assert page.status_code == 400
    assert "Location" not in page.headers
    assert 'data-error="invalid_redirect_uri"' in page.text


def test_registered_uri_without_query_ignores_the_requests_query(oauth_world: OAuthWorld) -> None:
    # Doorkeeper 5.8 `URIChecker.matches?` clears the query when the registered URI has none.
    query = authorize_query(oauth_world.app.uid, redirect_uri=f"{CALLBACK}?x=1")
    assert _signed_in(oauth_world).consent(query).status_code == 200


def test_loopback_redirect_uri_matches_on_any_port(oauth_world: OAuthWorld) -> None:
    # RFC 8252 §7.3, as `URIChecker.matches?` (loopback IPs only).
    state = oauth_world.sandbox.sim.state
    app, _ = add_oauth_application(
        state, name="cli", redirect_uris=["http://127.0.0.1/cb"], scopes=["read_user"]
    )
    query = authorize_query(app.uid, redirect_uri="http://127.0.0.1:8123/cb")
    assert _signed_in(oauth_world).consent(query).status_code == 200


def test_scope_beyond_the_apps_scopes_goes_back_as_invalid_scope(oauth_world: OAuthWorld) -> None:
    answer = _signed_in(oauth_world).consent(authorize_query(oauth_world.app.uid, scope="api"))
    assert answer.status_code == 302
    query = query_of(answer.headers["Location"])
    assert (query["error"], query["state"]) == ("invalid_scope", "st-123")


def test_missing_scope_uses_default_api_scope_which_the_app_lacks(oauth_world: OAuthWorld) -> None:
    # `Gitlab::Auth::DEFAULT_SCOPES` is [:api]; `build_scopes` keeps those the app allows.
    query = authorize_query(oauth_world.app.uid)
    del query["scope"]
    answer = _signed_in(oauth_world).consent(query)
    assert query_of(answer.headers["Location"])["error"] == "invalid_scope"


def test_unsupported_response_type_and_challenge_method_go_back(oauth_world: OAuthWorld) -> None:
    browser = _signed_in(oauth_world)
    token_flow = browser.consent(authorize_query(oauth_world.app.uid, response_type="token"))
    assert query_of(token_flow.headers["Location"])["error"] == "unsupported_response_type"
    bad_method = browser.consent(authorize_query(oauth_world.app.uid, code_challenge_method="S1"))
    assert query_of(bad_method.headers["Location"])["error"] == "invalid_code_challenge_method"


def test_authorize_post_without_authenticity_token_is_rejected(oauth_world: OAuthWorld) -> None:
    browser = _signed_in(oauth_world)
    forms = parse_page(browser.consent(authorize_query(oauth_world.app.uid)).text).forms
    forged = {k: v for k, v in forms["authorize-form"].items() if k != "authenticity_token"}
    assert browser.post("/oauth/authorize", forged).status_code == 422


def test_sign_in_goes_back_only_to_the_authorize_endpoint(oauth_world: OAuthWorld) -> None:
    answer = Browser.open(oauth_world.sandbox.url).sign_in(
        "alice", PASSWORD, redirect_to="https://evil.test/"
    )
    assert answer.status_code == 200
    assert "Location" not in answer.headers


def test_sign_out_ends_the_session(oauth_world: OAuthWorld) -> None:
    browser = _signed_in(oauth_world)
    page = browser.consent(authorize_query(oauth_world.app.uid))
    out = browser.post("/users/sign_out", parse_page(page.text).forms["sign-out-form"])
    assert out.headers["Location"] == "/users/sign_in"
    again = browser.get(f"/oauth/authorize?{urlencode(authorize_query(oauth_world.app.uid))}")
    assert again.headers["Location"].startswith("/users/sign_in")
