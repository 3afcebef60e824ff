"""The one service entry point to the authorization decision (`bot.domain.access.decide`).

Use cases describe what they are about to do (an action, a person, a credential) and `Gate`
fills in what only GitLab knows now: the person's live role there, the role of the account a
credential acts as, and whether it is tokenbot's own credential. It fails closed: when GitLab
cannot be asked, the use case stops with the GitLab error.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace
from typing import Protocol

from bot.domain.access import ABOVE_ROLE, Action, Actor, Outcome, Power, Subject, Verdict, decide
from bot.domain.credentials import BotCredential, Namespace, NamespaceKind
from bot.domain.reminders import TrackedToken
from bot.domain.requests import RequestDraft, TokenRequest
from bot.domain.tokens import AccessLevel, TokenType
from bot.services.gitlab_errors import NotFoundError
from bot.services.people import NotAllowedError, Person

# Credentials that are a user's own token: tokenbot's account may hold one of these.
_USER_TOKENS = frozenset(
    {TokenType.SERVICE_ACCOUNT_PAT, TokenType.BOT_USER_PAT, TokenType.PERSONAL_ACCESS_TOKEN}
)
# GitLab keeps all of these in one table of personal access tokens: their ids never clash.
_PAT_IDS = _USER_TOKENS | {TokenType.PROJECT_ACCESS_TOKEN, TokenType.GROUP_ACCESS_TOKEN}
_KIND = {
    TokenType.PROJECT_ACCESS_TOKEN: NamespaceKind.PROJECT,
    TokenType.PIPELINE_TRIGGER_TOKEN: NamespaceKind.PROJECT,
    TokenType.GROUP_ACCESS_TOKEN: NamespaceKind.GROUP,
    TokenType.SERVICE_ACCOUNT_PAT: NamespaceKind.GROUP,
}


@dataclass(frozen=True, slots=True)
class BotIdentity:
    """Who tokenbot is in GitLab: its token's id and its account's user id."""

    token_id: int
    user_id: int


class BotIdentitySource:
    """tokenbot's identity, read once from `personal_access_tokens/self`, again after rotating."""

    def __init__(self, read: Callable[[], BotCredential]) -> None:
        self._read = read
        self._known: BotIdentity | None = None
        self._lock = threading.Lock()

    def __call__(self) -> BotIdentity:
        with self._lock:
            if self._known is None:
                credential = self._read()
                self._known = BotIdentity(credential.gitlab_id, credential.user_id)
            return self._known

    def forget(self) -> None:
        """The bot rotated its token: its id changed; read it again when next needed."""
        with self._lock:
            self._known = None


class GateGitLab(Protocol):
    """What the gate asks GitLab (the gateway has these)."""

    def namespace(self, path: str) -> Namespace: ...

    def effective_role(self, user_id: int, where: str) -> AccessLevel | None: ...


class _Remembering:
    """GitLab's answers kept for one listing (a Home tab, `/token pending`)."""

    def __init__(self, gitlab: GateGitLab) -> None:
        self._gitlab = gitlab
        self._places: dict[str, Namespace] = {}
        self._roles: dict[tuple[int, str], AccessLevel | None] = {}

    def namespace(self, path: str) -> Namespace:
        if path not in self._places:
            self._places[path] = self._gitlab.namespace(path)
        return self._places[path]

    def effective_role(self, user_id: int, where: str) -> AccessLevel | None:
        key = (user_id, where)
        if key not in self._roles:
            self._roles[key] = self._gitlab.effective_role(user_id, where)
        return self._roles[key]


