"""The token request form of the terminal: its fields, what each accepts, the draft it makes.

Only the shape of the answers is checked here; the rules (policy, GitLab) are the use case's,
which names the fields to fix (`Problem.field` is a key of `LABELS`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from bot.domain.advice import Recommendation
from bot.domain.credentials import NamespaceKind
from bot.domain.profiles import PROFILES
from bot.domain.request_policy import UNDATED, RequestPolicy
from bot.domain.requests import Delivery, RequestDraft
from bot.domain.target_kinds import types_for_kind
from bot.domain.tokens import AccessLevel, Scope, TokenType
from bot.shell.form_input import FieldError, Option, parse_date, parse_path, pick_many, pick_one

LABELS = {
    "target": "Project or group path",
    "token_type": "Token type",
    "name": "Name",
    "scopes": "Scopes",
    "role": "Role",
    "expires_on": "Expires on",
    "reason": "Reason",
    "delivery": "Delivery",
    "variable_project": "CI/CD variable project",
    "variable_key": "CI/CD variable name",
}
HINTS = {
    "target": "the full path, e.g. acme/web/storefront",
    "name": "what uses the token, e.g. ci-release",
    "scopes": "numbers or names, separated by commas",
    "expires_on": "YYYY-MM-DD, or +30 for 30 days from today",
    "reason": "a sentence on what the token is for; the approvers read it",
    "variable_key": "letters, digits and _, e.g. RELEASE_TOKEN",
}
DELIVERY_LABELS = {
    Delivery.REVEAL: "Show it to me once, here",
    Delivery.CI_VARIABLE: "Put it into a masked, protected CI/CD variable",
}
# Roles belong to the bot user GitLab creates with a project or group access token.
_ROLE_TYPES = frozenset({TokenType.PROJECT_ACCESS_TOKEN, TokenType.GROUP_ACCESS_TOKEN})
_PATHS = frozenset({"target", "variable_project"})
_TEXTS = frozenset({"name", "reason", "variable_key"})


@dataclass
class RequestForm:
    """What has been typed so far; every field starts empty or with a default."""

    today: date
    policy: RequestPolicy  # what the form offers: only the types, scopes and roles it allows
    values: dict[str, str] = field(default_factory=dict)  # target, name, reason, variable_*
    token_type: TokenType | None = None
    scopes: tuple[Scope, ...] = ()
    role: AccessLevel | None = None
    expires_on: date | None = None
    delivery: Delivery = Delivery.REVEAL
    expiry_typed: bool = False  # a date the person typed is kept when the type changes
    target_kind: NamespaceKind | None = None  # what GitLab said the target is, once asked

    def types(self) -> tuple[TokenType, ...]:
        """The types offered: the policy's, those that fit the target once its kind is known."""
        return types_for_kind(self.policy.types, self.target_kind) or self.policy.types

    def place_is(self, kind: NamespaceKind | None) -> None:
        """GitLab said what the target is: a chosen type that cannot live there is dropped
        (and asked again), so the form never holds a project-only type for a group."""
        self.target_kind = kind
        if self.token_type is not None and self.token_type not in self.types():
            self.token_type = None

    def fields(self) -> list[str]:
        """The fields that apply, in the order they are asked."""
        skip = set()
        if self.token_type is not None and not self.policy.scopes_for(self.token_type):
            skip.add("scopes")
        if self.token_type is not None and self.token_type not in _ROLE_TYPES:
            skip.add("role")
        if self.token_type in UNDATED:
            skip.add("expires_on")  # GitLab does not expire it: no date is asked
        if self.delivery is not Delivery.CI_VARIABLE:
            skip |= {"variable_project", "variable_key"}
        return [name for name in LABELS if name not in skip]

    def missing(self) -> list[str]:
        return [name for name in self.fields() if not self.shown(name)]

    def options(self, name: str) -> list[Option] | None:
        """The numbered choices of a choice field; None for a typed field."""
        if name == "token_type":
            return [(t.value, PROFILES[t].title) for t in self.types()]
        if name == "scopes":
            return [(s.value, s.value) for s in self._scope_choices()]
        if name == "role":
            return [(str(int(r)), r.label) for r in self._role_choices()]
        if name == "delivery":
            return [(d.value, label) for d, label in DELIVERY_LABELS.items()]
        return None

    def shown(self, name: str) -> str:
        """The field's value as the person reads it; empty when there is none."""
        if name == "token_type":
            return PROFILES[self.token_type].title if self.token_type else ""
        if name == "scopes":
            return ", ".join(self.scopes)
        if name == "role":
            return self.role.label if self.role is not None else ""
        if name == "expires_on":
            return self.expires_on.isoformat() if self.expires_on else ""
        if name == "delivery":
            return DELIVERY_LABELS[self.delivery]
        return self.values.get(name, "")

    def answer(self, name: str, text: str) -> None:
        """Store a typed answer; Enter keeps the current value; FieldError if it does not fit."""
        if not text.strip():
            if not self.shown(name):
                raise FieldError(f"{LABELS[name]} cannot be left empty")
            return
        if name in _PATHS:
            self.values[name] = parse_path(text)
        elif name in _TEXTS:
            self.values[name] = text.strip()
        elif name == "expires_on":
            self.expires_on = parse_date(text, today=self.today)
            self.expiry_typed = True
        else:
            self._choose(name, text)

    def draft(self) -> RequestDraft:
        """The draft to submit; only called once no field is missing."""
        applies = self.fields()
        dated = "expires_on" in applies
        if self.token_type is None or (dated and self.expires_on is None):
            raise FieldError("the token type and expiry date are needed")
        variable = self.delivery is Delivery.CI_VARIABLE
        return RequestDraft(
            token_type=self.token_type,
            target=self.values.get("target", ""),
            name=self.values.get("name", ""),
            scopes=self.scopes if "scopes" in applies else (),
            access_level=self.role if "role" in applies else None,
            expires_on=self.expires_on if dated else None,
            reason=self.values.get("reason", ""),
            delivery=self.delivery,
            variable_project=self.values.get("variable_project") if variable else None,
            variable_key=self.values.get("variable_key") if variable else None,
        )

    def _choose(self, name: str, text: str) -> None:
        options = self.options(name) or []
        if name == "scopes":
            self.scopes = tuple(Scope(value) for value in pick_many(text, options))
            return
        value = pick_one(text, options)
        if name == "token_type":
            self.choose_type(TokenType(value))
        elif name == "role":
            self.role = AccessLevel(int(value))
        else:
            self.delivery = Delivery(value)

    def choose_type(self, token_type: TokenType) -> None:
        """Keep only the scopes and role the new type may have (the rest would be refused),
        and start from its default lifetime unless a date was typed."""
        self.token_type = token_type
        self.scopes = tuple(s for s in self.scopes if s in self._scope_choices())
        if self.role not in self._role_choices():
            self.role = None
        rule = self.policy.rules.get(token_type)
        if rule is not None and not self.expiry_typed:
            self.expires_on = self.today + timedelta(days=rule.lifetime_default)

    def _scope_choices(self) -> tuple[Scope, ...]:
        if self.token_type is None:
            return ()
        return self.policy.scopes_for(self.token_type)

    def _role_choices(self) -> tuple[AccessLevel, ...]:
        if self.token_type is None:
            types = self.policy.types
            return tuple(
                r for r in AccessLevel if any(r in self.policy.roles_for(t) for t in types)
            )
        return self.policy.roles_for(self.token_type)


def new_form(
    policy: RequestPolicy,
    *,
    today: date,
    lifetime_days: int,
    recommendation: Recommendation | None = None,
) -> RequestForm:
    """An empty form, or one filled from the advisor's recommendation (within policy)."""
    form = RequestForm(today=today, policy=policy)
    form.expires_on = today + timedelta(days=lifetime_days)
    rec = recommendation
    if rec is not None and rec.token_type in policy.types:
        form.choose_type(rec.token_type)
        form.scopes = tuple(s for s in rec.scopes if s in policy.scopes_for(rec.token_type))
        if rec.access_level in policy.roles_for(rec.token_type):
            form.role = rec.access_level
        if rec.lifetime_days:
            longest = policy.rules[rec.token_type].max_lifetime_days
            form.expires_on = today + timedelta(days=min(rec.lifetime_days, longest))
    return form
