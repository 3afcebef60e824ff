"""How the requester uses a credential tokenbot made: what the reveal shows beside it."""

from __future__ import annotations

from bot.domain.credentials import NamespaceKind
from bot.domain.requests import TokenRequest
from bot.domain.tokens import TokenType
from bot.domain.usage import Credential, Usage, usage
from bot.services.request_deps import RequestDeps


def usage_of(
    request: TokenRequest, *, deps: RequestDeps, in_variable: bool = False
) -> Usage | None:
    """Its username, API header and commands; `in_variable`: the commands read its CI/CD
    variable (else a shell variable the requester sets from the revealed secret)."""
    draft = request.draft
    credential = Credential(
        token_type=draft.token_type,
        scopes=tuple(str(scope) for scope in draft.scopes),
        target=draft.target,
        gitlab_url=deps.gitlab_url,
        account=request.token_account,
        place=_place(request, deps),
        variable=draft.variable_key if in_variable else None,
        name=draft.name,
    )
    return usage(credential)


def _place(request: TokenRequest, deps: RequestDeps) -> NamespaceKind | None:
    """A deploy token's project or group, as recorded when it was minted (the path alone
    does not say)."""
    if request.draft.token_type is not TokenType.DEPLOY_TOKEN:
        return None
    with deps.uow() as uow:
        minted = uow.minted.of_request(request.id)
    kinds = [entry.ref.namespace.kind for entry in minted if entry.ref.namespace is not None]
    return kinds[-1] if kinds else None
