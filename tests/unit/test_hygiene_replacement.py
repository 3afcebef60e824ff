"""Replace with a narrower token: the advisor's narrower choice for the request form."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.credentials import Namespace, NamespaceKind
from bot.domain.reminders import TrackedToken
from bot.domain.tokens import AccessLevel, Scope, TokenType
from bot.services.hygiene_replacement import narrower_choice

PLACE = Namespace(NamespaceKind.PROJECT, 7, "acme/api")


def _token(scopes: tuple[str, ...], role: AccessLevel | None) -> TrackedToken:
    return TrackedToken(
        "project_access_token:1",
        TokenType.PROJECT_ACCESS_TOKEN,
        1,
        "ci",
        PLACE,
        scopes,
        role,
        date(2027, 1, 1),
    )


@pytest.mark.parametrize(
    ("scopes", "role", "want_scopes", "want_role"),
    [
        (("api",), AccessLevel.MAINTAINER, (Scope.READ_API,), AccessLevel.DEVELOPER),
        (("api", "read_api"), AccessLevel.OWNER, (Scope.READ_API,), AccessLevel.DEVELOPER),
        (
            ("write_repository", "read_registry"),
            AccessLevel.REPORTER,
            (Scope.READ_REPOSITORY, Scope.READ_REGISTRY),
            AccessLevel.REPORTER,  # never raised to Developer
        ),
        (("read_api", "not_a_scope"), None, (Scope.READ_API,), None),
    ],
)
def test_the_form_gets_read_scopes_and_no_role_above_developer(
    scopes: tuple[str, ...],
    role: AccessLevel | None,
    want_scopes: tuple[Scope, ...],
    want_role: AccessLevel | None,
) -> None:
    choice = narrower_choice(_token(scopes, role))
    assert choice.scopes == want_scopes
    assert choice.role == want_role
