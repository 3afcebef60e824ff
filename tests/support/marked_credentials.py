"""What the GitLab simulator holds that bears a tokenbot mark, and whether requests account
for it: the checks behind the exactly-once tests and the chaos benchmark.

Secrets are never read out: a credential is known by its type, id and the digest GitLab
keeps, and a delivered secret is compared by its digest.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime

from bot.domain.minted import MintedCredential, MintedStatus
from bot.domain.provenance import request_of
from bot.domain.requests import RequestState, TokenRequest
from bot.domain.tokens import TokenType
from bot.sandbox import GitlabSimulator

# What a GitLab record is, for reading its mark: resource and service-account tokens carry
# it in their description, deploy tokens and triggers in their name.
_ACCESS, _DEPLOY, _TRIGGER = (
    TokenType.PROJECT_ACCESS_TOKEN,
    TokenType.DEPLOY_TOKEN,
    TokenType.PIPELINE_TRIGGER_TOKEN,
)


@dataclass(frozen=True, slots=True)
class Marked:
    """A credential in the simulator bearing a request's mark."""

    request_id: str
    kind: str  # "access", "deploy" or "trigger"
    gitlab_id: int
    digest: str  # SHA-256 of its secret, as GitLab keeps it
    live: bool


def digest_of(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def marked(sim: GitlabSimulator, now: datetime | None = None) -> list[Marked]:
    """Every credential bearing a mark, live or not, in the order GitLab made them."""
    state = sim.state
    at = now or state.now()
    found: list[Marked] = []
    with state.lock:
        for token in state.tokens.values():
            owner = request_of(_ACCESS, token.name, token.description or "")
            if owner is not None:
                found.append(Marked(owner, "access", token.id, token.digest, token.is_active(at)))
        for deploy in state.deploy_tokens.values():
            owner = request_of(_DEPLOY, deploy.name, "")
            if owner is not None:
                found.append(
                    Marked(owner, "deploy", deploy.id, deploy.digest, deploy.is_active(at))
                )
        for trigger in state.triggers.values():
            owner = request_of(_TRIGGER, trigger.description, "")
            if owner is not None:
                found.append(Marked(owner, "trigger", trigger.id, digest_of(trigger.token), True))
    return found


def live_of(sim: GitlabSimulator, request_id: str) -> list[Marked]:
    return [m for m in marked(sim) if m.live and m.request_id == request_id]


# Asked for checks (after every worker is done, or dead): no request may stay in these.
_IN_FLIGHT = frozenset({RequestState.APPROVED, RequestState.PROVISIONING, RequestState.ROTATING})


@dataclass(frozen=True, slots=True)
class Verdict:
    """How the requests and GitLab stand with each other; all empty when exactly once held."""

    orphans: list[Marked]  # live, bearing a mark, and no request holds it
    duplicates: list[str]  # requests with more than one live credential bearing their mark
    stuck: list[str]  # approved or provisioning and nobody on it, or still unsure
    lost: list[str]  # provisioned requests whose credential is not live
    live_failed: list[str]  # failed requests with a live credential bearing their mark
    pending_revokes: list[MintedCredential]

    @property
    def clean(self) -> bool:
        return not (
            self.orphans
            or self.duplicates
            or self.stuck
            or self.lost
            or self.live_failed
            or self.pending_revokes
        )


def judge(
    sim: GitlabSimulator,
    requests: Iterable[TokenRequest],
    ledger: Iterable[MintedCredential] = (),
    *,
    only: Collection[str] | None = None,
) -> Verdict:
    """Check the exactly-once promise for `requests` against what the simulator holds
    (only credentials bearing the marks of the requests `only` names, if given)."""
    by_id = {r.id: r for r in requests}
    live = [m for m in marked(sim) if m.live and (only is None or m.request_id in only)]
    per_request: dict[str, list[Marked]] = {}
    for credential in live:
        per_request.setdefault(credential.request_id, []).append(credential)
    held = {
        (r.id, r.gitlab_token_id) for r in by_id.values() if r.state is RequestState.PROVISIONED
    }
    return Verdict(
        orphans=[m for m in live if (m.request_id, m.gitlab_id) not in held],
        duplicates=sorted(rid for rid, found in per_request.items() if len(found) > 1),
        stuck=sorted(
            r.id for r in by_id.values() if r.state in _IN_FLIGHT or r.unsure_since is not None
        ),
        lost=sorted(
            r.id
            for r in by_id.values()
            if r.state is RequestState.PROVISIONED
            and not any(m.gitlab_id == r.gitlab_token_id for m in per_request.get(r.id, []))
        ),
        live_failed=sorted(
            r.id for r in by_id.values() if r.state is RequestState.FAILED and r.id in per_request
        ),
        pending_revokes=[e for e in ledger if e.status is MintedStatus.REVOKING],
    )
