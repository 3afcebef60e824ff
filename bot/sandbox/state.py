"""The simulator's in-memory store: users, groups, projects, memberships and tokens."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime

from bot.sandbox.deploy_key_models import DeployKey
from bot.sandbox.hook_models import HookStore
from bot.sandbox.instance import ApplicationSettings, FeatureFlags
from bot.sandbox.messages import bad_request
from bot.sandbox.models import (
    AccessLevel,
    Group,
    Membership,
    Project,
    SourceKind,
    SourceRef,
    User,
    UserType,
)
from bot.sandbox.oauth_models import OAuthRegistry
from bot.sandbox.offering import Offering
from bot.sandbox.passwords import hash_password
from bot.sandbox.token_models import AccessToken, CiVariable, DeployToken, TriggerToken

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class SandboxState:
    """All simulated GitLab data; callers hold `lock` around any read-modify-write."""

    def __init__(self, *, clock: Clock = utc_now, host: str = "gitlab.sandbox.test") -> None:
        self.clock = clock
        self.host = host
        self.lock = threading.RLock()
        self._ids: dict[str, Iterator[int]] = {}
        self.users: dict[int, User] = {}
        self.user_ids_by_username: dict[str, int] = {}
        self.groups: dict[int, Group] = {}
        self.projects: dict[int, Project] = {}
        self.memberships: dict[tuple[SourceRef, int], Membership] = {}
        self.membership_refs_by_user: dict[int, set[SourceRef]] = {}
        self.tokens: dict[int, AccessToken] = {}
        self.token_ids_by_user: dict[int, list[int]] = {}
        self.bot_ids_by_source: dict[SourceRef, list[int]] = {}
        self.token_ids_by_digest: dict[str, int] = {}
        self.deploy_tokens: dict[int, DeployToken] = {}
        self.deploy_token_ids_by_digest: dict[str, int] = {}
        self.triggers: dict[int, TriggerToken] = {}
        self.variables: list[CiVariable] = []
        # Admin-editable (`/application/settings`) and Python-only switches.
        self.settings = ApplicationSettings()
        self.features = FeatureFlags()
        self.oauth = OAuthRegistry()
        self.deploy_keys: dict[int, DeployKey] = {}
        self.offering = Offering()  # GitLab.com or self-managed; Ultimate groups
        self.group_hooks = HookStore()  # group webhooks and what was sent to them

    def now(self) -> datetime:
        return self.clock().astimezone(UTC)

    def today(self) -> date:
        return self.now().date()

    def next_id(self, sequence: str) -> int:
        with self.lock:
            counter = self._ids.setdefault(sequence, itertools.count(1))
            return next(counter)

    def add_user(
        self,
        username: str,
        *,
        name: str | None = None,
        email: str | None = None,
        is_admin: bool = False,
        user_type: UserType = UserType.HUMAN,
        public_email: str | None = None,
        password: str | None = None,
    ) -> User:
        """`password` lets the person sign in on the OAuth pages; it is stored hashed."""
        with self.lock:
            if self.user_by_username(username) is not None:
                raise bad_request("Username has already been taken")
            user = User(
                id=self.next_id("users"),
                username=username,
                name=name or username.replace("_", " ").replace(".", " ").title(),
                email=email or f"{username}@{self.host}",
                created_at=self.now(),
                user_type=user_type,
                is_admin=is_admin,
                public_email=public_email,
                password_hash=None if password is None else hash_password(password),
            )
            self.users[user.id] = user
            self.user_ids_by_username[username.lower()] = user.id
            return user

    def user_by_username(self, username: str) -> User | None:
        user_id = self.user_ids_by_username.get(username.lower())
        return None if user_id is None else self.users.get(user_id)

    def add_group(
        self, path: str, *, name: str | None = None, parent: Group | None = None
    ) -> Group:
        with self.lock:
            full_path = path if parent is None else f"{parent.full_path}/{path}"
            group = Group(
                id=self.next_id("namespaces"),
                name=name or path.replace("-", " ").title(),
                path=path,
                full_path=full_path,
                created_at=self.now(),
                parent_id=None if parent is None else parent.id,
            )
            self.groups[group.id] = group
            return group

    def add_project(
        self, path: str, *, group: Group, name: str | None = None, description: str = ""
    ) -> Project:
        with self.lock:
            project = Project(
                id=self.next_id("projects"),
                name=name or path.replace("-", " ").title(),
                path=path,
                namespace_id=group.id,
                path_with_namespace=f"{group.full_path}/{path}",
                created_at=self.now(),
                description=description,
            )
            self.projects[project.id] = project
            return project

    def add_member(
        self,
        user: User,
        source: Project | Group,
        level: AccessLevel,
        *,
        created_by: User | None = None,
    ) -> Membership:
        with self.lock:
            ref = source_ref(source)
            member = Membership(
                user_id=user.id,
                source=ref,
                access_level=AccessLevel(level),
                created_at=self.now(),
                created_by_id=None if created_by is None else created_by.id,
            )
            self.memberships[(ref, user.id)] = member
            self.membership_refs_by_user.setdefault(user.id, set()).add(ref)
            return member

    def remove_member(self, user_id: int, ref: SourceRef) -> None:
        with self.lock:
            self.memberships.pop((ref, user_id), None)
            self.membership_refs_by_user.get(user_id, set()).discard(ref)

    def group_by_full_path(self, full_path: str) -> Group | None:
        wanted = full_path.lower()
        return next((g for g in self.groups.values() if g.full_path.lower() == wanted), None)

    def project_by_full_path(self, full_path: str) -> Project | None:
        wanted = full_path.lower()
        return next(
            (p for p in self.projects.values() if p.path_with_namespace.lower() == wanted), None
        )

    def ancestors(self, group: Group) -> list[Group]:
        """The group itself first, then its parents up to the top-level group."""
        chain = [group]
        while chain[-1].parent_id is not None:
            chain.append(self.groups[chain[-1].parent_id])
        return chain

    def descendants(self, group: Group) -> list[Group]:
        found: list[Group] = []
        frontier = [group.id]
        while frontier:
            children = [g for g in self.groups.values() if g.parent_id in frontier]
            found.extend(children)
            frontier = [g.id for g in children]
        return found

    def delete_user(self, user_id: int) -> None:
        """Remove a user with their memberships and tokens, as a hard delete does."""
        with self.lock:
            user = self.users.pop(user_id, None)
            if user is not None:
                self.user_ids_by_username.pop(user.username.lower(), None)
            for ref in self.membership_refs_by_user.pop(user_id, set()):
                self.memberships.pop((ref, user_id), None)
            for token_id in self.token_ids_by_user.pop(user_id, []):
                token = self.tokens.pop(token_id)
                self.token_ids_by_digest.pop(token.digest, None)

    def bots_of(self, ref: SourceRef) -> list[User]:
        return [self.users[i] for i in self.bot_ids_by_source.get(ref, [])]

    def tokens_of_users(self, user_ids: set[int]) -> list[AccessToken]:
        ids = sorted(i for u in user_ids for i in self.token_ids_by_user.get(u, []))
        return [self.tokens[i] for i in ids]

    def store_token(self, token: AccessToken) -> None:
        self.tokens[token.id] = token
        self.token_ids_by_digest[token.digest] = token.id
        self.token_ids_by_user.setdefault(token.user_id, []).append(token.id)

    def store_bot(self, user: User, ref: SourceRef) -> None:
        user.bot_source = ref
        self.bot_ids_by_source.setdefault(ref, []).append(user.id)


def source_ref(source: Project | Group) -> SourceRef:
    kind = SourceKind.PROJECT if isinstance(source, Project) else SourceKind.GROUP
    return SourceRef(kind, source.id)
