"""Requests, the secret vault and the audit log on a real database (SQLite or PostgreSQL)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.db.secret_box import FernetBox
from bot.db.unit_of_work import SqlUnitOfWork
from bot.domain.audit import AuditAction, AuditEvent
from bot.domain.credentials import Secret
from bot.domain.requests import (
    Delivery,
    MessageRef,
    RequestDraft,
    RequestError,
    RequestState,
    TokenRequest,
)
from bot.domain.tokens import Scope, TokenType
from bot.services.ports import ConcurrentUpdateError

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
KEY = "k" * 40
SECRET = "glpat-this-must-never-be-stored-in-clear"


@pytest.fixture
def uow(db: Engine) -> Callable[[], SqlUnitOfWork]:
    box = FernetBox(KEY)
    return lambda: SqlUnitOfWork(db, box)


def _request(request_id: str = "r1", state: RequestState = RequestState.APPROVED) -> TokenRequest:
    draft = RequestDraft(
        TokenType.DEPLOY_TOKEN,
        "acme/api",
        "registry",
        (Scope.READ_REGISTRY, Scope.WRITE_REGISTRY),
        None,
        date(2027, 1, 1),
        "push images from the build farm",
        Delivery.CI_VARIABLE,
        "acme/deploy",
        "REGISTRY_TOKEN",
    )
    return TokenRequest(
        request_id, "U0ADA", 11, draft, state, NOW, NOW + timedelta(days=7), 2, ("write scopes",)
    )


def test_a_request_round_trips(uow: Callable[[], SqlUnitOfWork]) -> None:
    request = _request(state=RequestState.PENDING).approved_by("U0MEI", now=NOW)
    with uow() as u:
        u.requests.add(request)
        u.commit()
    with uow() as u:
        assert u.requests.get("r1") == request
        assert [r.id for r in u.requests.open_requests()] == ["r1"]
        assert [r.id for r in u.requests.of_requester("U0ADA")] == ["r1"]


def test_the_card_and_token_user_are_kept_without_a_new_revision(
    uow: Callable[[], SqlUnitOfWork],
) -> None:
    with uow() as u:
        u.requests.add(_request(state=RequestState.PENDING))
        u.commit()
    with uow() as u:
        u.requests.attach_card("r1", MessageRef("C0APPROVALS", "1700000000.000100"))
        u.commit()
    with uow() as u:
        stored = u.requests.get("r1")
        assert stored is not None
        assert stored.card == MessageRef("C0APPROVALS", "1700000000.000100")
        assert stored.revision == 0  # a click read before the card was attached still counts
        approved = u.requests.update(stored.approved_by("U0MEI", now=NOW))
        u.commit()
    with uow() as u:
        got = u.requests.claim_for_provisioning("r1", NOW)
        assert got is None  # two approvals needed; still pending
        u.requests.update(approved.approved_by("U0OLA", now=NOW))
        u.commit()
    with uow() as u:
        got = u.requests.claim_for_provisioning("r1", NOW)
        assert got is not None
        u.requests.update(got.provisioned(4242, user_id=77))
        u.commit()
    with uow() as u:
        final = u.requests.get("r1")
        assert final is not None
        assert (final.gitlab_token_id, final.token_user_id) == (4242, 77)
        assert final.card == MessageRef("C0APPROVALS", "1700000000.000100")


def test_a_new_secret_replaces_one_never_revealed(uow: Callable[[], SqlUnitOfWork]) -> None:
    with uow() as u:
        u.requests.add(_request())
        u.secrets.put("r1", Secret("glpat-first"), expires_at=NOW + timedelta(hours=1))
        u.secrets.put("r1", Secret("glpat-second"), expires_at=NOW + timedelta(hours=1))
        u.commit()
    with uow() as u:
        secret = u.secrets.take("r1", now=NOW)
        assert secret is not None
        assert secret.reveal() == "glpat-second"


def test_a_stale_update_is_refused(uow: Callable[[], SqlUnitOfWork]) -> None:
    pending = _request(state=RequestState.PENDING)
    with uow() as u:
        u.requests.add(pending)
        u.commit()
    with uow() as u:
        u.requests.update(pending.approved_by("U0MEI", now=NOW))
        u.commit()
    with uow() as u, pytest.raises(ConcurrentUpdateError):
        u.requests.update(pending.approved_by("U0OLA", now=NOW))


def test_only_one_of_many_simultaneous_claims_wins(uow: Callable[[], SqlUnitOfWork]) -> None:
    with uow() as u:
        u.requests.add(_request())
        u.commit()
    barrier = threading.Barrier(6)
    winners: list[TokenRequest] = []

    def claim() -> None:
        barrier.wait()
        with uow() as u:
            claimed = u.requests.claim_for_provisioning("r1", NOW)
            u.commit()
        if claimed is not None:
            winners.append(claimed)

    threads = [threading.Thread(target=claim) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(winners) == 1
    assert winners[0].state is RequestState.PROVISIONING


def test_a_pending_request_cannot_be_claimed(uow: Callable[[], SqlUnitOfWork]) -> None:
    with uow() as u:
        u.requests.add(_request(state=RequestState.PENDING))
        u.commit()
        assert u.requests.claim_for_provisioning("r1", NOW) is None


def test_secrets_are_encrypted_at_rest_and_handed_out_once(
    db: Engine, uow: Callable[[], SqlUnitOfWork]
) -> None:
    with uow() as u:
        u.requests.add(_request())
        u.secrets.put("r1", Secret(SECRET), expires_at=NOW + timedelta(hours=1))
        u.commit()
    with db.connect() as conn:
        stored = conn.execute(sa.text("SELECT ciphertext FROM pending_secrets")).scalar_one()
    assert SECRET not in stored
    with uow() as u:
        taken = u.secrets.take("r1", now=NOW)
        u.commit()
    assert taken is not None
    assert taken.reveal() == SECRET
    with uow() as u:
        assert u.secrets.take("r1", now=NOW) is None


def test_two_reveals_at_once_get_the_secret_only_once(uow: Callable[[], SqlUnitOfWork]) -> None:
    with uow() as u:
        u.requests.add(_request())
        u.secrets.put("r1", Secret(SECRET), expires_at=NOW + timedelta(hours=1))
        u.commit()
    barrier = threading.Barrier(4)
    got: list[Secret | None] = []

    def reveal() -> None:
        barrier.wait()
        with uow() as u:
            got.append(u.secrets.take("r1", now=NOW))
            u.commit()

    threads = [threading.Thread(target=reveal) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(1 for s in got if s is not None) == 1


def test_an_expired_secret_is_gone(uow: Callable[[], SqlUnitOfWork]) -> None:
    with uow() as u:
        u.requests.add(_request())
        u.secrets.put("r1", Secret(SECRET), expires_at=NOW + timedelta(hours=1))
        u.commit()
    with uow() as u:
        assert u.secrets.discard_expired(now=NOW + timedelta(minutes=59)) == []
        assert u.secrets.discard_expired(now=NOW + timedelta(hours=1)) == ["r1"]
        u.commit()


def test_another_key_cannot_open_the_secret(db: Engine) -> None:
    with SqlUnitOfWork(db, FernetBox(KEY)) as u:
        u.requests.add(_request())
        u.secrets.put("r1", Secret(SECRET), expires_at=NOW + timedelta(hours=1))
        u.commit()
    with (
        SqlUnitOfWork(db, FernetBox("another-key-" * 4)) as u,
        pytest.raises(RequestError, match="TOKENBOT_SECRET_KEY"),
    ):
        u.secrets.take("r1", now=NOW)
    with SqlUnitOfWork(db, FernetBox(KEY)) as u:  # still there for the right key
        kept = u.secrets.take("r1", now=NOW)
        assert kept is not None
        assert kept.reveal() == SECRET


def test_without_a_key_no_secret_can_be_held(db: Engine) -> None:
    with SqlUnitOfWork(db) as u:
        u.requests.add(_request())
        with pytest.raises(RuntimeError, match="TOKENBOT_SECRET_KEY"):
            u.secrets.put("r1", Secret(SECRET), expires_at=NOW)


def test_audit_events_are_kept_in_order(uow: Callable[[], SqlUnitOfWork]) -> None:
    with uow() as u:
        u.audit.append(AuditEvent(NOW, AuditAction.REQUESTED, "r1", "U0ADA", {"target": "x"}))
        u.audit.append(AuditEvent(NOW, AuditAction.APPROVED, "r1", "U0MEI"))
        u.commit()
    with uow() as u:
        events = u.audit.events()
    assert [(e.action, e.actor) for e in events] == [
        (AuditAction.REQUESTED, "U0ADA"),
        (AuditAction.APPROVED, "U0MEI"),
    ]
    assert events[0].details == {"target": "x"}
    assert events[0].at == NOW


def test_the_box_never_shows_its_key() -> None:
    assert KEY not in repr(FernetBox(KEY))
