"""The world of the authorization matrix: people by role, credentials by power, one bot.

Acme (tests/support/acme.py) with one person per role on `acme/platform/api` or its groups,
a GitLab user who is a member of nothing, a Slack user tokenbot cannot link, and for each
power a *requester* whose role equals the power's level. One `tokenbot run` serves every cell
(HTTP mode, signed requests); one `tokenbot shell` (no sandbox: the same simulator, database
and TOKENBOT_USER_MAP) types the shell's cells. Cells seed their own state, each under its
own name, straight into the simulator (its Python state) and the bot's database (its
repositories); the reminder tokens are made before one `tokenbot sync` tracks them all.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.db.engine import create_db_engine
from bot.db.secret_box import FernetBox
from bot.db.tables import PendingSecretRow, TokenRequestRow, TrackedTokenRow
from bot.db.unit_of_work import SqlUnitOfWork
from bot.domain.credentials import Secret
from bot.domain.reminders import OwnerSource, TrackedStatus, TrackedToken
from bot.domain.request_policy import RequestPolicy
from bot.domain.requests import (
    Approval,
    RequestDraft,
    RequestState,
    TokenRequest,
)
from bot.domain.tokens import AccessLevel as Role
from bot.domain.tokens import Scope, TokenType
from bot.sandbox import AccessLevel, GitlabSimulator, SandboxServer, add_resource_token
from bot.sandbox.token_models import AccessToken
from bot.slack import ids
from tests.support.acme import seed_acme
from tests.support.bot_process import BOT_TOKEN, BotProcess, start_bot
from tests.support.slack_api import Call, SlackRecorder
from tests.support.slack_requests import SlackDriver

API = "acme/platform/api"
APPROVALS = "C0APPROVALS"
REMINDERS = "C0REMINDERS"
SECRET_KEY = "matrix-test-only-key-0123456789-abcdefghij"
SEEDERS = ("U0OLGA", "U0OMAR")  # Owners of acme who approve what the cells start from
T = TypeVar("T")


@dataclass(frozen=True)
class Someone:
    """A person in the matrix: their Slack id, GitLab user and role (None: none)."""

    slack_id: str
    username: str | None = None  # None: Slack only, not in TOKENBOT_USER_MAP
    role: AccessLevel | None = None
    where: str | None = None  # the group or project the role is on


@dataclass(frozen=True)
class Power:
    """What a credential may do: a project access token on API, or tokenbot's own token."""

    name: str
    role: Role | None
    scopes: tuple[Scope, ...]
    requester: Someone  # whose role equals the power's level
    own: bool = False

    def draft(self, name: str, **changes: Any) -> RequestDraft:
        draft = RequestDraft(
            token_type=TokenType.PROJECT_ACCESS_TOKEN,
            target=API,
            name=name,
            scopes=self.scopes,
            access_level=self.role,
            expires_on=today() + timedelta(days=30),
            reason="the matrix needs a token of this power",
        )
        return replace(draft, **changes)


