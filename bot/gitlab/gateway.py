"""`PythonGitlabGateway`: the GitLabGateway port over python-gitlab."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence
from datetime import date
from functools import partial
from typing import Any, TypeVar

import gitlab
import gitlab.exceptions as gle
import requests
from gitlab._backends import PrivateTokenAuth
from gitlab.v4.objects import GroupServiceAccount

from bot.domain import provenance
from bot.domain.credentials import (
    BotCredential,
    GitLabUser,
    IssuedToken,
    Namespace,
    NamespaceKind,
    PlaceTokens,
    Secret,
    TokenRecord,
    TokenRef,
    TokenSpec,
)
from bot.domain.tokens import AccessLevel, TokenType
from bot.gitlab import mapping
from bot.gitlab.client import ClientOptions, build_client
from bot.gitlab.errors import translate
from bot.gitlab.inventory import walk_inventory, walk_places
from bot.services.checks import GitLabAccount, GitLabInstance
from bot.services.gitlab_errors import (
    GitLabError,
    NotFoundError,
    OutcomeUnknownError,
    UnavailableError,
    ValidationError,
)
from bot.services.gitlab_port import ProgressCallback

T = TypeVar("T")
_RESOURCE_TOKENS = {TokenType.PROJECT_ACCESS_TOKEN, TokenType.GROUP_ACCESS_TOKEN}
_PERSONAL = {TokenType.PERSONAL_ACCESS_TOKEN, TokenType.BOT_USER_PAT}


class PythonGitlabGateway:
    def __init__(self, client: gitlab.Gitlab, *, inventory_workers: int = 16) -> None:
        self._gl = client
        self._workers = inventory_workers

    # ---------------------------------------------------------------- plumbing
    def call(self, what: str, operation: Callable[[], T], *, change: str | None = None) -> T:
        """Run one GitLab operation, turning library failures into the project's errors.

        `change` names a write (a create or rotate): if its answer is lost in a way that may
        hide a finished request, the error says so instead of inviting a blind retry.
        """
        try:
            return operation()
        except (gle.GitlabError, requests.RequestException) as exc:
            error = translate(exc, what=what, credential_ok=self._credential_ok)
            if change and isinstance(error, UnavailableError) and _ambiguous(exc):
                raise OutcomeUnknownError(
                    f"GitLab did not confirm {change}; it may have happened."
                ) from None
            raise error from None

    def _credential_ok(self) -> bool:
        """Does GitLab accept the bot's credential at all? (401 means no; outages raise.)"""
        try:
            self._gl.http_get("/user")
        except gle.GitlabAuthenticationError:
            return False
        except (gle.GitlabError, requests.RequestException) as exc:
            raise translate(exc, what="GitLab") from None
        return True

    # ---------------------------------------------------------------- look-ups
    def namespace(self, path: str) -> Namespace:
        for kind, manager in (
            (NamespaceKind.PROJECT, self._gl.projects),
            (NamespaceKind.GROUP, self._gl.groups),
        ):
            try:
                found = self.call(f"{kind.value} '{path}'", partial(manager.get, path))
            except NotFoundError:
                continue
            return mapping.namespace(found.attributes, kind)
        raise NotFoundError(f"project or group '{path}'")

    def effective_role(self, user_id: int, where: str) -> AccessLevel | None:
        ns = self.namespace(where)
        owner = self._owner(ns)
        try:
            member = self.call("membership", lambda: owner.members_all.get(user_id))
        except NotFoundError:
            return None
        return mapping.role(member.attributes.get("access_level"))

    def find_user(
        self, *, username: str | None = None, email: str | None = None
    ) -> GitLabUser | None:
        if username:
            found = self.call("user", lambda: self._gl.users.list(username=username))
            return mapping.user(found[0].attributes) if found else None
        if email:
            found = self.call("user", lambda: self._gl.users.list(search=email))
            users = [mapping.user(u.attributes) for u in found]
            # Only an exact address counts: a fuzzy name match could be someone else.
            exact = [u for u in users if (u.email or "").lower() == email.lower()]
            return exact[0] if len(exact) == 1 else None
        raise ValueError("give a username or an email")

    def bot_credential(self) -> BotCredential:
        attrs = self.call(
            "the bot's own token", lambda: self._gl.personal_access_tokens.get("self")
        ).attributes
        record = mapping.access_token(attrs, TokenType.SERVICE_ACCOUNT_PAT, None)
        return BotCredential(
            record.gitlab_id,
            record.name,
            record.scopes,
            record.expires_on,
            record.user_id or 0,
            record.active,
        )

    def rotate_own_token(self, *, expires_on: date) -> IssuedToken:
        """Rotate the bot's own token; every later request of this gateway uses the new one.

        Never repeated on an unclear answer: GitLab revokes the old token as it rotates, and a
        revoked token sent to a rotate endpoint makes GitLab revoke its successors too.
        """
        data = self.call(
            "the bot's own token",
            lambda: self._gl.personal_access_tokens.rotate(
                "self", expires_at=expires_on.isoformat()
            ),
            change="the rotation of tokenbot's own token (the old one may be revoked now)",
        )
        secret = Secret(str(data["token"]))
        _use_secret(self._gl, secret)  # first: the old token no longer works
        record = mapping.access_token(data, TokenType.SERVICE_ACCOUNT_PAT, None)
        return IssuedToken(record, secret)

    # ---------------------------------------------------------------- create
    def create_token(self, spec: TokenSpec) -> IssuedToken:
        ns = self.namespace(spec.where)
        data = _token_data(spec)
        if spec.token_type in _RESOURCE_TOKENS:
            _expect(
                ns,
                NamespaceKind.PROJECT
                if spec.token_type is TokenType.PROJECT_ACCESS_TOKEN
                else NamespaceKind.GROUP,
                spec.token_type,
            )
            made = self.call(
                spec.where,
                lambda: self._owner(ns).access_tokens.create(data),
                change=f"the new token '{spec.name}'",
            )
            return _issued(mapping.access_token(made.attributes, spec.token_type, ns), made)
        if spec.token_type is TokenType.SERVICE_ACCOUNT_PAT:
            _expect(ns, NamespaceKind.GROUP, spec.token_type)
            account = self._service_account(ns, spec.service_account or spec.name, spec.request_id)
            made = self.call(
                spec.where,
                lambda: account.access_tokens.create(data),
                change=f"the new token '{spec.name}'",
            )
            return _issued(mapping.access_token(made.attributes, spec.token_type, ns), made)
        if spec.token_type is TokenType.DEPLOY_TOKEN:
            data.pop("access_level", None)
            data.pop("description", None)
            if spec.deploy_username:
                data["username"] = spec.deploy_username
            made = self.call(
                spec.where,
                lambda: self._owner(ns).deploytokens.create(data),
                change=f"the new deploy token '{spec.name}'",
            )
            return _issued(mapping.deploy_token(made.attributes, ns), made)
        if spec.token_type is TokenType.PIPELINE_TRIGGER_TOKEN:
            _expect(ns, NamespaceKind.PROJECT, spec.token_type)
            made = self.call(
                spec.where,
                change=f"the new trigger token '{spec.name}'",
                operation=lambda: self._gl.projects.get(ns.id, lazy=True).triggers.create(
                    {"description": spec.name}
                ),
            )
            return _issued(mapping.trigger_token(made.attributes, ns), made)
        raise ValidationError(f"tokenbot cannot create a {spec.token_type.value} through the API")

    def _service_account(
        self, ns: Namespace, username: str, request_id: str | None
    ) -> GroupServiceAccount:
        """A new service account for the token, never someone else's.

        An existing account may hold any role anywhere (it may be tokenbot's own account), and
        the approval was for a token of a fresh account: minting a token for it would hand its
        rights to the requester. The one exception is the account tokenbot made for this very
        request (its name bears the request's mark): an earlier attempt whose answer was lost.
        """
        group = self._gl.groups.get(ns.id, lazy=True)
        existing = self._existing_account(ns, username)
        if existing is not None:
            mark = provenance.request_in_name(str(existing.attributes.get("name") or ""))
            if request_id is not None and mark == request_id:
                return existing
            raise ValidationError(
                f"a service account '{username}' exists already in {ns.path}; tokenbot creates"
                " a new service account for each such token and never issues a token for an"
                " existing one: request it again under another name"
            )
        name = provenance.marked_name(username, request_id) if request_id else username
        created = self.call(
            "service account",
            lambda: group.service_accounts.create({"name": name, "username": username}),
        )
        return GroupServiceAccount(group.service_accounts, created.attributes)

    def _existing_account(self, ns: Namespace, username: str) -> GroupServiceAccount | None:
        group = self._gl.groups.get(ns.id, lazy=True)
        accounts = self.call("service accounts", lambda: group.service_accounts.list(iterator=True))
        for account in accounts:
            if account.attributes.get("username") == username:
                return GroupServiceAccount(group.service_accounts, account.attributes)
        return None

    # ---------------------------------------------------------------- find by mark
    def marked_tokens(self, spec: TokenSpec, request_id: str) -> list[TokenRecord]:
        """Live credentials of `spec`'s type at `spec.where` whose mark names the request."""
        ns = self.namespace(spec.where)
        return [
            record
            for record in self._listed(ns, spec)
            if record.active
            and not record.revoked
            and provenance.request_of(record.token_type, record.name, record.description)
            == request_id
        ]

    def _listed(self, ns: Namespace, spec: TokenSpec) -> list[TokenRecord]:
        kind, owner = spec.token_type, self._owner(ns)
        what = f"tokens of {ns.path}"
        if kind in _RESOURCE_TOKENS:
            listed = self.call(what, lambda: list(owner.access_tokens.list(iterator=True)))
            return [mapping.access_token(t.attributes, kind, ns) for t in listed]
        if kind is TokenType.SERVICE_ACCOUNT_PAT:
            account = self._existing_account(ns, spec.service_account or spec.name)
            if account is None:
                return []
            listed = self.call(what, lambda: list(account.access_tokens.list(iterator=True)))
            return [mapping.access_token(t.attributes, kind, ns) for t in listed]
        if kind is TokenType.DEPLOY_TOKEN:
            listed = self.call(what, lambda: list(owner.deploytokens.list(iterator=True)))
            return [mapping.deploy_token(t.attributes, ns) for t in listed]
        if kind is TokenType.PIPELINE_TRIGGER_TOKEN:
            listed = self.call(what, lambda: list(owner.triggers.list(iterator=True)))
            return [mapping.trigger_token(t.attributes, ns) for t in listed]
        return []

    # ---------------------------------------------------------------- rotate / revoke
    def rotate_token(self, ref: TokenRef, *, expires_on: date | None = None) -> IssuedToken:
        expires = expires_on.isoformat() if expires_on else None
        what = f"{ref.token_type.value} {ref.gitlab_id}"
        if ref.token_type in _RESOURCE_TOKENS | {TokenType.SERVICE_ACCOUNT_PAT} | _PERSONAL:
            manager = self._token_manager(ref)
            data = self.call(
                what,
                lambda: manager.rotate(ref.gitlab_id, expires_at=expires),
                change=f"the rotation of {what} (the old token may be revoked)",
            )
            record = mapping.access_token(data, ref.token_type, ref.namespace)
            return IssuedToken(record, Secret(str(data["token"])))
        if ref.token_type in {TokenType.DEPLOY_TOKEN, TokenType.PIPELINE_TRIGGER_TOKEN}:
            return self._replace(ref, expires_on)
        raise ValidationError(f"tokenbot cannot rotate a {ref.token_type.value}")

    def _replace(self, ref: TokenRef, expires_on: date | None) -> IssuedToken:
        """Deploy and trigger tokens have no rotate API: create a twin, then revoke the old."""
        ns = _need_namespace(ref)
        manager = self._token_manager(ref)
        old = self.call(
            f"{ref.token_type.value} {ref.gitlab_id}", lambda: manager.get(ref.gitlab_id)
        ).attributes
        spec = TokenSpec(
            ref.token_type,
            ns.path,  # a path names one place; a number id could be a project or a group
            str(old.get("name") or old.get("description") or "rotated"),
            tuple(old.get("scopes") or ()),
            expires_on=expires_on or mapping.to_date(old.get("expires_at")),
            deploy_username=_custom_username(old),
        )
        issued = self.create_token(spec)
        self.revoke_token(ref)
        return issued

    def revoke_token(self, ref: TokenRef) -> None:
        manager = self._token_manager(ref)
        self.call(f"{ref.token_type.value} {ref.gitlab_id}", lambda: manager.delete(ref.gitlab_id))

    def _token_manager(self, ref: TokenRef) -> Any:
        if ref.token_type in _PERSONAL:
            return self._gl.personal_access_tokens
        ns = _need_namespace(ref)
        owner = self._owner(ns)
        if ref.token_type in _RESOURCE_TOKENS:
            return owner.access_tokens
        if ref.token_type is TokenType.SERVICE_ACCOUNT_PAT:
            if ref.user_id is None:
                raise ValidationError("a service-account token needs its account's user id")
            account = GroupServiceAccount(owner.service_accounts, {"id": ref.user_id})
            return account.access_tokens
        if ref.token_type is TokenType.DEPLOY_TOKEN:
            return owner.deploytokens
        if ref.token_type is TokenType.PIPELINE_TRIGGER_TOKEN:
            return owner.triggers
        raise ValidationError(f"tokenbot does not manage {ref.token_type.value} tokens")

    # ---------------------------------------------------------------- no-secret paths
    def allow_job_token(self, project: str, *, from_project: str) -> None:
        target, source = self.namespace(project), self.namespace(from_project)
        scope = self.call(project, self._gl.projects.get(target.id, lazy=True).job_token_scope.get)
        listed = self.call(project, lambda: list(scope.allowlist.list(iterator=True)))
        if any(int(p.get_id() or 0) == source.id for p in listed):
            return
        self.call(project, lambda: scope.allowlist.create({"target_project_id": source.id}))

    def set_ci_variable(
        self, project: str, key: str, value: Secret, *, environment_scope: str = "*"
    ) -> None:
        ns = self.namespace(project)
        variables = self._gl.projects.get(ns.id, lazy=True).variables
        data = {
            "value": value.reveal(),
            "masked": True,
            "protected": True,
            "environment_scope": environment_scope,
        }
        # The same key may exist once per environment: address exactly this one.
        scope = {"environment_scope": environment_scope}
        try:
            self.call(key, lambda: variables.get(key, filter=scope))
        except NotFoundError:
            self.call(project, lambda: variables.create({"key": key, **data}))
            return
        self.call(project, lambda: variables.update(key, data, filter=scope))

    # ---------------------------------------------------------------- inventory
    def inventory(
        self, groups: Sequence[str], *, progress: ProgressCallback | None = None
    ) -> Iterator[TokenRecord]:
        return walk_inventory(self, self._gl, groups, workers=self._workers, progress=progress)

    def inventory_places(
        self,
        groups: Sequence[str],
        *,
        skip: Collection[str] = (),
        progress: ProgressCallback | None = None,
    ) -> Iterator[PlaceTokens]:
        return walk_places(
            self, self._gl, groups, workers=self._workers, progress=progress, skip=skip
        )

    def _owner(self, ns: Namespace) -> Any:
        if ns.kind is NamespaceKind.PROJECT:
            return self._gl.projects.get(ns.id, lazy=True)
        return self._gl.groups.get(ns.id, lazy=True)

    # ---------------------------------------------------------------- tokenbot check
    def instance_metadata(self) -> GitLabInstance:
        """`GET /metadata` (any token that may read will do); says whether GITLAB_URL is a
        GitLab at all, and which version."""

        def fetch() -> Any:
            try:
                return self._gl.http_get("/metadata")
            except requests.exceptions.SSLError:
                raise UnavailableError(
                    "GitLab's TLS certificate is not trusted: if it comes from a private CA,"
                    " set TOKENBOT_GITLAB_CA_BUNDLE to that CA's PEM file."
                ) from None

        data = self.call("GitLab's API at GITLAB_URL", fetch)
        if not isinstance(data, dict) or "version" not in data:
            raise GitLabError(
                "the answer to /api/v4/metadata is not GitLab's: GITLAB_URL may point elsewhere"
            )
        enterprise = data.get("enterprise")
        return GitLabInstance(
            version=str(data["version"]),
            revision=str(data.get("revision") or ""),
            enterprise=enterprise if isinstance(enterprise, bool) else None,
        )

    def current_account(self) -> GitLabAccount:
        data = self.call("the bot's GitLab account", lambda: self._gl.http_get("/user"))
        if not isinstance(data, dict):
            raise GitLabError("GitLab's answer to /api/v4/user was not JSON")
        return GitLabAccount(
            int(data["id"]), str(data.get("username") or ""), bool(data.get("is_admin", False))
        )

    def group_role(self, group: str, user_id: int) -> AccessLevel | None:
        found = self.call(
            f"group '{group}'", partial(self._gl.groups.get, group, with_projects=False)
        )
        try:
            member = self.call("membership", lambda: found.members_all.get(user_id))
        except NotFoundError:
            return None
        return mapping.role(member.attributes.get("access_level"))


