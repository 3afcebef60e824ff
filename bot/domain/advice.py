"""Turning a leaf and what the token must do into a recommendation a person can act on."""

from __future__ import annotations

from dataclasses import dataclass, replace

from bot.domain.capabilities import RULES, Capability, role_for, scopes_for, supported
from bot.domain.fine_grained import FineGrainedAdvice, fine_grained_advice
from bot.domain.gitlab_features import Availability, Feature
from bot.domain.job_token_policies import reach_advice
from bot.domain.platform import Offering, Platform
from bot.domain.policy import LifetimePolicy, lifetime_for
from bot.domain.profiles import HOW_TO, PROFILES
from bot.domain.token_availability import availability, feature_verdict, needs
from bot.domain.tokens import ROLE_BEARING, AccessLevel, Scope, TokenType
from bot.domain.tree import Leaf, Target


@dataclass(frozen=True, slots=True)
class Recommendation:
    token_type: TokenType
    title: str
    summary: str
    target: Target
    capabilities: tuple[Capability, ...]
    scopes: tuple[Scope, ...]
    access_level: AccessLevel | None
    lifetime_days: int | None
    reasons: tuple[str, ...]
    warnings: tuple[str, ...]
    how_to: tuple[str, ...]
    risk: str
    leaf: str
    seed_node: str | None = None
    first_choice: TokenType | None = None  # set when the platform ruled the first choice out
    fallback: TokenType | None = None  # what to use instead if a requirement turns out unmet
    fine_grained: FineGrainedAdvice | None = None  # the fine-grained form, where one exists


def recommend(
    leaf: Leaf,
    capabilities: frozenset[Capability],
    *,
    platform: Platform,
    policy: LifetimePolicy,
) -> Recommendation:
    """The recommendation for a leaf, adjusted to the configured GitLab tier and offering."""
    base = _build(leaf, leaf.token_type, capabilities, policy, platform)
    verdict = availability(leaf.token_type, platform)
    if verdict is True:
        return base
    alternative = _alternative(leaf, capabilities, platform)
    needed = needs(leaf.token_type, platform)
    if verdict is None:
        alt_title = PROFILES[alternative].title.lower()
        note = f"{needed} If your GitLab does not offer that, use a {alt_title} instead."
        return replace(base, reasons=(*base.reasons, note), fallback=alternative)
    chosen = _build(leaf, alternative, capabilities, policy, platform)
    configured = f"{platform.tier.value.capitalize()} on {platform.offering.label}"
    why = (
        f"The first choice would be a {PROFILES[leaf.token_type].title.lower()}, but"
        f" {needed[0].lower()}{needed[1:]}"
        f" This bot is configured for {configured}, so: {PROFILES[alternative].title.lower()}."
    )
    return replace(chosen, reasons=(why, *chosen.reasons), first_choice=leaf.token_type)


def _build(
    leaf: Leaf,
    token_type: TokenType,
    capabilities: frozenset[Capability],
    policy: LifetimePolicy,
    platform: Platform,
) -> Recommendation:
    profile = PROFILES[token_type]
    caps = frozenset(c for c in capabilities if c in supported(token_type)) or capabilities
    scopes = scopes_for(token_type, caps)
    role = _role(token_type, caps)
    lifetime, lifetime_reason = lifetime_for(token_type, policy)
    verdict = feature_verdict(Feature.FINE_GRAINED_PATS, platform)
    fine_grained = fine_grained_advice(token_type, caps, verdict)
    reasons = [
        *(leaf.reasons if token_type is leaf.token_type else ()),
        f"Rotation: {profile.rotation}. Reach: {profile.reach}."
        f" Expiry visibility: {profile.visibility}.",
        *_privilege_reasons(token_type, caps, scopes, role),
        *_fine_grained_reasons(fine_grained),
        lifetime_reason,
    ]
    warnings = [
        *(leaf.caveats if token_type is leaf.token_type else ()),
        *_platform_warnings(token_type, platform),
    ]
    risk = _risk(profile.risk, scopes, role)
    if Scope.API in scopes:
        warnings.append(
            "The api scope grants full read and write API access: use it only"
            " because a capability above needs it, and keep the lifetime short."
        )
    return Recommendation(
        token_type=token_type,
        title=profile.title,
        summary=leaf.summary if token_type is leaf.token_type else profile.title,
        target=leaf.target,
        capabilities=tuple(sorted(caps)),
        scopes=scopes,
        access_level=role,
        lifetime_days=lifetime,
        reasons=tuple(reasons),
        warnings=tuple(warnings),
        how_to=(
            *HOW_TO[token_type],
            *(fine_grained.steps(token_type) if fine_grained else ()),
            *_job_token_steps(token_type, platform),
        ),
        risk=risk,
        leaf=leaf.key,
        seed_node=leaf.seed_node,
        fine_grained=fine_grained,
    )


