"""Large generated group/project trees with many tokens, for load tests and benchmarks."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from bot.sandbox.app import GitlabSimulator
from bot.sandbox.models import AccessLevel, Project
from bot.sandbox.seed import add_personal_token, add_resource_token
from bot.sandbox.state import SandboxState


@dataclass(frozen=True)
class TreeInfo:
    """How to reach the generated tree."""

    root_path: str
    admin_username: str
    admin_token: str
    project_ids: tuple[int, ...]
    token_count: int


def _add_tokens(
    state: SandboxState, project: Project, count: int, rng: random.Random, today: date
) -> None:
    for number in range(count):
        soon = rng.random() < 0.1
        days = rng.randint(1, 30) if soon else rng.randint(31, 365)
        add_resource_token(
            state,
            project,
            name=f"token-{number}",
            level=rng.choice((AccessLevel.DEVELOPER, AccessLevel.MAINTAINER)),
            scopes=["api"] if rng.random() < 0.5 else ["read_api", "read_repository"],
            expires_at=today + timedelta(days=days),
        )


def generate_tree(
    sim: GitlabSimulator,
    *,
    projects: int,
    tokens_per_project: int,
    projects_per_group: int = 50,
    root: str = "bench",
    seed: int = 0,
) -> TreeInfo:
    """`root` with subgroups of `projects_per_group` projects, each with resource tokens.

    Expiry dates spread over the next year (about a tenth within 30 days); seeded, so
    two runs with the same arguments give the same tree shape and dates.
    """
    state = sim.state
    rng = random.Random(seed)  # noqa: S311 - reproducible shapes, not secrets
    with state.lock:
        today = state.today()
        admin = state.add_user(f"{root}-admin", name=f"{root.title()} Administrator", is_admin=True)
        _, admin_token = add_personal_token(
            state, admin, name=f"{root}-admin", expires_at=today + timedelta(days=365)
        )
        top = state.add_group(root)
        ids: list[int] = []
        group = top
        for index in range(projects):
            if index % projects_per_group == 0:
                group = state.add_group(f"team-{index // projects_per_group:03d}", parent=top)
            project = state.add_project(f"service-{index:05d}", group=group)
            ids.append(project.id)
            _add_tokens(state, project, tokens_per_project, rng, today)
    return TreeInfo(root, admin.username, admin_token, tuple(ids), projects * tokens_per_project)
