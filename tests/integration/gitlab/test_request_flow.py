"""The request flow through the real gateway, the GitLab simulator and a real database."""

from __future__ import annotations

import itertools
import logging
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from bot.db.secret_box import FernetBox
from bot.db.unit_of_work import SqlUnitOfWork
from bot.domain.audit import AuditAction
from bot.domain.request_policy import RequestPolicy
from bot.domain.requests import RequestDraft, RequestState
from bot.domain.tokens import AccessLevel, Scope, TokenType
from bot.sandbox import AccessLevel as GitLabRole
from bot.services.provisioning import provision_request
from bot.services.token_requests import (
    NotAllowedError,
    Person,
    RequestDeps,
    approve_request,
    submit_request,
)
from tests.fakes import reveal_now
from tests.integration.gitlab.conftest import NOW, TODAY, Company


@pytest.fixture
def deps(company: Company, db: Engine) -> RequestDeps:
    box = FernetBox("an-encryption-key-for-tests-only-0123456789")
    ids = (f"req-{n}" for n in itertools.count(1))
    return RequestDeps(
        uow=lambda: SqlUnitOfWork(db, box),
        gitlab=company.gateway(),
        policy=RequestPolicy(),
        clock=lambda: NOW,
        new_id=lambda: next(ids),
    )


def _dump(db: Engine) -> str:
    """Every value in every table, as text."""
    with db.connect() as conn:
        return "\n".join(
            str(row)
            for table in SQLModel.metadata.sorted_tables
            for row in conn.execute(sa.select(table))
        )


def test_request_approve_provision_reveal_and_the_secret_is_nowhere_else(
    company: Company, deps: RequestDeps, db: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    olga = company.sim.state.add_user("olga", name="Olga Owner")
    company.sim.state.add_member(olga, company.acme, GitLabRole.OWNER)
    alice = Person("U0ALICE", company.alice.id)
    draft = RequestDraft(
        TokenType.PROJECT_ACCESS_TOKEN,
        "acme/platform/api",
        "release-notes",
        (Scope.READ_API,),
        AccessLevel.REPORTER,
        TODAY + timedelta(days=30),
        "CI reads merged MRs to write release notes",
    )
    request = submit_request(alice, draft, deps=deps)
    with pytest.raises(NotAllowedError):
        approve_request(request.id, Person("U0DAN", company.dan.id), deps=deps)
    approve_request(request.id, Person("U0OLGA", olga.id), deps=deps)
    provisioned = provision_request(request.id, deps=deps).request
    assert provisioned.state is RequestState.PROVISIONED
    gl_token = company.sim.state.tokens[provisioned.gitlab_token_id or 0]
    assert gl_token.name == "release-notes"
    assert list(gl_token.scopes) == ["read_api"]

    _, secret = reveal_now(request.id, alice, deps=deps)
    value = secret.reveal()
    assert value.startswith("glpat-")
    assert value not in _dump(db)
    assert value not in caplog.text
    assert all(value not in record.getMessage() for record in caplog.records)
    with deps.uow() as uow:
        actions = [e.action for e in uow.audit.events()]
    assert actions == [
        AuditAction.REQUESTED,
        AuditAction.APPROVED,
        AuditAction.PROVISIONING,
        AuditAction.PROVISIONED,
        AuditAction.REVEALED,
    ]


def test_two_provisioners_at_once_create_one_token(company: Company, deps: RequestDeps) -> None:
    import threading

    olga = company.sim.state.add_user("olga", name="Olga Owner")
    company.sim.state.add_member(olga, company.acme, GitLabRole.OWNER)
    draft = RequestDraft(
        TokenType.GROUP_ACCESS_TOKEN,
        "acme/platform",
        "platform-reader",
        (Scope.READ_API,),
        AccessLevel.REPORTER,
        TODAY + timedelta(days=30),
        "dashboards read pipelines of the platform group",
    )
    alice = Person("U0ALICE", company.alice.id)
    company.sim.state.add_member(company.alice, company.platform, GitLabRole.MAINTAINER)
    request = submit_request(alice, draft, deps=deps)
    assert request.required_approvals == 2  # a group-wide token is risky
    omar = company.sim.state.add_user("omar", name="Omar Owner")
    company.sim.state.add_member(omar, company.acme, GitLabRole.OWNER)
    approve_request(request.id, Person("U0OLGA", olga.id), deps=deps)
    approve_request(request.id, Person("U0OMAR", omar.id), deps=deps)
    barrier = threading.Barrier(3)
    started: list[bool] = []

    def go() -> None:
        barrier.wait()
        started.append(provision_request(request.id, deps=deps).started)

    threads = [threading.Thread(target=go) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(started) == [False, False, True]
    made = [t for t in company.sim.state.tokens.values() if t.name == "platform-reader"]
    assert len(made) == 1