REQUESTER_OF = {
    "REPORTER_READ": Someone("U0MREQREP", "req_reporter", AccessLevel.REPORTER, API),
    "DEVELOPER_API": Someone("U0MREQDEV", "req_developer", AccessLevel.DEVELOPER, API),
    "MAINTAINER_READ": Someone("U0MREQMNT", "req_maintainer", AccessLevel.MAINTAINER, API),
    "OWNER_API": Someone("U0MREQOWN", "req_owner", AccessLevel.OWNER, "acme/platform"),
    # tokenbot's token lives in acme (its account's group): Owner there, as tokenbot's account
    "BOT_OWN": Someone("U0MREQBOT", "req_tokenbot", AccessLevel.OWNER, "acme"),
}
POWERS = {
    "REPORTER_READ": Power(
        "REPORTER_READ", Role.REPORTER, (Scope.READ_API,), REQUESTER_OF["REPORTER_READ"]
    ),
    "DEVELOPER_API": Power(
        "DEVELOPER_API", Role.DEVELOPER, (Scope.API,), REQUESTER_OF["DEVELOPER_API"]
    ),
    "MAINTAINER_READ": Power(
        "MAINTAINER_READ",
        Role.MAINTAINER,
        (Scope.READ_REPOSITORY,),
        REQUESTER_OF["MAINTAINER_READ"],
    ),
    "OWNER_API": Power("OWNER_API", Role.OWNER, (Scope.API,), REQUESTER_OF["OWNER_API"]),
    # tokenbot's account is Owner of acme and its token has `api`: an Owner-level credential.
    "BOT_OWN": Power("BOT_OWN", None, (Scope.API,), REQUESTER_OF["BOT_OWN"], own=True),
}
OTHERS = {
    "guest": Someone("U0MGUEST", "guest", AccessLevel.GUEST, API),
    "reporter": Someone("U0MREPORTER", "reporter", AccessLevel.REPORTER, API),
    "developer": Someone("U0MDEVELOPER", "developer", AccessLevel.DEVELOPER, "acme/platform"),
    "maintainer": Someone("U0MMAINTAINER", "maintainer", AccessLevel.MAINTAINER, "acme/platform"),
    "owner": Someone("U0MOWNER", "owner", AccessLevel.OWNER, "acme"),
    "nonmember": Someone("U0MNOBODY", "nobody"),
    "unknown": Someone("U0MUNKNOWN"),
}
ACTORS = ("requester", *OTHERS)


def actor(name: str, power: Power) -> Someone:
    return power.requester if name == "requester" else OTHERS[name]


def today() -> date:
    return datetime.now(UTC).date()