@dataclass(frozen=True, slots=True)
class Gate:
    gitlab: GateGitLab
    identity: BotIdentitySource
    admins: Collection[str] = ()
    approvers: Collection[str] = field(default_factory=frozenset)
    breakglass_groups: Collection[str] = ()  # TOKENBOT_BREAKGLASS_GROUPS

    def remembering(self) -> Gate:
        """The same gate, asking GitLab each question once: for a listing, not for acting."""
        return replace(self, gitlab=_Remembering(self.gitlab))

    def check(
        self,
        action: Action,
        person: Person | None,
        subject: Subject,
        where: str,
        *,
        chat_id: str = "",
    ) -> Verdict:
        """The verdict for `person` (None: not linked to GitLab) acting at `where`."""
        role = self.gitlab.effective_role(person.gitlab_id, where) if person else None
        return self.check_known(action, person, role, subject, where, chat_id=chat_id)

    def check_known(
        self,
        action: Action,
        person: Person | None,
        role: AccessLevel | None,
        subject: Subject,
        where: str,
        *,
        chat_id: str = "",
    ) -> Verdict:
        """As `check`, with the person's role there already known (asks GitLab nothing)."""
        subject = replace(subject, place=subject.place or where)
        who = person.chat_id if person is not None else chat_id
        actor = Actor(
            who,
            linked=person is not None,
            role=role,
            admin=who in self.admins,
            approver=who in self.approvers,
            breaks_glass=action is Action.BREAK_GLASS and self.breaks_glass(person),
        )
        return decide(action, actor, subject)

    def breaks_glass(self, person: Person | None) -> bool:
        """Is this person a member (directly or through a parent) of a break-glass group?
        Asked of GitLab now, so someone who left the group may no longer."""
        if person is None:
            return False
        for group in self.breakglass_groups:
            try:
                if self.gitlab.effective_role(person.gitlab_id, group) is not None:
                    return True
            except NotFoundError:
                continue  # a group GitLab does not show tokenbot has no members it can see
        return False

    def require(
        self, action: Action, person: Person | None, subject: Subject, where: str
    ) -> Verdict:
        """As `check`, but a denial raises NotAllowedError with its reason."""
        verdict = self.check(action, person, subject, where)
        if verdict.outcome is Outcome.DENY:
            raise NotAllowedError(verdict.reason)
        return verdict

    # --- what a credential can do, from what tokenbot knows and GitLab says now

    def power_of_draft(self, draft: RequestDraft) -> Power:
        """A credential to be created as drafted (a trigger runs as tokenbot's account)."""
        account_role, role = None, draft.access_level
        if draft.token_type is TokenType.PIPELINE_TRIGGER_TOKEN:
            # GitLab lets Maintainers manage triggers; the pipelines run as the bot's account.
            account_role = self._role_or_owner(self.identity().user_id, draft.target)
            role = AccessLevel.MAINTAINER
        kind = _KIND.get(draft.token_type) or self.gitlab.namespace(draft.target).kind
        return Power(
            draft.token_type,
            kind,
            role,
            tuple(draft.scopes),
            account_role,
        )

    def power_of_request(self, request: TokenRequest) -> Power:
        """A request's credential; a renewal's is the existing token's, account and all."""
        power = self.power_of_draft(request.draft)
        renews = request.renews
        if renews is None or request.draft.token_type not in _PAT_IDS:
            return power
        me = self.identity()
        if renews.gitlab_id == me.token_id or renews.user_id == me.user_id:
            return replace(power, own=True)
        if request.draft.token_type in _USER_TOKENS and renews.user_id is not None:
            role = self.gitlab.effective_role(renews.user_id, request.draft.target)
            return replace(power, account_role=role)
        return power

    def power_of_tracked(self, token: TrackedToken) -> Power:
        """A credential in the inventory: its role, scopes and the account behind it."""
        own = is_own(token, self.identity())
        account_role, role = None, token.access_level
        if token.token_type is TokenType.PIPELINE_TRIGGER_TOKEN:
            account_role = self._role_or_owner(token.user_id, token.namespace.path)
            role = AccessLevel.MAINTAINER
        elif token.token_type in _USER_TOKENS and token.user_id is not None and not own:
            account_role = self.gitlab.effective_role(token.user_id, token.namespace.path)
        return Power(
            token.token_type,
            token.namespace.kind,
            role,
            token.scopes,
            account_role,
            own=own,
        )

    def _role_or_owner(self, user_id: int | None, where: str) -> AccessLevel:
        """The account's role there. One tokenbot cannot place counts as Owner: an account
        that is no member yet acts there is an administrator."""
        if user_id is None:
            return AccessLevel.OWNER
        return self.gitlab.effective_role(user_id, where) or AccessLevel.OWNER


def is_own(token: TrackedToken, me: BotIdentity) -> bool:
    """tokenbot's own token, or another token of its account: recognised by identity."""
    if token.key.startswith("own:"):
        return True
    if token.token_type in _PAT_IDS and token.gitlab_id == me.token_id:
        return True
    return token.token_type in _USER_TOKENS and token.user_id == me.user_id


def request_subject(request: TokenRequest, power: Power) -> Subject:
    """A request as the decision sees it: its requester, and whether approvers granted it
    above the requester's role."""
    return Subject(
        power,
        owner=request.requester,
        granted=ABOVE_ROLE in request.risk_flags,
        break_glass=request.break_glass,
    )


def approval_subject(request: TokenRequest, power: Power, approver: Person | None) -> Subject:
    """The request as the decision sees it for `approver`: the requester acting as the same
    GitLab user from another surface (shell, Slack) is still the requester."""
    subject = request_subject(request, power)
    if approver is not None and approver.gitlab_id == request.requester_gitlab_id:
        return replace(subject, owner=approver.chat_id)
    return subject
