"""The composition root: the only place that picks adapters and wires them together."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.engine import Engine

from bot.config import Settings
from bot.db.engine import create_db_engine
from bot.db.migrate import upgrade
from bot.db.unit_of_work import SqlUnitOfWork
from bot.services.advisor import AdviceContext
from bot.services.conversations import ConversationDeps
from bot.services.ports import Clock, UnitOfWork


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Container:
    settings: Settings
    db: Engine
    advice: AdviceContext
    conversations: ConversationDeps
    uow: Callable[[], UnitOfWork]
    clock: Clock

    def close(self) -> None:
        self.db.dispose()


def advice_context(settings: Settings) -> AdviceContext:
    """What the stateless advisor needs; no database involved."""
    return AdviceContext(platform=settings.platform, policy=settings.lifetime_policy)


def bootstrap(settings: Settings, *, clock: Clock = utc_now, migrate: bool = True) -> Container:
    """Build everything a command needs; migrations run first so the schema is current."""
    db = create_db_engine(settings.effective_database_url)
    if migrate:
        upgrade(db)

    def uow() -> UnitOfWork:
        return SqlUnitOfWork(db)

    advice = advice_context(settings)
    deps = ConversationDeps(uow=uow, context=advice, clock=clock)
    return Container(settings, db, advice, deps, uow, clock)
