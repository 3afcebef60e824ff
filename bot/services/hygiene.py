"""Token hygiene use cases: the report (digest, Home tab, `tokenbot report`), keeping a finding.

Findings are computed from what the inventory knows (bot.domain.hygiene); a finding someone
kept stays silent while what it judged is unchanged (bot.domain.hygiene_silences). Keeping a
finding is decided by the one gate (`Action.KEEP`: the token's owner, those who manage it,
tokenbot admins), stored with its reason and audited.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from bot.domain.access import Action, Subject
from bot.domain.audit import AuditAction, AuditEvent
from bot.domain.hygiene import CredentialFacts, FindingKind, HygieneRules, findings
from bot.domain.hygiene_report import (
    DEFAULT_WORST,
    FlaggedCredential,
    HygieneReport,
    build_report,
)
from bot.domain.hygiene_silences import Silence, keep_reason, silence_basis, unsilenced
from bot.domain.requests import RequestError
from bot.domain.routing import route_for
from bot.services.gate import Gate
from bot.services.people import NotAllowedError, Person
from bot.services.ports import Clock, UnitOfWorkFactory


@dataclass(frozen=True, slots=True)
class HygieneDeps:
    uow: UnitOfWorkFactory
    clock: Clock
    rules: HygieneRules = field(default_factory=HygieneRules)
    routes: Mapping[str, str] = field(default_factory=dict)  # reminder routes: path -> channel
    gate: Gate | None = None  # needed to keep a finding; the report asks GitLab nothing


def hygiene_report(
    *,
    deps: HygieneDeps,
    owner: str | None = None,
    team: str | None = None,
    worst: int = DEFAULT_WORST,
) -> HygieneReport:
    """The report over every live tracked credential, or only `owner`'s (a chat user id: the
    Home tab), or only those under one reminder route (`team`, as configured: a team's
    digest). Silenced findings are left out."""
    now = deps.clock()
    with deps.uow() as uow:
        facts = uow.hygiene.facts(today=now.astimezone(UTC).date(), owner=owner)
        kept = _by_key(uow.hygiene.silences())
    flagged = _flagged(facts, kept, deps, now)
    if team is not None:
        wanted = team.strip("/").casefold()
        flagged = (c for c in flagged if c.team is not None and c.team.casefold() == wanted)
    report = build_report(flagged, now=now, worst=worst)
    return replace(report, worst=_complete(report.worst, deps))


def _complete(
    shown: tuple[FlaggedCredential, ...], deps: HygieneDeps
) -> tuple[FlaggedCredential, ...]:
    """The worst credentials with their whole tokens (the bulk read left some fields out)."""
    if not shown:
        return shown
    with deps.uow() as uow:
        whole = uow.hygiene.tokens([c.token.key for c in shown])
    return tuple(replace(c, token=whole.get(c.token.key, c.token)) for c in shown)


def flagged_credential(key: str, *, deps: HygieneDeps) -> FlaggedCredential | None:
    """One tracked credential with its unsilenced findings (maybe none); None if tokenbot
    does not track it."""
    with deps.uow() as uow:
        facts = uow.hygiene.facts_of(key)
        kept = _by_key(uow.hygiene.silences([key]))
    if facts is None:
        return None
    return next(_flagged([facts], kept, deps, deps.clock()))


def keep_finding(
    key: str, kind: FindingKind, reason: str, person: Person, *, deps: HygieneDeps
) -> None:
    """Silence `kind` for this credential, with a reason; NotAllowedError if the gate says
    no, RequestError for a missing or long reason or a finding it no longer has."""
    text = keep_reason(reason)
    if deps.gate is None:
        raise NotAllowedError("keeping a finding needs GitLab, to check your role there")
    with deps.uow() as uow:
        facts = uow.hygiene.facts_of(key)
    if facts is None:
        raise RequestError("tokenbot no longer tracks this token")
    now = deps.clock()
    if kind not in {f.kind for f in findings(facts, deps.rules, now)}:
        raise RequestError(f"this token no longer has the finding '{kind.value}'")
    token = facts.token
    subject = Subject(deps.gate.power_of_tracked(token), owner=token.owner)
    deps.gate.require(Action.KEEP, person, subject, token.namespace.path)
    silence = Silence(key, kind, text, person.chat_id, now, silence_basis(kind, token))
    with deps.uow() as uow:
        uow.hygiene.keep(silence)
        uow.audit.append(
            AuditEvent(
                now,
                AuditAction.HYGIENE_KEPT,
                key,
                person.chat_id,
                {
                    "finding": kind.value,
                    "reason": text,
                    "token": token.name,
                    "where": token.namespace.path,
                },
            )
        )
        uow.commit()


def _flagged(
    facts: list[CredentialFacts],
    kept: Mapping[str, dict[FindingKind, Silence]],
    deps: HygieneDeps,
    now: datetime,
) -> Iterator[FlaggedCredential]:
    rules, routes = deps.rules, deps.routes
    nothing_kept: dict[FindingKind, Silence] = {}
    teams: dict[str, str | None] = {}  # per path: an inventory has few places, many tokens
    for fact in facts:
        token = fact.token
        found = findings(fact, rules, now)
        if kept:
            found = unsilenced(found, token, kept.get(token.key, nothing_kept))
        path = token.namespace.path
        if path not in teams:
            teams[path] = route_for(path, routes) if routes else None
        yield FlaggedCredential(token, found, teams[path])


def _by_key(silences: list[Silence]) -> dict[str, dict[FindingKind, Silence]]:
    kept: dict[str, dict[FindingKind, Silence]] = defaultdict(dict)
    for silence in silences:
        kept[silence.token_key][silence.kind] = silence
    return kept
