"""The one authorization decision: may this person do this action to this credential?

Every path that creates, rotates, renews, reveals or delivers a secret, or changes who a
tracked credential belongs to, asks `decide` (through `bot.services.gate`) before it touches
GitLab. The rules, in words (docs/security.md has them as a table):

- tokenbot's own credential is managed by tokenbot alone: nobody may act on it from chat.
- Someone tokenbot cannot link to GitLab may do nothing.
- A credential's *level* is the highest of its role, the roles its scopes need and the role
  of the account it acts as (a pipeline trigger runs as its owner). Unknown scopes count as
  Owner: what tokenbot cannot judge, it treats as the most powerful.
- Nobody gets a secret above their own live role, unless approvers who could hold it agreed
  (a rotation above the clicker's role is a request like any other).
- Managing a credential (approving it, claiming it, revoking it) needs Maintainer, or Owner
  for group-wide and Owner-level credentials. Claiming decides who is told; it grants nothing.
- Break-glass (made at once, reviewed after) is for people the break-glass policy names, and
  never gives more than they could have approved: nothing above their own live role (no
  approvers' grant exists for it), and nothing GitLab does not expire. Its review is
  acknowledged by those who could have approved it, never by the requester. A break-glass
  token is never rotated or renewed (that would outlive its day).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.domain.credentials import NamespaceKind
from bot.domain.request_policy import UNDATED
from bot.domain.tokens import AccessLevel, Scope, TokenType

# The least role whose holder could use each scope; a token may not reach above its holder.
SCOPE_ROLES: dict[str, AccessLevel] = {
    Scope.READ_API: AccessLevel.REPORTER,
    Scope.READ_USER: AccessLevel.GUEST,
    Scope.READ_REPOSITORY: AccessLevel.REPORTER,
    Scope.READ_REGISTRY: AccessLevel.REPORTER,
    Scope.READ_PACKAGE_REGISTRY: AccessLevel.REPORTER,
    Scope.API: AccessLevel.DEVELOPER,
    Scope.WRITE_REPOSITORY: AccessLevel.DEVELOPER,
    Scope.WRITE_REGISTRY: AccessLevel.DEVELOPER,
    Scope.WRITE_PACKAGE_REGISTRY: AccessLevel.DEVELOPER,
    Scope.K8S_PROXY: AccessLevel.DEVELOPER,
    Scope.SELF_ROTATE: AccessLevel.GUEST,
    Scope.CREATE_RUNNER: AccessLevel.MAINTAINER,
    Scope.MANAGE_RUNNER: AccessLevel.MAINTAINER,
}
ABOVE_ROLE = "above the requester's role"  # the risk flag of a grant approvers must agree to


class Action(StrEnum):
    REQUEST = "request"  # ask for a new credential
    APPROVE = "approve"  # approve, deny or retry someone's request
    CANCEL = "cancel"  # withdraw one's own request
    ROTATE = "rotate"  # a fresh secret (Rotate, Renew)
    CLAIM = "claim"  # become the one reminders name
    LET_EXPIRE = "let_expire"  # stop the reminders
    REVOKE = "revoke"
    RECEIVE = "receive"  # be handed the secret: provisioning for, and revealing to, someone
    DELIVER = "deliver"  # write a secret into a project's CI/CD variable
    # approve, deny or remove a job token allowlist entry
    GRANT_JOB_TOKEN = "grant_job_token"  # noqa: S105 - an action name, not a secret
    BREAK_GLASS = "break_glass"  # a short-lived credential at once, reviewed afterwards
    ACKNOWLEDGE = "acknowledge"  # acknowledge someone's break-glass review
    KEEP = "keep"  # "keep, it is right": silence a hygiene finding on a tracked credential
    REPLACE = "replace"  # "replace with a narrower token": a new request that retires this one


class Outcome(StrEnum):
    ALLOW = "allow"
    APPROVAL = "needs approval"
    DENY = "deny"


@dataclass(frozen=True, slots=True)
class Power:
    """What a credential can do where it lives."""

    token_type: TokenType
    where: NamespaceKind
    role: AccessLevel | None = None
    scopes: tuple[str, ...] = ()
    account_role: AccessLevel | None = None  # the role of the account it acts as, if apart
    own: bool = False  # tokenbot's own credential

    @property
    def level(self) -> AccessLevel:
        levels = [self.role or AccessLevel.GUEST, self.account_role or AccessLevel.GUEST]
        levels += [SCOPE_ROLES.get(s, AccessLevel.OWNER) for s in self.scopes]
        return max(levels)

    @property
    def manager_role(self) -> AccessLevel:
        """Who may approve and manage it: Owners for group-wide or Owner-level ones."""
        group_wide = self.where is NamespaceKind.GROUP
        if group_wide or self.level >= AccessLevel.OWNER:
            return AccessLevel.OWNER
        return AccessLevel.MAINTAINER


@dataclass(frozen=True, slots=True)
class Actor:
    """The person acting, as GitLab sees them now, where the action happens."""

    chat_id: str
    linked: bool  # tokenbot knows their GitLab user
    role: AccessLevel | None  # their live role there (None: not a member)
    admin: bool = False  # TOKENBOT_ADMINS: may silence or revoke, never receive
    approver: bool = False  # the request policy's approvers: may approve anything
    breaks_glass: bool = False  # the break-glass policy names them (TOKENBOT_BREAKGLASS_GROUPS)


@dataclass(frozen=True, slots=True)
class Subject:
    """The credential acted on, and who stands where around it."""

    power: Power
    owner: str | None = None  # the tracked token's owner, or the request's requester
    granted: bool = False  # approvers agreed to hand it above the requester's role
    place: str = ""  # its project or group path, for the reasons given
    break_glass: bool = False  # made by break-glass: it ends soon and is never rotated

    @property
    def on(self) -> str:
        return f"on {self.place}" if self.place else "there"


@dataclass(frozen=True, slots=True)
class Verdict:
    outcome: Outcome
    reason: str = ""
    approver_role: AccessLevel | None = None  # who must approve, when approval is needed

    @property
    def allowed(self) -> bool:
        return self.outcome is Outcome.ALLOW


def decide(action: Action, actor: Actor, subject: Subject) -> Verdict:
    """The verdict for `actor` doing `action` to `subject`; see the module text."""
    power = subject.power
    if power.own:
        return _deny("this is tokenbot's own GitLab token; tokenbot alone rotates it")
    if not actor.linked:
        return _deny("tokenbot does not know who you are in GitLab")
    return _RULES[action](actor, subject)


def _request(actor: Actor, subject: Subject) -> Verdict:
    if not _holds(actor, subject.power):
        return _deny(_above(actor, subject))
    return Verdict(Outcome.APPROVAL, approver_role=subject.power.manager_role)


def _approve(actor: Actor, subject: Subject) -> Verdict:
    if actor.chat_id == subject.owner:
        return _deny("you cannot decide on your own request")
    if actor.approver or _manages(actor, subject.power):
        return Verdict(Outcome.ALLOW)
    role = subject.power.manager_role.label
    return _deny(f"deciding on this request needs {role} or higher {subject.on} in GitLab")


def _cancel(actor: Actor, subject: Subject) -> Verdict:
    if actor.chat_id == subject.owner:
        return Verdict(Outcome.ALLOW)
    return _deny("only the requester can cancel a request")


def _rotate(actor: Actor, subject: Subject) -> Verdict:
    power = subject.power
    if subject.break_glass:
        return _deny(
            "a break-glass token is not rotated or renewed: it ends within a day. Break glass"
            " again, or ask for a token with /token request"
        )
    owner = actor.chat_id == subject.owner and actor.role is not None
    if not (owner or _manages(actor, power) or _manages_place(actor, power)):
        role = _place_role(power).label
        return _deny(f"to rotate it you must own it, or be {role} or higher {subject.on} in GitLab")
    if _holds(actor, power):
        return Verdict(Outcome.ALLOW)
    return Verdict(Outcome.APPROVAL, _above(actor, subject), approver_role=power.manager_role)


def _replace(actor: Actor, subject: Subject) -> Verdict:
    """Rotate's verdict, where the replacement's own approval covers it: a narrower token in
    the same place is approved by that place's managers, so a token needing more senior
    approvers (an Owner-level one in a project) is replaced only by someone who holds it."""
    verdict = _rotate(actor, subject)
    senior = verdict.approver_role
    if verdict.outcome is Outcome.APPROVAL and senior and senior > _place_role(subject.power):
        return _deny(
            f"replacing it would end a token only {senior.label}s manage {subject.on}: ask one"
            " of them, or Rotate it from its reminder (that waits for their approval)"
        )
    return verdict


def _claim(actor: Actor, subject: Subject) -> Verdict:
    if _manages(actor, subject.power) or actor.admin:
        return Verdict(Outcome.ALLOW)
    role = subject.power.manager_role.label
    return _deny(
        f"to claim it you must be {role} or higher {subject.on} in GitLab, or be a tokenbot admin"
    )


def _let_expire(actor: Actor, subject: Subject) -> Verdict:
    if actor.chat_id == subject.owner or actor.admin or _manages(actor, subject.power):
        return Verdict(Outcome.ALLOW)
    return _deny(_to_act(subject))


def _revoke(actor: Actor, subject: Subject) -> Verdict:
    owner = actor.chat_id == subject.owner and _holds(actor, subject.power)
    if owner or actor.admin or _manages(actor, subject.power):
        return Verdict(Outcome.ALLOW)
    return _deny(_to_act(subject))


def _receive(actor: Actor, subject: Subject) -> Verdict:
    if actor.chat_id != subject.owner:
        return _deny("only the person who asked for this secret can receive it")
    if actor.role is None:
        return _deny(f"you are no longer a member of {subject.place or 'it'} in GitLab")
    if _holds(actor, subject.power) or subject.granted:
        return Verdict(Outcome.ALLOW)
    return _deny(_above(actor, subject))


def _deliver(actor: Actor, subject: Subject) -> Verdict:
    if actor.role is not None and actor.role >= AccessLevel.MAINTAINER:
        return Verdict(Outcome.ALLOW)
    return _deny("writing a CI/CD variable needs Maintainer or higher on that project")


def _grant_job_token(actor: Actor, subject: Subject) -> Verdict:
    """GitLab lets Maintainers of the target edit its job token allowlist; so does tokenbot,
    never for the requester (`owner`) and without the approvers' bypass."""
    if actor.chat_id == subject.owner:
        return _deny("you cannot decide on your own request")
    if actor.role is not None and actor.role >= AccessLevel.MAINTAINER:
        return Verdict(Outcome.ALLOW)
    return _deny(f"changing the job token allowlist needs Maintainer or higher {subject.on}")


