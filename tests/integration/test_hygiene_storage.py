"""Token hygiene on a real database (SQLite, or PostgreSQL with TEST_DATABASE_URL): the facts
the findings read, silences, the report and "keep, it is right" through the gate."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.db.unit_of_work import SqlUnitOfWork
from bot.domain.audit import AuditAction
from bot.domain.credentials import Namespace, NamespaceKind, PlaceTokens, TokenRecord
from bot.domain.hygiene import FindingKind, HygieneRules
from bot.domain.hygiene_silences import Silence
from bot.domain.reminders import TrackedStatus
from bot.domain.requests import RequestError
from bot.domain.tokens import AccessLevel, TokenType
from bot.services.gate import BotIdentitySource, Gate
from bot.services.hygiene import HygieneDeps, flagged_credential, hygiene_report, keep_finding
from bot.services.people import NotAllowedError, Person
from tests.fake_gitlab import FakeGitLab

NOW = datetime(2026, 12, 9, 12, 0, tzinfo=UTC)
TODAY = NOW.date()
Uow = Callable[[], SqlUnitOfWork]
ACME = Namespace(NamespaceKind.GROUP, 10, "acme")
WEB = Namespace(NamespaceKind.PROJECT, 11, "acme/web/shop")
OWNER, MAINTAINER, DEVELOPER = Person("U0OWNER", 1), Person("U0MAIN", 2), Person("U0DEV", 3)
RULES = HygieneRules(
    default_lifetime_days={TokenType.PROJECT_ACCESS_TOKEN: 90, TokenType.GROUP_ACCESS_TOKEN: 90},
    max_lifetime_days={TokenType.PROJECT_ACCESS_TOKEN: 365, TokenType.GROUP_ACCESS_TOKEN: 365},
)


def _record(gitlab_id: int, where: Namespace, **changes: object) -> TokenRecord:
    fields: dict[str, object] = {
        "token_type": TokenType.PROJECT_ACCESS_TOKEN
        if where.kind is NamespaceKind.PROJECT
        else TokenType.GROUP_ACCESS_TOKEN,
        "gitlab_id": gitlab_id,
        "name": f"t{gitlab_id}",
        "namespace": where,
        "scopes": ("read_api",),
        "access_level": AccessLevel.REPORTER,
        "expires_on": TODAY + timedelta(days=30),
        "created_at": NOW - timedelta(days=60),
        "last_used_at": NOW - timedelta(days=1),
    }
    fields.update(changes)
    return TokenRecord(**fields)  # type: ignore[arg-type]


RUNS = itertools.count(1)


def _save(uow: Uow, place: PlaceTokens, owners: dict[str, str] | None = None) -> None:
    """One place written as a sync writes it, each time in a run of its own."""
    owned = owners or {}
    with uow() as u:
        run_id, _ = u.inventory.open_run(f"run-{next(RUNS)}", NOW)
        u.inventory.save_place(run_id, place, NOW, owned.get)
        u.commit()


def _deps(uow: Uow, gitlab: FakeGitLab | None = None, **changes: object) -> HygieneDeps:
    gate = None
    if gitlab is not None:
        gate = Gate(gitlab, BotIdentitySource(gitlab.bot_credential), admins={"U0ADMIN"})
    deps = HygieneDeps(uow=uow, clock=lambda: NOW, rules=RULES, gate=gate)
    return replace(deps, **changes)  # type: ignore[arg-type]


def _gitlab() -> FakeGitLab:
    gitlab = FakeGitLab()
    gitlab.places[WEB.path] = WEB
    gitlab.places[ACME.path] = ACME
    gitlab.member(MAINTAINER.gitlab_id, WEB.path, AccessLevel.MAINTAINER)
    gitlab.member(DEVELOPER.gitlab_id, WEB.path, AccessLevel.DEVELOPER)
    gitlab.member(OWNER.gitlab_id, WEB.path, AccessLevel.DEVELOPER)
    return gitlab


def test_facts_carry_the_age_and_the_groups_size(sql_uow: Uow) -> None:
    _save(sql_uow, PlaceTokens(ACME, (_record(1, ACME),), projects=21))
    _save(sql_uow, PlaceTokens(WEB, (_record(2, WEB, created_at=None),)))
    with sql_uow() as uow:
        facts = {f.token.key: f for f in uow.hygiene.facts(today=TODAY)}
    group, project = facts["group_access_token:1"], facts["project_access_token:2"]
    assert group.created_at == NOW - timedelta(days=60)
    assert group.created_at.tzinfo is not None
    assert group.group_projects == 21
    assert (project.created_at, project.group_projects) == (None, None)


def test_a_later_sync_updates_the_groups_size_and_keeps_it_when_not_counted(sql_uow: Uow) -> None:
    _save(sql_uow, PlaceTokens(ACME, (_record(1, ACME),), projects=21))
    _save(sql_uow, PlaceTokens(ACME, (_record(1, ACME),), projects=19))
    _save(sql_uow, PlaceTokens(ACME, (_record(1, ACME),)))
    with sql_uow() as uow:
        (fact,) = uow.hygiene.facts(today=TODAY)
    assert fact.group_projects == 19


def test_only_live_credentials_are_judged(sql_uow: Uow) -> None:
    records = (
        _record(1, WEB),
        _record(2, WEB, revoked=True),
        _record(3, WEB, expires_on=TODAY),  # stopped at 00:00 UTC today
        _record(4, WEB, expires_on=TODAY + timedelta(days=1)),
        _record(5, WEB, expires_on=None),
    )
    _save(sql_uow, PlaceTokens(WEB, records))
    with sql_uow() as uow:
        keys = {f.token.key for f in uow.hygiene.facts(today=TODAY)}
        revoked = uow.hygiene.facts_of("project_access_token:2")
    assert keys == {f"project_access_token:{n}" for n in (1, 4, 5)}
    assert revoked is not None
    assert revoked.token.status is TrackedStatus.REVOKED


def test_facts_of_one_owner(sql_uow: Uow) -> None:
    _save(sql_uow, PlaceTokens(WEB, (_record(1, WEB),)), owners={WEB.path: "U0OWNER"})
    _save(sql_uow, PlaceTokens(ACME, (_record(2, ACME),)))
    with sql_uow() as uow:
        mine = uow.hygiene.facts(today=TODAY, owner="U0OWNER")
        nobody = uow.hygiene.facts(today=TODAY, owner="U0OTHER")
    assert [f.token.key for f in mine] == ["project_access_token:1"]
    assert nobody == []


def test_keeping_twice_replaces_the_silence(sql_uow: Uow) -> None:
    first = Silence("k:1", FindingKind.UNUSED, "first", "U1", NOW, "never")
    with sql_uow() as uow:
        uow.hygiene.keep(first)
        uow.commit()
    with sql_uow() as uow:
        uow.hygiene.keep(replace(first, reason="second", actor="U2"))
        uow.hygiene.keep(replace(first, kind=FindingKind.HIGH_ROLE, basis="40"))
        uow.commit()
    with sql_uow() as uow:
        kept = {s.kind: s for s in uow.hygiene.silences()}
        of_other = uow.hygiene.silences(["k:2"])
    assert kept[FindingKind.UNUSED].reason == "second"
    assert kept[FindingKind.UNUSED].actor == "U2"
    assert kept[FindingKind.UNUSED].at == NOW
    assert set(kept) == {FindingKind.UNUSED, FindingKind.HIGH_ROLE}
    assert of_other == []


def test_the_report_counts_and_ranks_from_the_database(sql_uow: Uow) -> None:
    _save(
        sql_uow,
        PlaceTokens(
            WEB,
            (
                _record(1, WEB, scopes=("api",), access_level=AccessLevel.MAINTAINER),
                _record(2, WEB, last_used_at=None),
                _record(3, WEB),
            ),
        ),
    )
    report = hygiene_report(deps=_deps(sql_uow))
    assert report.total == 3
    assert report.counts[FindingKind.BROAD_SCOPE] == 1
    assert report.counts[FindingKind.UNOWNED] == 3  # nobody claimed them, no creator known
    assert [c.token.gitlab_id for c in report.worst] == [1, 2, 3]
    assert report.expiring == 3


def test_a_teams_report_holds_only_its_routes_credentials(sql_uow: Uow) -> None:
    _save(sql_uow, PlaceTokens(WEB, (_record(1, WEB),)))
    _save(sql_uow, PlaceTokens(ACME, (_record(2, ACME),)))
    routes = {"acme/web": "C0WEB", "acme": "C0ACME"}
    web = hygiene_report(deps=_deps(sql_uow, routes=routes), team="ACME/Web")
    everything = hygiene_report(deps=_deps(sql_uow, routes=routes))
    assert [c.token.key for c in web.worst] == ["project_access_token:1"]
    assert web.worst[0].team == "acme/web"
    assert everything.total == 2


def test_keeping_a_finding_silences_it_until_the_expiry_changes(sql_uow: Uow) -> None:
    long_lived = TODAY + timedelta(days=300)
    _save(
        sql_uow,
        PlaceTokens(WEB, (_record(1, WEB, expires_on=long_lived),)),
        owners={WEB.path: OWNER.chat_id},
    )
    key = "project_access_token:1"
    deps = _deps(sql_uow, _gitlab())
    before = flagged_credential(key, deps=deps)
    assert before is not None
    assert FindingKind.LONG_LIFETIME in {f.kind for f in before.findings}

    keep_finding(key, FindingKind.LONG_LIFETIME, "  the auditors agreed  ", OWNER, deps=deps)

    after = flagged_credential(key, deps=deps)
    assert after is not None
    assert FindingKind.LONG_LIFETIME not in {f.kind for f in after.findings}
    assert hygiene_report(deps=deps).counts[FindingKind.LONG_LIFETIME] == 0
    with sql_uow() as uow:
        (event,) = [e for e in uow.audit.events() if e.action is AuditAction.HYGIENE_KEPT]
    assert (event.request_id, event.actor) == (key, OWNER.chat_id)
    assert event.details["finding"] == "long_lifetime"
    assert event.details["reason"] == "the auditors agreed"

    renewed = TODAY + timedelta(days=200)  # renewed: a new lifetime to judge
    _save(sql_uow, PlaceTokens(WEB, (_record(1, WEB, expires_on=renewed),)))
    again = flagged_credential(key, deps=deps)
    assert again is not None
    assert FindingKind.LONG_LIFETIME in {f.kind for f in again.findings}


def test_who_may_keep_a_finding(sql_uow: Uow) -> None:
    _save(sql_uow, PlaceTokens(WEB, (_record(1, WEB, scopes=("api",)),)))
    key, kind = "project_access_token:1", FindingKind.BROAD_SCOPE
    deps = _deps(sql_uow, _gitlab())
    with pytest.raises(NotAllowedError, match="Maintainer or higher"):
        keep_finding(key, kind, "we need it", DEVELOPER, deps=deps)
    with pytest.raises(NotAllowedError, match="to act on it you must own the token"):
        keep_finding(key, kind, "we need it", Person("U0STRANGER", 99), deps=deps)
    keep_finding(key, kind, "we need it", MAINTAINER, deps=deps)
    keep_finding(key, kind, "admins may too", Person("U0ADMIN", 50), deps=deps)
    with sql_uow() as uow:
        (silence,) = uow.hygiene.silences([key])
    assert (silence.actor, silence.reason) == ("U0ADMIN", "admins may too")


def test_keeping_needs_a_reason_and_a_finding_the_token_has(sql_uow: Uow) -> None:
    _save(sql_uow, PlaceTokens(WEB, (_record(1, WEB),)))
    key = "project_access_token:1"
    deps = _deps(sql_uow, _gitlab())
    with pytest.raises(RequestError, match="a reason is required"):
        keep_finding(key, FindingKind.UNOWNED, "   ", MAINTAINER, deps=deps)
    with pytest.raises(RequestError, match="no longer has the finding 'high_role'"):
        keep_finding(key, FindingKind.HIGH_ROLE, "fine", MAINTAINER, deps=deps)
    with pytest.raises(RequestError, match="no longer tracks"):
        keep_finding("project_access_token:404", FindingKind.UNOWNED, "x", MAINTAINER, deps=deps)
    with pytest.raises(NotAllowedError, match="needs GitLab"):
        keep_finding(key, FindingKind.UNOWNED, "fine", MAINTAINER, deps=_deps(sql_uow))
    with sql_uow() as uow:
        assert uow.hygiene.silences() == []
        assert not [e for e in uow.audit.events() if e.action is AuditAction.HYGIENE_KEPT]


def test_an_unknown_token_has_no_flagged_credential(sql_uow: Uow) -> None:
    assert flagged_credential("project_access_token:404", deps=_deps(sql_uow)) is None


def test_the_group_is_judged_large_from_what_the_sync_counted(sql_uow: Uow) -> None:
    _save(sql_uow, PlaceTokens(ACME, (_record(1, ACME),), projects=RULES.large_group_projects))
    assert hygiene_report(deps=_deps(sql_uow)).counts[FindingKind.LARGE_GROUP] == 0
    _save(sql_uow, PlaceTokens(ACME, (_record(1, ACME),), projects=RULES.large_group_projects + 1))
    assert hygiene_report(deps=_deps(sql_uow)).counts[FindingKind.LARGE_GROUP] == 1


def test_dates_of_the_unused_rule_survive_the_database(sql_uow: Uow) -> None:
    created = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    _save(sql_uow, PlaceTokens(WEB, (_record(1, WEB, created_at=created, last_used_at=None),)))
    report = hygiene_report(deps=_deps(sql_uow))
    assert report.counts[FindingKind.UNUSED] == 1
    with sql_uow() as uow:
        fact = uow.hygiene.facts_of("project_access_token:1")
    assert fact is not None
    assert fact.created_at == created
    assert fact.token.expires_on == date.fromordinal(TODAY.toordinal() + 30)


def test_the_worst_credentials_come_with_their_whole_tokens(sql_uow: Uow) -> None:
    """The bulk read leaves out what no finding reads; the report's own rows have it all."""
    web = replace(WEB, web_url="https://gitlab.example.com/acme/web/shop")
    pat = _record(
        1,
        web,
        token_type=TokenType.PERSONAL_ACCESS_TOKEN,
        scopes=("api",),
        account="alice",
        last_used_ips=("203.0.113.7",),
        user_id=7,
    )
    _save(sql_uow, PlaceTokens(web, (pat,)))
    (worst,) = hygiene_report(deps=_deps(sql_uow)).worst
    assert worst.token.namespace.web_url == "https://gitlab.example.com/acme/web/shop"
    assert (worst.token.account, worst.token.last_used_ips) == ("alice", ("203.0.113.7",))
    with sql_uow() as uow:
        (bulk,) = uow.hygiene.facts(today=TODAY)
        single = uow.hygiene.facts_of(worst.token.key)
    assert single is not None
    assert single.token == worst.token
    assert bulk.token.scopes == worst.token.scopes
    assert bulk.token.last_used_at == worst.token.last_used_at
    assert bulk.creator_known
    assert single.creator_known
