"""The unit of work: one session per use case, committed explicitly, rolled back otherwise."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.db.approval_notice_repositories import SqlApprovalNotices
from bot.db.breakglass_repositories import SqlBreakGlassReviews
from bot.db.handoff_repositories import SqlHandoffs
from bot.db.hygiene_digest_repositories import SqlHygieneDigestLog
from bot.db.hygiene_repositories import SqlHygiene
from bot.db.inventory_repositories import SqlInventory
from bot.db.job_token_repositories import SqlJobTokenAccess
from bot.db.lease_repositories import SqlJobLeases
from bot.db.link_repositories import SqlAccountLinks
from bot.db.minted_repositories import SqlMintedLedger
from bot.db.reminder_repositories import SqlReminderLog
from bot.db.repositories import SqlConversationRepository
from bot.db.request_repositories import SqlAuditLog, SqlRequestRepository, SqlSecretVault
from bot.db.secret_box import FernetBox


class SqlUnitOfWork:
    conversations: SqlConversationRepository
    requests: SqlRequestRepository
    secrets: SqlSecretVault
    audit: SqlAuditLog
    inventory: SqlInventory
    reminders: SqlReminderLog
    leases: SqlJobLeases
    minted: SqlMintedLedger
    links: SqlAccountLinks
    handoffs: SqlHandoffs
    job_access: SqlJobTokenAccess
    reviews: SqlBreakGlassReviews
    approval_notices: SqlApprovalNotices
    hygiene_digests: SqlHygieneDigestLog
    hygiene: SqlHygiene

    def __init__(self, engine: Engine, box: FernetBox | None = None) -> None:
        self._engine = engine
        self._box = box
        self._session: Session | None = None

    def __enter__(self) -> Self:
        session = Session(self._engine, expire_on_commit=False)
        self._session = session
        self.conversations = SqlConversationRepository(session)
        self.requests = SqlRequestRepository(session)
        self.secrets = SqlSecretVault(session, self._box)
        self.audit = SqlAuditLog(session)
        self.inventory = SqlInventory(session)
        self.reminders = SqlReminderLog(session)
        self.leases = SqlJobLeases(session)
        self.minted = SqlMintedLedger(session)
        self.links = SqlAccountLinks(session)
        self.handoffs = SqlHandoffs(session)
        self.job_access = SqlJobTokenAccess(session)
        self.reviews = SqlBreakGlassReviews(session)
        self.approval_notices = SqlApprovalNotices(session)
        self.hygiene_digests = SqlHygieneDigestLog(session)
        self.hygiene = SqlHygiene(session)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session = self._require()
        session.rollback()  # a no-op after commit; undoes anything left uncommitted
        session.close()
        self._session = None

    def commit(self) -> None:
        self._require().commit()

    def rollback(self) -> None:
        self._require().rollback()

    def _require(self) -> Session:
        if self._session is None:
            raise RuntimeError("unit of work used outside its 'with' block")
        return self._session
