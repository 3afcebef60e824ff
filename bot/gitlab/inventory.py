"""Listing every credential of a group tree: lazily paginated, concurrent, within a budget.

First the tree's shape is read (each watched group, its subgroups, its projects). Then every
place's credentials are read by one bounded pool of workers: each group's access and deploy
tokens, each top group's service-account tokens, each project's access, deploy and trigger
tokens. A place the bot may not read (401/403/404) is skipped and reported through progress;
an outage or a bad bot credential stops the walk, so callers can keep their previous inventory.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from functools import partial
from typing import Any, Protocol, TypeVar

import gitlab

from bot.domain.credentials import (
    InventoryProgress,
    Namespace,
    NamespaceKind,
    PlaceTokens,
    TokenRecord,
    place_key,
)
from bot.domain.tokens import TokenType
from bot.gitlab import mapping
from bot.services.gitlab_errors import NotFoundError, PermissionDeniedError
from bot.services.gitlab_port import ProgressCallback

T = TypeVar("T")
_SKIPPABLE = (NotFoundError, PermissionDeniedError)


class Caller(Protocol):
    def call(self, what: str, operation: Callable[[], T]) -> T: ...


@dataclass(frozen=True, slots=True)
class _Place:
    namespace: Namespace
    top: bool = False  # a watched group: service accounts live there


def walk_inventory(
    caller: Caller,
    gl: gitlab.Gitlab,
    groups: Sequence[str],
    *,
    workers: int,
    progress: ProgressCallback | None,
) -> Iterator[TokenRecord]:
    for place in walk_places(caller, gl, groups, workers=workers, progress=progress):
        yield from place.records


def walk_places(
    caller: Caller,
    gl: gitlab.Gitlab,
    groups: Sequence[str],
    *,
    workers: int,
    progress: ProgressCallback | None,
    skip: Collection[str] = (),
) -> Iterator[PlaceTokens]:
    """Each place's credentials as soon as that place is read completely.

    Places in `skip` (by `place_key`) are not read: a resumed sync has them already.
    """
    places = [p for p in _places(caller, gl, groups) if place_key(p.namespace) not in skip]
    projects_total = sum(1 for p in places if p.namespace.kind is NamespaceKind.PROJECT)
    errors: list[str] = []
    found = projects_done = 0
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="inventory") as pool:
        pending: dict[Future[PlaceTokens], _Place] = {
            pool.submit(_credentials_of, caller, gl, place, errors): place for place in places
        }
        try:
            while pending:
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    place = pending.pop(future)
                    tokens = future.result()
                    found += len(tokens.records)
                    projects_done += place.namespace.kind is NamespaceKind.PROJECT
                    yield tokens
                    if progress:
                        progress(
                            InventoryProgress(
                                projects_done, projects_total, found, errors=tuple(errors)
                            )
                        )
        finally:
            for future in pending:
                future.cancel()


def _places(caller: Caller, gl: gitlab.Gitlab, groups: Sequence[str]) -> list[_Place]:
    """Every group and project under the watched groups, each once."""
    seen: dict[tuple[NamespaceKind, int], _Place] = {}
    for path in groups:
        group = caller.call(f"group '{path}'", partial(gl.groups.get, path, with_projects=False))
        top = mapping.namespace(group.attributes, NamespaceKind.GROUP)
        seen.setdefault((top.kind, top.id), _Place(top, top=True))
        lazy = gl.groups.get(top.id, lazy=True)
        subgroups = caller.call(path, partial(_all, lazy.descendant_groups.list))
        # with_shared=False: projects merely shared into the group belong elsewhere.
        projects = caller.call(
            path, partial(_all, lazy.projects.list, include_subgroups=True, with_shared=False)
        )
        for item, kind in [
            *((g, NamespaceKind.GROUP) for g in subgroups),
            *((p, NamespaceKind.PROJECT) for p in projects),
        ]:
            ns = mapping.namespace(item.attributes, kind)
            seen.setdefault((kind, ns.id), _Place(ns))
    return list(seen.values())


def _credentials_of(
    caller: Caller, gl: gitlab.Gitlab, place: _Place, errors: list[str]
) -> PlaceTokens:
    ns = place.namespace
    readable = [True]

    def listed(what: str, manager: Any) -> list[Any]:
        try:
            return caller.call(what, partial(_all, manager.list))
        except _SKIPPABLE as exc:
            errors.append(f"{what}: {exc}")
            readable[0] = False
            return []

    records: list[TokenRecord]
    if ns.kind is NamespaceKind.PROJECT:
        project = gl.projects.get(ns.id, lazy=True)
        records = [
            *(
                mapping.access_token(t.attributes, TokenType.PROJECT_ACCESS_TOKEN, ns)
                for t in listed(f"tokens of {ns.path}", project.access_tokens)
            ),
            *(
                mapping.deploy_token(t.attributes, ns)
                for t in listed(f"deploy tokens of {ns.path}", project.deploytokens)
            ),
            *(
                mapping.trigger_token(t.attributes, ns)
                for t in listed(f"trigger tokens of {ns.path}", project.triggers)
            ),
        ]
        return PlaceTokens(ns, tuple(records), readable[0])
    group = gl.groups.get(ns.id, lazy=True)
    records = [
        *(
            mapping.access_token(t.attributes, TokenType.GROUP_ACCESS_TOKEN, ns)
            for t in listed(f"tokens of {ns.path}", group.access_tokens)
        ),
        *(
            mapping.deploy_token(t.attributes, ns)
            for t in listed(f"deploy tokens of {ns.path}", group.deploytokens)
        ),
    ]
    if place.top:
        for account in listed(f"service accounts of {ns.path}", group.service_accounts):
            name = account.attributes.get("username")
            records += [
                mapping.access_token(t.attributes, TokenType.SERVICE_ACCOUNT_PAT, ns)
                for t in listed(f"tokens of {name}", account.access_tokens)
            ]
    return PlaceTokens(ns, tuple(records), readable[0])


def _all(list_method: Callable[..., Iterable[Any]], **filters: Any) -> list[Any]:
    """Every page, fetched lazily one after another (python-gitlab follows `Link: next`)."""
    return list(list_method(iterator=True, **filters))