def _job_token_steps(token_type: TokenType, platform: Platform) -> tuple[str, ...]:
    if token_type is not TokenType.CI_JOB_TOKEN:
        return ()
    return (reach_advice(feature_verdict(Feature.FINE_GRAINED_JOB_TOKENS, platform)),)


def _fine_grained_reasons(advice: FineGrainedAdvice | None) -> list[str]:
    if advice is None:
        return []
    if advice.blockers:
        return [
            "A fine-grained token will not do here, so use the scopes above: "
            + "; ".join(advice.blockers)
            + "."
        ]
    names = ", ".join(p.name for p in advice.permissions)
    line = (
        f"Better than scopes: a fine-grained token with only {names}, and only on the"
        " projects or groups you select; scopes reach every project the account can."
    )
    if advice.availability is not Availability.YES:
        line += f" Fine-grained personal access tokens {advice.availability_reason}."
    return [line]


def _role(token_type: TokenType, caps: frozenset[Capability]) -> AccessLevel | None:
    if token_type not in ROLE_BEARING or not caps:
        return None
    # Service accounts and bot users are added to each project with a role; only a group
    # access token holds its role on the group itself.
    return role_for(caps, group_target=token_type is TokenType.GROUP_ACCESS_TOKEN)


def _privilege_reasons(
    token_type: TokenType,
    caps: frozenset[Capability],
    scopes: tuple[Scope, ...],
    role: AccessLevel | None,
) -> list[str]:
    if not scopes:
        return []
    lines = [f"Scopes {', '.join(scopes)}: the least that covers what it must do."]
    for cap in sorted(caps):
        subsumed = Scope.API in scopes and not RULES[cap].scopes & set(scopes)
        covered = " (the api scope covers it)" if subsumed else ""
        lines.append(f"{RULES[cap].label}: {RULES[cap].why}{covered}")
    if role is not None:
        lines.append(
            f"Role {role.label}: the least role that allows all of that; scopes never"
            " go beyond the role."
        )
    elif token_type is TokenType.PERSONAL_ACCESS_TOKEN:
        lines.append("It acts with your own role wherever you are a member.")
    return lines


def _platform_warnings(token_type: TokenType, platform: Platform) -> list[str]:
    if token_type is not TokenType.BOT_USER_PAT:
        return []
    com = (
        "On GitLab.com administrators cannot create tokens for other users: the bot user"
        " signs in and creates its own, and it takes a licensed seat."
    )
    if platform.offering is Offering.GITLAB_COM:
        return [com]
    if platform.offering is Offering.UNKNOWN:
        return [com + " On Self-Managed an administrator can create it through the API."]
    return []


def _risk(base: str, scopes: tuple[Scope, ...], role: AccessLevel | None) -> str:
    if Scope.API in scopes or (role is not None and role >= AccessLevel.OWNER):
        return "high"
    return base


def _alternative(leaf: Leaf, caps: frozenset[Capability], platform: Platform) -> TokenType:
    """The best credential the platform certainly offers when the first choice may not be."""
    wanted = caps | leaf.implied
    candidates: list[TokenType] = []
    if wanted and wanted <= set(supported(TokenType.DEPLOY_TOKEN)):
        candidates.append(TokenType.DEPLOY_TOKEN)
    if wanted and wanted <= {Capability.CLONE, Capability.PUSH}:
        candidates.append(TokenType.DEPLOY_KEY)
    if leaf.token_type is TokenType.GROUP_ACCESS_TOKEN:
        candidates.append(TokenType.SERVICE_ACCOUNT_PAT)
    candidates.append(TokenType.BOT_USER_PAT)
    for candidate in candidates:
        if candidate is not leaf.token_type and availability(candidate, platform) is True:
            return candidate
    return TokenType.BOT_USER_PAT