class MatrixSlack(SlackRecorder):
    """The Slack recorder, answering `users.info` as Slack does for a workspace member (with
    an e-mail address no GitLab user has) and noting which `response_url` each note went to."""

    _path = threading.local()

    def _handler(self) -> Any:
        base = super()._handler()
        here = self

        class Handler(base):  # type: ignore[misc, valid-type]
            def do_POST(self) -> None:
                here._path.value = self.path
                super().do_POST()

        return Handler

    def _answer(
        self, method: str, args: dict[str, Any]
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        if method == "response_url":
            args["_path"] = getattr(self._path, "value", "")
        if method == "users.info":
            user = str(args.get("user", ""))
            profile = {"email": f"{user.lower()}@slack-only.example", "real_name": user}
            return 200, {"ok": True, "user": {"id": user, "profile": profile}}, {}
        return super()._answer(method, args)


@dataclass
class MatrixWorld:
    sim: GitlabSimulator
    slack: MatrixSlack
    bot: BotProcess
    driver: SlackDriver
    env: dict[str, str]  # the bot's settings, for `tokenbot sync` and `tokenbot shell`
    engine: Engine
    bot_token: str
    form: dict[str, Any] = field(default_factory=dict)  # the request modal, as opened
    _clicks: int = 0

    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine, FernetBox(SECRET_KEY))

    def gitlab_id(self, someone: Someone) -> int:
        user = self.sim.state.user_by_username(someone.username or "")
        assert user is not None, someone
        return user.id

    def response_url(self) -> str:
        """A `response_url` of its own for the next click, so notes to it are told apart."""
        self._clicks += 1
        return f"{self.slack.hooks_url}/{self._clicks}"

    # ----------------------------------------------------------- the simulator

    def add_token(self, name: str, power: Power, *, days: int = 5) -> tuple[AccessToken, str]:
        """A project access token of `power` on API, expiring in `days`."""
        project = self.sim.state.project_by_full_path(API)
        assert project is not None
        level = AccessLevel(int(power.role)) if power.role is not None else AccessLevel.OWNER
        return add_resource_token(
            self.sim.state,
            project,
            name=name,
            level=level,
            scopes=tuple(s.value for s in power.scopes),
            expires_at=self.sim.state.today() + timedelta(days=days),
        )

    def tokens_named(self, name: str) -> list[AccessToken]:
        with self.sim.state.lock:
            return sorted(
                (t for t in self.sim.state.tokens.values() if t.name == name), key=lambda t: t.id
            )

    # ----------------------------------------------------------- the database

    def tracked(self, name: str) -> list[TrackedToken]:
        table = TrackedTokenRow.__table__  # type: ignore[attr-defined]
        with self.engine.connect() as conn:
            keys = list(conn.execute(sa.select(table.c.key).where(table.c.name == name)).scalars())
        with self.uow() as uow:
            found = [uow.inventory.get(key) for key in keys]
        return sorted((t for t in found if t is not None), key=lambda t: t.key)

    def set_owner(self, key: str, owner: str | None) -> TrackedToken:
        with self.uow() as uow:
            token = uow.inventory.get(key)
            assert token is not None, key
            token = replace(token, owner=owner, owner_source=OwnerSource.CLAIMED if owner else None)
            uow.inventory.update(token, datetime.now(UTC))
            uow.commit()
        return token

    def requests_named(self, name: str) -> list[TokenRequest]:
        with self.engine.connect() as conn:
            table = TokenRequestRow.__table__  # type: ignore[attr-defined]
            ids = conn.execute(sa.select(table.c.id).where(table.c.name == name)).scalars()
            wanted = list(ids)
        with self.uow() as uow:
            found = [uow.requests.get(i) for i in wanted]
        return sorted((r for r in found if r is not None), key=lambda r: r.created_at)

    def request(self, request_id: str) -> TokenRequest:
        with self.uow() as uow:
            found = uow.requests.get(request_id)
        assert found is not None, request_id
        return found

    def secret_waits(self, request_id: str) -> bool:
        with self.uow() as uow:
            return uow.secrets.expiry(request_id) is not None

    def seed_request(
        self,
        name: str,
        power: Power,
        *,
        state: RequestState = RequestState.PENDING,
        approvals: Sequence[str] = (),
        **draft: Any,
    ) -> TokenRequest:
        """A request by the power's requester, as submitting the form stores it; PROVISIONED:
        its token made in GitLab and its secret waiting to be revealed."""
        now = datetime.now(UTC)
        policy = RequestPolicy()
        requested = power.draft(name, **draft)
        flags = policy.risk_flags(requested, today=today())
        request = TokenRequest(
            id=uuid.uuid4().hex,
            requester=power.requester.slack_id,
            requester_gitlab_id=self.gitlab_id(power.requester),
            draft=requested,
            state=state,
            created_at=now,
            pending_until=now + timedelta(days=policy.pending_days),
            required_approvals=policy.required_approvals(flags),
            risk_flags=flags,
            approvals=tuple(Approval(who, now) for who in approvals),
        )
        secret = None
        if state is RequestState.PROVISIONED:
            token, value = self.add_token(name, power, days=30)
            request = replace(request, gitlab_token_id=token.id, token_user_id=token.user_id)
            secret = Secret(value)
        with self.uow() as uow:
            uow.requests.add(request)
            if secret is not None:
                uow.secrets.put(request.id, secret, expires_at=now + timedelta(hours=1))
            uow.commit()
        return request

    def forget_secret(self, request_id: str) -> None:
        """As after the reveal: the secret is no longer held."""
        with self.engine.begin() as conn:
            table = PendingSecretRow.__table__  # type: ignore[attr-defined]
            conn.execute(sa.delete(table).where(table.c.request_id == request_id))

    def fingerprint(self, name: str, variable_key: str | None = None) -> tuple[object, ...]:
        """Everything GitLab and the database hold under `name`: what a DENY must not change."""
        tokens = [(t.id, t.revoked, t.expires_at) for t in self.tokens_named(name)]
        with self.sim.state.lock:
            variables = [
                (v.project_id, v.value) for v in self.sim.state.variables if v.key == variable_key
            ]
        requests = self.requests_named(name)
        shown = [
            (r.id, r.state, tuple(a.approver for a in r.approvals), r.gitlab_token_id, r.revision)
            for r in requests
        ]
        with self.engine.connect() as conn:
            table = PendingSecretRow.__table__  # type: ignore[attr-defined]
            ids = [r.id for r in requests]
            held = sorted(
                conn.execute(
                    sa.select(table.c.request_id).where(table.c.request_id.in_(ids))
                ).scalars()
            )
        # Not the row `own:ID` of the own-token check that tokenbot run makes a minute after
        # start: no cell clicks it, and its arrival is not a cell's doing.
        tracked = [
            (t.key, t.owner, t.muted, t.status)
            for t in self.tracked(name)
            if not t.key.startswith("own:")
        ]
        return (tokens, variables, shown, held, tracked)

    # ----------------------------------------------------------- what Slack saw

    def calls_since(self, index: int) -> list[Call]:
        with self.slack._lock:
            return list(self.slack.calls[index:])

    def mark(self) -> int:
        with self.slack._lock:
            return len(self.slack.calls)

    def told(self, user: str, since: int, response_url: str = "") -> list[Call]:
        """Notes to `user` since call number `since`: ephemeral, direct, or to the click's
        `response_url`."""
        path = response_url.split("://", 1)[-1].partition("/")[2]
        return [
            c
            for c in self.calls_since(since)
            if (c.method == "chat.postEphemeral" and c.args.get("user") == user)
            or (c.method == "chat.postMessage" and c.args.get("channel") == user and not _asks(c))
            or (c.method == "response_url" and path and c.args.get("_path") == f"/{path}")
        ]


