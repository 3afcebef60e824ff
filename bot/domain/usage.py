"""How to use a credential just made: its exact username, how it calls the API, and commands
ready to paste, none of which holds the secret (they read it from a variable).

From GitLab's documentation:
- deploy tokens (docs.gitlab.com/user/project/deploy_tokens/): a username and token pair for
  HTTP authentication, default username `gitlab+deploy-token-{n}`; Git over HTTPS, the
  container and package registries; "Deploy tokens can't be used with the GitLab public API";
  `echo "$DEPLOY_TOKEN" | docker login -u <username> --password-stdin registry.example.com`.
- project and group access tokens (docs.gitlab.com/user/project/settings/project_access_tokens/):
  Git over HTTP Basic authentication takes the token as password and "any non-blank value" as
  username; REST API with the `PRIVATE-TOKEN` header or `Authorization: Bearer`
  (docs.gitlab.com/api/rest/authentication/).
- pipeline trigger tokens (docs.gitlab.com/ci/triggers/): `POST
  /projects/:id/trigger/pipeline` with the form fields `token` and `ref`.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from bot.domain.credentials import NamespaceKind
from bot.domain.tokens import Scope, TokenType

_REPOSITORY = frozenset({Scope.READ_REPOSITORY, Scope.WRITE_REPOSITORY, Scope.API})
_REGISTRY = frozenset({Scope.READ_REGISTRY, Scope.WRITE_REGISTRY})
_API = frozenset({Scope.API, Scope.READ_API})
_ACCESS_TOKENS = frozenset(
    {TokenType.PROJECT_ACCESS_TOKEN, TokenType.GROUP_ACCESS_TOKEN, TokenType.SERVICE_ACCOUNT_PAT}
)
_OWN_PLACE = {
    TokenType.PROJECT_ACCESS_TOKEN: NamespaceKind.PROJECT,
    TokenType.PIPELINE_TRIGGER_TOKEN: NamespaceKind.PROJECT,
    TokenType.GROUP_ACCESS_TOKEN: NamespaceKind.GROUP,
    TokenType.SERVICE_ACCOUNT_PAT: NamespaceKind.GROUP,
}
DEFAULT_VARIABLE = {
    TokenType.DEPLOY_TOKEN: "DEPLOY_TOKEN",
    TokenType.PIPELINE_TRIGGER_TOKEN: "TRIGGER_TOKEN",
}
UNKNOWN_USERNAME = "<username>"
ANY_USERNAME = "any-name"  # GitLab takes any non-blank username with an access token
REGISTRY_PLACEHOLDER = "<registry host>"


@dataclass(frozen=True, slots=True)
class Credential:
    """What is known of a credential that was just made (never its secret)."""

    token_type: TokenType
    scopes: tuple[str, ...]
    target: str  # the project or group path
    gitlab_url: str  # GITLAB_URL
    account: str = ""  # the username GitLab gave its account, where it named one
    place: NamespaceKind | None = None  # a deploy token's project or group, where known
    variable: str | None = None  # the CI/CD variable that holds it, when delivered there
    name: str = ""  # the request's name (a new service account's username)


@dataclass(frozen=True, slots=True)
class Snippet:
    label: str
    command: str


@dataclass(frozen=True, slots=True)
class Usage:
    username: str  # "" when the credential takes none
    username_note: str
    api: str
    variable: str  # the variable the snippets read the secret from
    in_ci: bool  # the variable is a CI/CD variable (else: set it in your shell first)
    snippets: tuple[Snippet, ...]


def usage(credential: Credential) -> Usage | None:
    """How to use it; None for the kinds tokenbot does not make (nothing to say here)."""
    kind = credential.token_type
    if kind not in _ACCESS_TOKENS | {TokenType.DEPLOY_TOKEN, TokenType.PIPELINE_TRIGGER_TOKEN}:
        return None
    variable = credential.variable or DEFAULT_VARIABLE.get(kind, "GITLAB_TOKEN")
    username, note = _username(credential)
    return Usage(
        username=username,
        username_note=note,
        api=_api(kind),
        variable=variable,
        in_ci=credential.variable is not None,
        snippets=_snippets(credential, username, variable),
    )


def _username(credential: Credential) -> tuple[str, str]:
    kind = credential.token_type
    if kind is TokenType.PIPELINE_TRIGGER_TOKEN:
        return "", "A trigger token takes no username."
    if kind is TokenType.DEPLOY_TOKEN:
        if credential.account:
            return credential.account, "The username GitLab gave this deploy token."
        return UNKNOWN_USERNAME, (
            "GitLab did not name it to tokenbot: a Maintainer sees it in Settings > Repository"
            " > Deploy tokens."
        )
    if kind is TokenType.SERVICE_ACCOUNT_PAT:
        account = credential.account or credential.name
        return account, "The service account's username."
    if credential.account:
        return credential.account, "Its bot user's username (GitLab takes any non-blank name)."
    return ANY_USERNAME, "Any non-blank username: GitLab checks only the token."


def _api(kind: TokenType) -> str:
    if kind is TokenType.DEPLOY_TOKEN:
        return (
            "It cannot call the REST API: only Git over HTTPS, the container registry and the"
            " package registry take it."
        )
    if kind is TokenType.PIPELINE_TRIGGER_TOKEN:
        return "Only the trigger API takes it, as the form field `token`."
    return "Header `PRIVATE-TOKEN: <token>`, or `Authorization: Bearer <token>`."


def _snippets(credential: Credential, username: str, variable: str) -> tuple[Snippet, ...]:
    scopes = set(credential.scopes)
    kind = credential.token_type
    found: list[Snippet] = []
    if kind is TokenType.PIPELINE_TRIGGER_TOKEN:
        return (_trigger(credential, variable),)
    if scopes & _REPOSITORY:
        found.append(_clone(credential, username, variable))
    if scopes & _REGISTRY:
        found.append(_docker(credential, username, variable))
    if kind in _ACCESS_TOKENS and scopes & _API:
        found.append(_curl(credential, variable))
    return tuple(found)


def _clone(credential: Credential, username: str, variable: str) -> Snippet:
    host, path = _host(credential), _repository(credential)
    if credential.variable is not None:  # a CI/CD job: nobody there to type a password
        command = f'git clone "https://{_userinfo(username)}:${{{variable}}}@{host}/{path}.git"'
        return Snippet("Git over HTTPS, in a CI/CD job", command)
    command = f"git clone https://{_userinfo(username)}@{host}/{path}.git"
    return Snippet("Git over HTTPS (the password it asks for is the token)", command)


def _docker(credential: Credential, username: str, variable: str) -> Snippet:
    registry = "registry.gitlab.com" if _host(credential) == "gitlab.com" else REGISTRY_PLACEHOLDER
    command = f'echo "${variable}" | docker login {registry} -u {username} --password-stdin'
    return Snippet("Container registry", command)


def _curl(credential: Credential, variable: str) -> Snippet:
    place = "groups" if _place(credential) is NamespaceKind.GROUP else "projects"
    url = f"{_base(credential)}/api/v4/{place}/{quote(credential.target, safe='')}"
    return Snippet("REST API", f'curl --header "PRIVATE-TOKEN: ${variable}" "{url}"')


def _trigger(credential: Credential, variable: str) -> Snippet:
    project = quote(credential.target, safe="")
    url = f"{_base(credential)}/api/v4/projects/{project}/trigger/pipeline"
    command = f'curl --request POST --form "token=${variable}" --form ref=main "{url}"'
    return Snippet("Start a pipeline on main", command)


def _repository(credential: Credential) -> str:
    """The clone path: the project, or a project of the group (which one is theirs to say)."""
    if _place(credential) is NamespaceKind.GROUP:
        return f"{credential.target}/<project>"
    return credential.target


def _place(credential: Credential) -> NamespaceKind | None:
    return _OWN_PLACE.get(credential.token_type, credential.place)


def _userinfo(username: str) -> str:
    """A username inside a URL: what RFC 3986 does not allow there percent-encoded (GitLab's
    usernames and deploy token names need none: letters, digits, `.+_-`)."""
    return quote(username, safe="-._~+")


def _base(credential: Credential) -> str:
    """GITLAB_URL without a trailing slash or any `user:password@` in it."""
    parts = urlsplit(credential.gitlab_url.strip().rstrip("/"))
    if not parts.scheme or not parts.netloc:
        return "https://gitlab.example.com"
    host = parts.netloc.rpartition("@")[2]
    return f"{parts.scheme}://{host}{parts.path}"


def _host(credential: Credential) -> str:
    """Where Git and the registry are: GITLAB_URL's host (and path, for GitLab under one)."""
    return _base(credential).partition("://")[2]