def _ambiguous(exc: Exception) -> bool:
    """Could GitLab have carried out the request although the client saw a failure?"""
    if isinstance(exc, gle.GitlabError):
        return exc.response_code not in {429, 500}
    return True


def _use_secret(client: gitlab.Gitlab, secret: Secret) -> None:
    """Authenticate every later request of `client` with `secret`.

    python-gitlab sends `client._auth` with each request (the session holds no credential);
    one assignment swaps it, so a request on another thread sends the old token or the new
    one, never none (`_set_auth_info()` would clear it first).
    """
    client.private_token = secret.reveal()
    client._auth = PrivateTokenAuth(secret.reveal())


def _token_data(spec: TokenSpec) -> dict[str, Any]:
    data: dict[str, Any] = {"name": spec.name, "scopes": [str(s) for s in spec.scopes]}
    if spec.access_level is not None:
        data["access_level"] = int(spec.access_level)
    if spec.expires_on is not None:
        data["expires_at"] = spec.expires_on.isoformat()
    if spec.description:
        data["description"] = spec.description
    return data


def _issued(record: TokenRecord, made: Any) -> IssuedToken:
    return IssuedToken(record, Secret(str(made.attributes["token"])))


def _expect(ns: Namespace, kind: NamespaceKind, token_type: TokenType) -> None:
    if ns.kind is not kind:
        raise ValidationError(
            f"a {token_type.value} belongs to a {kind.value}, and '{ns.path}' is a {ns.kind.value}"
        )


def _need_namespace(ref: TokenRef) -> Namespace:
    if ref.namespace is None:
        raise ValidationError(f"{ref.token_type.value} {ref.gitlab_id} has no project or group")
    return ref.namespace


def _custom_username(attrs: dict[str, Any]) -> str | None:
    username = str(attrs.get("username") or "")
    return None if not username or username.startswith("gitlab+deploy-token-") else username


def build_gateway(options: ClientOptions, *, inventory_workers: int = 16) -> PythonGitlabGateway:
    """The gateway over a client built from `options` (URL, token, CA bundle, budget)."""
    client, _budget = build_client(options)
    return PythonGitlabGateway(client, inventory_workers=inventory_workers)