def _asks(call: Call) -> bool:
    """An approver's copy of a request card (Approve/Deny): the announcement of an earlier
    cell's request, which may land after the next cell began; it answers nobody's action."""
    return f'"{ids.REQUEST_APPROVE}"' in json.dumps(call.args.get("blocks") or [])


def scrubbed_environment() -> dict[str, str]:
    """This machine's environment without settings of its own (as tests/conftest.py does)."""
    prefixes = ("SLACK_", "GITLAB_", "TOKENBOT_")
    dropped = {"DATABASE_URL", "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"}
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes) and k not in dropped}
    return {**env, "NO_PROXY": "127.0.0.1,localhost"}


def seed_people(sim: GitlabSimulator) -> None:
    state = sim.state
    for someone in [*REQUESTER_OF.values(), *OTHERS.values()]:
        if someone.username is None:
            continue
        user = state.add_user(someone.username)
        if someone.role is not None and someone.where is not None:
            place = state.project_by_full_path(someone.where) or state.group_by_full_path(
                someone.where
            )
            assert place is not None, someone.where
            state.add_member(user, place, someone.role)


def user_map() -> str:
    people = [*REQUESTER_OF.values(), *OTHERS.values()]
    mapped = [f"{p.slack_id}={p.username}" for p in people if p.username is not None]
    return ",".join([*mapped, "U0OLGA=olga", "U0OMAR=omar"])


