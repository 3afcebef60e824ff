"""`GitLabOAuthClient`: GitLab sign-in (OAuth 2 authorization code with PKCE) for linking.

Endpoints, as GitLab documents them (docs.gitlab.com/api/oauth2/): `GET /oauth/authorize`
(in the person's browser), `POST /oauth/token` (code → access token), `POST /oauth/revoke`,
and `GET /api/v4/user` with `Authorization: Bearer`. The access token is used for that one
read and revoked; it is never logged, stored or raised in an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import requests

from bot.domain.credentials import GitLabUser, Secret
from bot.gitlab import mapping
from bot.services.gitlab_errors import GitLabError, UnavailableError, ValidationError

SCOPE = "read_user"  # enough for GET /user, nothing else


@dataclass(frozen=True, slots=True)
class OAuthApp:
    gitlab_url: str
    client_id: str
    client_secret: Secret
    redirect_uri: str  # TOKENBOT_PUBLIC_URL + /gitlab/oauth/callback
    ca_bundle: str | None = None
    timeout_seconds: float = 10.0


class GitLabOAuthClient:
    def __init__(self, app: OAuthApp) -> None:
        self._app = app
        self._session = requests.Session()
        self._session.verify = app.ca_bundle or True

    def authorize_url(self, *, state: str, challenge: str) -> str:
        query = urlencode(
            {
                "client_id": self._app.client_id,
                "redirect_uri": self._app.redirect_uri,
                "response_type": "code",
                "state": state,
                "scope": SCOPE,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        )
        return f"{self._base}/oauth/authorize?{query}"

    def exchange(self, code: str, verifier: str) -> Secret:
        data = self._post(
            "/oauth/token",
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": self._app.redirect_uri,
                "code_verifier": verifier,
            },
        )
        token = data.get("access_token") if isinstance(data, dict) else None
        if not isinstance(token, str) or not token:
            raise GitLabError("GitLab's answer to the code exchange held no access token")
        return Secret(token)

    def signed_in_user(self, access_token: Secret) -> GitLabUser:
        response = self._send(
            "GET",
            "/api/v4/user",
            headers={"Authorization": f"Bearer {access_token.reveal()}"},
        )
        if response.status_code != 200:
            raise ValidationError(f"GitLab refused to say who signed in ({response.status_code})")
        data = _json(response)
        if not isinstance(data, dict) or "id" not in data:
            raise GitLabError("GitLab's answer to /api/v4/user was not a user")
        return mapping.user(data)

    def revoke(self, access_token: Secret) -> None:
        self._post("/oauth/revoke", {"token": access_token.reveal()})

    @property
    def _base(self) -> str:
        return self._app.gitlab_url.rstrip("/")

    def _post(self, path: str, data: dict[str, str]) -> Any:
        credentials = {
            "client_id": self._app.client_id,
            "client_secret": self._app.client_secret.reveal(),
        }
        response = self._send("POST", path, data={**data, **credentials})
        if response.status_code >= 500:
            raise UnavailableError(f"GitLab answered {response.status_code}; try again")
        body = _json(response)
        if response.status_code >= 400:
            raise ValidationError(_oauth_error(body, response.status_code))
        return body

    def _send(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        try:
            return self._session.request(
                method, f"{self._base}{path}", timeout=self._app.timeout_seconds, **kwargs
            )
        except requests.RequestException as exc:
            # The exception's text can hold the request (with the code); say only what kind.
            raise UnavailableError(
                f"GitLab could not be reached ({exc.__class__.__name__}); try again"
            ) from None


def _json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _oauth_error(body: Any, status: int) -> str:
    """Doorkeeper's `error` and `error_description`, clipped (never the request's values)."""
    if isinstance(body, dict):
        error = str(body.get("error") or "")[:60]
        description = str(body.get("error_description") or "")[:300]
        if error or description:
            return f"{error}: {description}".strip(": ")
    return f"GitLab refused ({status})"