def _break_glass(actor: Actor, subject: Subject) -> Verdict:
    if not actor.breaks_glass:
        return _deny(
            "break-glass is only for members of the break-glass groups"
            " (TOKENBOT_BREAKGLASS_GROUPS); ask for the token with /token request instead"
        )
    if subject.power.token_type in UNDATED:
        return _deny(
            "GitLab gives this token type no expiry date, so it cannot be a short-lived"
            " break-glass token"
        )
    if not _holds(actor, subject.power):
        return _deny(_above(actor, subject))
    return Verdict(Outcome.ALLOW)


def _holds(actor: Actor, power: Power) -> bool:
    return actor.role is not None and actor.role >= power.level


def _manages(actor: Actor, power: Power) -> bool:
    return actor.role is not None and actor.role >= power.manager_role


def _manages_place(actor: Actor, power: Power) -> bool:
    """A Maintainer of a project may ask to rotate its Owner-level token (Owners approve)."""
    return actor.role is not None and actor.role >= _place_role(power)


def _place_role(power: Power) -> AccessLevel:
    return AccessLevel.OWNER if power.where is NamespaceKind.GROUP else AccessLevel.MAINTAINER


def _above(actor: Actor, subject: Subject) -> str:
    if actor.role is None:
        return f"you are not a member of {subject.place or 'it'} in GitLab"
    power = subject.power
    if power.token_type is TokenType.PIPELINE_TRIGGER_TOKEN and power.account_role:
        return (
            f"pipelines a trigger token starts run as tokenbot's GitLab account, which is"
            f" {power.account_role.label} {subject.on}; you are {actor.role.label}. Create a"
            " trigger token yourself in GitLab (its pipelines run as you), or trigger from"
            " another project's job with CI_JOB_TOKEN"
        )
    return (
        f"you are {actor.role.label} {subject.on}; a token cannot get more than you have"
        f" ({subject.power.level.label} needed)"
    )


def _to_act(subject: Subject) -> str:
    role = subject.power.manager_role.label
    return (
        f"to act on it you must own the token, be {role} or higher {subject.on} in GitLab,"
        " or be a tokenbot admin"
    )


def _deny(reason: str) -> Verdict:
    return Verdict(Outcome.DENY, reason)


_RULES = {
    Action.REQUEST: _request,
    Action.APPROVE: _approve,
    Action.CANCEL: _cancel,
    Action.ROTATE: _rotate,
    Action.CLAIM: _claim,
    Action.LET_EXPIRE: _let_expire,
    Action.REVOKE: _revoke,
    Action.RECEIVE: _receive,
    Action.DELIVER: _deliver,
    Action.GRANT_JOB_TOKEN: _grant_job_token,
    Action.BREAK_GLASS: _break_glass,
    # Acknowledging a review is deciding on the request after the fact: the same people.
    Action.ACKNOWLEDGE: _approve,
    # Silencing a finding is silencing a reminder: whoever may let the token expire.
    Action.KEEP: _let_expire,
    Action.REPLACE: _replace,
}
