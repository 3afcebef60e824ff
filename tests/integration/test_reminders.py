"""Inventory sync and reminder sweeps on a real database (SQLite, or PostgreSQL when set).

freezegun moves the days; GitLab is the hand-written fake (its places and listed tokens),
and the chat is a recording poster. What matters here is which post happens on which day.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy.engine import Engine

from bot.bootstrap import utc_now
from bot.db.unit_of_work import SqlUnitOfWork
from bot.domain.credentials import TokenRecord
from bot.domain.reminders import OwnerSource, Reminder, TrackedStatus
from bot.domain.tokens import AccessLevel, TokenType
from bot.services.gate import BotIdentity, is_own
from bot.services.inventory_sync import SyncDeps, SyncError, sync_inventory
from bot.services.own_credential import OwnCredentialReport, OwnCredentialState
from bot.services.own_token_watch import watch_own_token
from bot.services.reminders import PostError, ReminderDeps, sweep
from tests.fake_gitlab import FakeGitLab

START = date(2026, 11, 1)


class RecordingPoster:
    def __init__(self) -> None:
        self.posts: list[tuple[date, str, int, str]] = []  # day, token name, level, channel
        self.digests: list[tuple[str, list[str]]] = []
        self.fail = False
        self._ts = itertools.count(1)
        self._lock = threading.Lock()

    def post(self, reminder: Reminder) -> str:
        if self.fail:
            raise PostError("Slack refused the post (channel_not_found)")
        with self._lock:
            today = datetime.now(UTC).date()
            self.posts.append((today, reminder.token.name, reminder.level, reminder.channel))
            return f"1700000000.{next(self._ts):06d}"

    def post_digest(self, channel: str, reminders: Sequence[Reminder]) -> str:
        with self._lock:
            self.digests.append((channel, [r.token.name for r in reminders]))
            return f"1700000000.{next(self._ts):06d}"


def _record(gitlab_id: int, name: str, expires_on: date, **changes: object) -> TokenRecord:
    return TokenRecord(
        TokenType.PROJECT_ACCESS_TOKEN,
        gitlab_id,
        name,
        None,
        ("read_api",),
        AccessLevel.REPORTER,
        expires_on,
        **changes,  # type: ignore[arg-type]
    )


@pytest.fixture
def uow(db: Engine) -> Callable[[], SqlUnitOfWork]:
    return lambda: SqlUnitOfWork(db)


@pytest.fixture
def gitlab() -> FakeGitLab:
    fake = FakeGitLab()
    fake.group("acme")
    fake.project("acme/api")
    fake.project("acme/web")
    fake.project("other/tool")  # not watched
    return fake


def _sync(gitlab: FakeGitLab, uow: Callable[[], SqlUnitOfWork], **owners: str) -> object:
    deps = SyncDeps(uow=uow, gitlab=gitlab, clock=utc_now, owners=owners)
    return sync_inventory(["acme"], deps=deps)


def _deps(
    uow: Callable[[], SqlUnitOfWork], poster: RecordingPoster, *, digest: int = 5
) -> ReminderDeps:
    return ReminderDeps(
        uow=uow,
        clock=utc_now,
        poster=poster,
        channel_of=lambda token: "C0REMIND",
        thresholds=(30, 14, 7, 3, 1),
        digest_threshold=digest,
    )


def _with_ns(gitlab: FakeGitLab, path: str, record: TokenRecord) -> TokenRecord:
    return replace(record, namespace=gitlab.places[path])


def test_a_token_is_reminded_on_exactly_the_threshold_days(
    uow: Callable[[], SqlUnitOfWork], gitlab: FakeGitLab
) -> None:
    expires = START + timedelta(days=40)  # 2026-12-11
    gitlab.list_token("acme/api", _with_ns(gitlab, "acme/api", _record(1, "ci-reader", expires)))
    poster = RecordingPoster()
    day = START
    with freeze_time(datetime(2026, 11, 1, 9, 0, tzinfo=UTC)) as frozen:
        _sync(gitlab, uow)
        while day <= expires + timedelta(days=10):
            sweep(deps=_deps(uow, poster))
            sweep(deps=_deps(uow, poster))  # a second sweep the same day posts nothing
            frozen.tick(timedelta(days=1))
            day += timedelta(days=1)
    assert [(d.isoformat(), level) for d, _, level, _ in poster.posts] == [
        ("2026-11-11", 30),
        ("2026-11-27", 14),
        ("2026-12-04", 7),
        ("2026-12-08", 3),
        ("2026-12-10", 1),
        ("2026-12-11", 0),  # the expiry day: it stopped working at 00:00 UTC
    ]


def test_a_token_past_several_thresholds_gets_one_post_for_the_nearest(
    uow: Callable[[], SqlUnitOfWork], gitlab: FakeGitLab
) -> None:
    expires = START + timedelta(days=40)
    gitlab.list_token("acme/api", _with_ns(gitlab, "acme/api", _record(1, "ci-reader", expires)))
    poster = RecordingPoster()
    with freeze_time(datetime(2026, 11, 1, 9, 0, tzinfo=UTC)) as frozen:
        _sync(gitlab, uow)
        frozen.move_to(datetime(2026, 12, 5, 9, 0, tzinfo=UTC))  # 6 days left: 30, 14, 7 passed
        sweep(deps=_deps(uow, poster))
        frozen.move_to(datetime(2026, 12, 6, 9, 0, tzinfo=UTC))
        sweep(deps=_deps(uow, poster))
    assert [(d.isoformat(), level) for d, _, level, _ in poster.posts] == [("2026-12-05", 7)]


def test_a_restart_between_sweeps_posts_nothing_twice(db: Engine, gitlab: FakeGitLab) -> None:
    expires = START + timedelta(days=10)
    gitlab.list_token("acme/api", _with_ns(gitlab, "acme/api", _record(1, "ci-reader", expires)))
    poster = RecordingPoster()
    with freeze_time(datetime(2026, 11, 1, 9, 0, tzinfo=UTC)):
        _sync(gitlab, lambda: SqlUnitOfWork(db))
        sweep(deps=_deps(lambda: SqlUnitOfWork(db), poster))
        # "restart": new units of work, new poster, same database
        again = RecordingPoster()
        sweep(deps=_deps(lambda: SqlUnitOfWork(db), again))
    assert len(poster.posts) == 1
    assert again.posts == []


def test_two_sweeps_at_once_post_once(uow: Callable[[], SqlUnitOfWork], gitlab: FakeGitLab) -> None:
    for n in range(4):
        record = _record(n + 1, f"token-{n}", START + timedelta(days=2 + n))
        gitlab.list_token("acme/api", _with_ns(gitlab, "acme/api", record))
    poster = RecordingPoster()
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run() -> None:
        barrier.wait()
        try:
            sweep(deps=_deps(uow, poster))
        except BaseException as exc:
            errors.append(exc)

    with freeze_time(datetime(2026, 11, 1, 9, 0, tzinfo=UTC)):
        _sync(gitlab, uow)
        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    assert sorted(name for _, name, _, _ in poster.posts) == [f"token-{n}" for n in range(4)]


def test_a_failed_post_is_tried_again_at_the_next_sweep(
    uow: Callable[[], SqlUnitOfWork], gitlab: FakeGitLab
) -> None:
    gitlab.list_token(
        "acme/api", _with_ns(gitlab, "acme/api", _record(1, "ci-reader", START + timedelta(days=3)))
    )
    poster = RecordingPoster()
    with freeze_time(datetime(2026, 11, 1, 9, 0, tzinfo=UTC)) as frozen:
        _sync(gitlab, uow)
        poster.fail = True
        report = sweep(deps=_deps(uow, poster))
        assert report.failed == ("C0REMIND: Slack refused the post (channel_not_found)",)
        poster.fail = False
        frozen.tick(timedelta(hours=1))
        assert sweep(deps=_deps(uow, poster)).posted == 1
    assert [level for _, _, level, _ in poster.posts] == [3]


def test_a_busy_channel_gets_one_digest(
    uow: Callable[[], SqlUnitOfWork], gitlab: FakeGitLab
) -> None:
    for n in range(7):
        record = _record(n + 1, f"token-{n}", START + timedelta(days=1 + n))
        gitlab.list_token("acme/web", _with_ns(gitlab, "acme/web", record))
    poster = RecordingPoster()
    with freeze_time(datetime(2026, 11, 1, 9, 0, tzinfo=UTC)):
        _sync(gitlab, uow)
        report = sweep(deps=_deps(uow, poster, digest=5))
        assert sweep(deps=_deps(uow, poster, digest=5)).posted == 0
    assert report.digests == 1
    assert report.posted == 7
    assert poster.posts == []
    ((channel, names),) = poster.digests
    assert channel == "C0REMIND"
    assert names[0] == "token-0"  # nearest expiry first


def test_muted_revoked_and_gone_tokens_are_not_reminded(
    uow: Callable[[], SqlUnitOfWork], gitlab: FakeGitLab
) -> None:
    soon = START + timedelta(days=3)
    for n, name in enumerate(["muted", "revoked", "deleted", "live"], start=1):
        record = _record(n, name, soon, revoked=name == "revoked")
        gitlab.list_token("acme/api", _with_ns(gitlab, "acme/api", record))
    poster = RecordingPoster()
    with freeze_time(datetime(2026, 11, 1, 9, 0, tzinfo=UTC)):
        _sync(gitlab, uow)
        with uow() as u:
            muted = u.inventory.get("project_access_token:1")
            assert muted is not None
            u.inventory.update(replace(muted, muted=True), utc_now())
            u.commit()
        gitlab.unlist_token("acme/api", 3)
        _sync(gitlab, uow)
        sweep(deps=_deps(uow, poster))
        with uow() as u:
            statuses = {t.name: t.status for t in u.inventory.tokens()}
    assert [name for _, name, _, _ in poster.posts] == ["live"]
    assert statuses == {
        "muted": TrackedStatus.ACTIVE,
        "revoked": TrackedStatus.REVOKED,
        "deleted": TrackedStatus.GONE,
        "live": TrackedStatus.ACTIVE,
    }


def test_an_outage_mid_sync_keeps_the_inventory_and_the_next_sync_resumes(
    uow: Callable[[], SqlUnitOfWork], gitlab: FakeGitLab
) -> None:
    soon = START + timedelta(days=20)
    gitlab.list_token("acme/api", _with_ns(gitlab, "acme/api", _record(1, "api-token", soon)))
    gitlab.list_token("acme/web", _with_ns(gitlab, "acme/web", _record(2, "web-token", soon)))
    with freeze_time(datetime(2026, 11, 1, 9, 0, tzinfo=UTC)):
        _sync(gitlab, uow)
        gitlab.unlist_token("acme/web", 2)  # deleted in GitLab, but the next sync breaks early
        gitlab.outage_after = 1
        with pytest.raises(SyncError, match="continues from there"):
            _sync(gitlab, uow)
        with uow() as u:
            assert {t.name: t.status for t in u.inventory.tokens()} == {
                "api-token": TrackedStatus.ACTIVE,
                "web-token": TrackedStatus.ACTIVE,
            }
            assert u.inventory.last_run() is not None
        gitlab.outage_after = None
        report = _sync(gitlab, uow)
        with uow() as u:
            statuses = {t.name: t.status for t in u.inventory.tokens()}
    assert report.resumed  # type: ignore[attr-defined]
    assert statuses == {"api-token": TrackedStatus.ACTIVE, "web-token": TrackedStatus.GONE}


def test_a_vanished_project_takes_its_tokens_with_it_and_unwatched_groups_are_left(
    uow: Callable[[], SqlUnitOfWork], gitlab: FakeGitLab
) -> None:
    soon = START + timedelta(days=20)
    gitlab.list_token("acme/web", _with_ns(gitlab, "acme/web", _record(2, "web-token", soon)))
    gitlab.list_token("other/tool", _with_ns(gitlab, "other/tool", _record(3, "other", soon)))
    with freeze_time(datetime(2026, 11, 1, 9, 0, tzinfo=UTC)):
        _sync(gitlab, uow)
        del gitlab.places["acme/web"]
        _sync(gitlab, uow)
        with uow() as u:
            tokens = {t.name: t for t in u.inventory.tokens()}
    assert set(tokens) == {"web-token"}  # other/tool is not watched
    assert tokens["web-token"].status is TrackedStatus.GONE


def test_owners_come_from_configuration_and_claims_survive_a_sync(
    uow: Callable[[], SqlUnitOfWork], gitlab: FakeGitLab
) -> None:
    soon = START + timedelta(days=20)
    gitlab.list_token("acme/api", _with_ns(gitlab, "acme/api", _record(1, "api-token", soon)))
    gitlab.list_token("acme/web", _with_ns(gitlab, "acme/web", _record(2, "web-token", soon)))
    with freeze_time(datetime(2026, 11, 1, 9, 0, tzinfo=UTC)):
        _sync(gitlab, uow, **{"acme/api": "U0API"})
        with uow() as u:
            web = u.inventory.get("project_access_token:2")
            assert web is not None
            assert web.owner is None
            claimed = replace(web, owner="U0WEB", owner_source=OwnerSource.CLAIMED)
            u.inventory.update(claimed, utc_now())
            u.commit()
        _sync(gitlab, uow, **{"acme": "U0LEAD"})
        with uow() as u:
            owners = {t.name: (t.owner, t.owner_source) for t in u.inventory.tokens()}
    assert owners == {
        "api-token": ("U0LEAD", OwnerSource.CONFIGURED),
        "web-token": ("U0WEB", OwnerSource.CLAIMED),
    }


def test_the_bots_own_token_is_reminded_of_and_a_rotation_retires_the_old_one(
    uow: Callable[[], SqlUnitOfWork],
) -> None:
    reports = [
        OwnCredentialReport(
            OwnCredentialState.OK, 501, "tokenbot", ("api",), START + timedelta(days=10), 10
        ),
        OwnCredentialReport(
            OwnCredentialState.ROTATED, 502, "tokenbot", ("api",), START + timedelta(days=90), 90
        ),
    ]
    poster = RecordingPoster()
    with freeze_time(datetime(2026, 11, 1, 9, 0, tzinfo=UTC)):
        watch_own_token(lambda: reports[0], uow=uow, clock=utc_now)
        sweep(deps=_deps(uow, poster))
        watch_own_token(lambda: reports[1], uow=uow, clock=utc_now)
        with uow() as u:
            statuses = {t.key: t.status for t in u.inventory.tokens()}
    assert [(name, level) for _, name, level, _ in poster.posts] == [("tokenbot", 14)]
    assert statuses == {"own:501": TrackedStatus.REVOKED, "own:502": TrackedStatus.ACTIVE}


def test_a_second_sync_of_unchanged_groups_writes_nothing(
    uow: Callable[[], SqlUnitOfWork], gitlab: FakeGitLab
) -> None:
    soon = START + timedelta(days=20)
    gitlab.list_token("acme/api", _with_ns(gitlab, "acme/api", _record(1, "api-token", soon)))
    with freeze_time(datetime(2026, 11, 1, 9, 0, tzinfo=UTC)):
        first = _sync(gitlab, uow, **{"acme": "U0LEAD"})
        second = _sync(gitlab, uow, **{"acme": "U0LEAD"})
        third = _sync(gitlab, uow, **{"acme": "U0NEW"})
    assert (first.added, first.changed) == (1, 0)  # type: ignore[attr-defined]
    assert (second.added, second.changed, second.gone) == (0, 0, 0)  # type: ignore[attr-defined]
    assert third.changed == 1  # type: ignore[attr-defined]


def test_the_bots_own_token_listed_by_the_sync_is_reminded_of_once_as_its_own(
    uow: Callable[[], SqlUnitOfWork], gitlab: FakeGitLab
) -> None:
    """The sync lists tokenbot's token like any service-account token; the sweep reminds of
    it once, as `own:<id>` (whose buttons the gate refuses), not twice."""
    expires = START + timedelta(days=10)
    listed = replace(
        _record(501, "tokenbot", expires, user_id=901),
        token_type=TokenType.SERVICE_ACCOUNT_PAT,
        namespace=gitlab.places["acme"],
        access_level=None,
    )
    gitlab.list_token("acme", listed)
    report = OwnCredentialReport(OwnCredentialState.OK, 501, "tokenbot", ("api",), expires, 10)
    me = BotIdentity(token_id=501, user_id=901)
    poster = RecordingPoster()
    with freeze_time(datetime(2026, 11, 1, 9, 0, tzinfo=UTC)):
        _sync(gitlab, uow)
        watch_own_token(lambda: report, uow=uow, clock=utc_now)
        sweep(deps=replace(_deps(uow, poster), is_own=lambda token: is_own(token, me)))
    assert [(name, level) for _, name, level, _ in poster.posts] == [("tokenbot", 14)]
    with uow() as unit:
        assert {t.key for t in unit.inventory.tokens()} == {"service_account_pat:501", "own:501"}


class MeetingPoster(RecordingPoster):
    """Each post waits until a post to the other channel has begun too (a barrier)."""

    def __init__(self) -> None:
        super().__init__()
        self.met = threading.Barrier(2, timeout=10)

    def post(self, reminder: Reminder) -> str:
        self.met.wait()  # raises BrokenBarrierError if the channels are posted one by one
        return super().post(reminder)


def test_the_sweep_posts_to_two_channels_at_the_same_time(
    uow: Callable[[], SqlUnitOfWork], gitlab: FakeGitLab
) -> None:
    """Each channel is paced on its own (about one post a second), so a sweep does not wait
    for one channel's posts before it starts another's (issue 15)."""
    expires = START + timedelta(days=7)
    gitlab.list_token("acme/api", _with_ns(gitlab, "acme/api", _record(1, "api-reader", expires)))
    gitlab.list_token("acme/web", _with_ns(gitlab, "acme/web", _record(2, "web-reader", expires)))
    poster = MeetingPoster()
    by_project = {"acme/api": "C0API", "acme/web": "C0WEB"}
    deps = replace(_deps(uow, poster), channel_of=lambda token: by_project[token.namespace.path])
    with freeze_time(datetime(2026, 11, 1, 9, 0, tzinfo=UTC)):
        _sync(gitlab, uow)
        report = sweep(deps=deps)
    assert report.posted == 2
    assert report.failed == ()
    assert sorted(channel for *_, channel in poster.posts) == ["C0API", "C0WEB"]