@contextmanager
def matrix_world(data_dir: Path, prepare: Callable[[MatrixWorld], None]) -> Iterator[MatrixWorld]:
    """Start the world; `prepare` adds what the cells need before the one `tokenbot sync`."""
    sim = GitlabSimulator()
    bot_token = seed_acme(sim)
    seed_people(sim)
    with ExitStack() as stack:
        gitlab = stack.enter_context(SandboxServer(sim))
        slack = MatrixSlack()
        stack.enter_context(slack)
        settings = {
            "GITLAB_URL": gitlab.url,
            "GITLAB_TOKEN": bot_token,
            "TOKENBOT_APPROVALS_CHANNEL": APPROVALS,
            "TOKENBOT_SECRET_KEY": SECRET_KEY,
            "TOKENBOT_USER_MAP": user_map(),
            "TOKENBOT_GITLAB_REQUESTS_PER_SECOND": "1000",  # the simulator needs no pacing
            "TOKENBOT_GITLAB_RETRY_SECONDS": "0",  # a refusal is a refusal, at once
            "TOKENBOT_LOG_LEVEL": "INFO",
        }
        # No TOKENBOT_WATCHED_GROUPS nor reminders channel for tokenbot run: no sync or sweep of
        # its own changes what a cell looks at; `tokenbot sync` below tracks the tokens once.
        with pytest.MonkeyPatch.context() as patch:  # start_bot passes this environment on
            clean = scrubbed_environment()
            for name in set(os.environ) - set(clean):
                patch.delenv(name)
            patch.setenv("NO_PROXY", clean["NO_PROXY"])
            bot = start_bot(slack_api_url=slack.url, data_dir=data_dir, extra_env=settings)
        stack.callback(bot.stop)
        env = {
            **scrubbed_environment(),
            **settings,
            "TOKENBOT_DATA_DIR": str(data_dir),
            "SLACK_API_URL": slack.url,
            "SLACK_BOT_TOKEN": BOT_TOKEN,
        }
        engine = create_db_engine(f"sqlite:///{data_dir / 'tokenbot.db'}")
        stack.callback(engine.dispose)
        driver = SlackDriver(bot.url, response_url=slack.hooks_url)
        world = MatrixWorld(sim, slack, bot, driver, env, engine, bot_token)
        prepare(world)
        synced = subprocess.run(
            [sys.executable, "-m", "bot", "sync"],
            env={**env, "TOKENBOT_WATCHED_GROUPS": "acme"},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert synced.returncode == 0, synced.stderr
        yield world


def wait_until(probe: Callable[[], T | None], timeout: float = 10.0) -> T:
    """Poll `probe` until it returns something (bounded: AssertionError after `timeout`)."""
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"nothing after {timeout} s")
        time.sleep(0.01)


def own_token_key(world: MatrixWorld) -> str:
    """The inventory's key of tokenbot's own token, as `tokenbot sync` tracked it."""
    with world.uow() as uow:
        mine = [
            t
            for t in uow.inventory.tokens()
            if t.token_type is TokenType.SERVICE_ACCOUNT_PAT
            and t.status is TrackedStatus.ACTIVE
            and _is_bot_token(world, t)
        ]
    assert len(mine) == 1, mine
    return mine[0].key


def _is_bot_token(world: MatrixWorld, token: TrackedToken) -> bool:
    account = world.sim.state.user_by_username("tokenbot")
    return account is not None and token.user_id == account.id


@dataclass
class OwnTokenBaseline:
    """tokenbot's own token as it was, to put back after a cell changed it (a bypass)."""

    key: str
    token_ids: frozenset[int]
    tracked: TrackedToken

    @classmethod
    def take(cls, world: MatrixWorld, key: str) -> OwnTokenBaseline:
        account = world.sim.state.user_by_username("tokenbot")
        assert account is not None
        ids = frozenset(world.sim.state.token_ids_by_user.get(account.id, []))
        with world.uow() as uow:
            tracked = uow.inventory.get(key)
        assert tracked is not None
        return cls(key, ids, tracked)

    def restore(self, world: MatrixWorld) -> None:
        """Its GitLab token alive again and alone, its row as before, renewals of it closed."""
        state = world.sim.state
        with state.lock:
            for token in state.tokens.values():
                if token.user_id == self.tracked.user_id:
                    token.revoked = token.id not in self.token_ids
            original = state.tokens[self.tracked.gitlab_id]
            original.revoked = False
            original.expires_at = self.tracked.expires_on
        with world.engine.begin() as conn:
            rows = TrackedTokenRow.__table__  # type: ignore[attr-defined]
            conn.execute(
                sa.delete(rows).where(
                    rows.c.user_id == self.tracked.user_id, rows.c.key != self.key
                )
            )
            requests = TokenRequestRow.__table__  # type: ignore[attr-defined]
            conn.execute(
                sa.update(requests)
                .where(
                    requests.c.name == self.tracked.name,
                    requests.c.state.in_([s.value for s in RequestState if s.open]),
                )
                .values(state=RequestState.CANCELLED.value, revision=requests.c.revision + 1)
            )
        with world.uow() as uow:
            uow.inventory.update(self.tracked, datetime.now(UTC))
            uow.commit()
