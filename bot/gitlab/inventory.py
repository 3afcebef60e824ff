"""Listing every credential of a group tree: lazily paginated, concurrent, within a budget.

First the tree's shape is read (each watched group, its subgroups, its projects), and what
the bot may list in one go (`inventory_reach`). Then every place's credentials are read by one
bounded pool of workers: each group's access and deploy tokens, each top group's
service-account tokens, each project's access, deploy and trigger tokens and deploy keys
(kinds a wide listing already gave are skipped). Last, each watched group's people's personal
access tokens (`people_tokens`). A place the bot may not read (401/403/404) is skipped and
reported through progress; an outage or a bad bot credential stops the walk, so callers can
keep their previous inventory.

Runner authentication tokens are not listed: `GET /runners/:id` does not show
`token_expires_at` (`lib/api/entities/ci/runner_details.rb`; gitlab-org/gitlab#627823), and
only resetting the token (`POST /runners/:id/reset_authentication_token`) returns it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

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
from bot.gitlab import inventory_reach, mapping
from bot.gitlab.caller import Caller
from bot.gitlab.inventory_reach import Reach
from bot.gitlab.people_tokens import personal_part
from bot.services.gitlab_errors import NotFoundError, PermissionDeniedError
from bot.services.gitlab_port import ProgressCallback

_SKIPPABLE = (NotFoundError, PermissionDeniedError)
_PAT_FAMILY = frozenset(
    {TokenType.PROJECT_ACCESS_TOKEN, TokenType.GROUP_ACCESS_TOKEN, TokenType.SERVICE_ACCOUNT_PAT}
)

__all__ = ["Caller", "walk_inventory", "walk_places"]


@dataclass(frozen=True, slots=True)
class _Place:
    namespace: Namespace
    top: bool = False  # a watched group: service accounts live there
    root_id: int = 0  # the watched group it was found under
    root_is_top_level: bool = False  # that group has no parent (the manage API's reach)
    projects: int | None = None  # a group's projects, its subgroups' included


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
    every = _places(caller, gl, groups)
    places = [p for p in every if place_key(p.namespace) not in skip]
    projects_total = sum(1 for p in places if p.namespace.kind is NamespaceKind.PROJECT)
    errors: list[str] = []
    reach = _reach(caller, gl, every, errors)
    known_ids: set[int] = set()
    found = projects_done = 0
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="inventory") as pool:
        pending: dict[Future[PlaceTokens], _Place] = {
            pool.submit(_credentials_of, caller, gl, place, reach, errors): place
            for place in places
        }
        try:
            while pending:
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    place = pending.pop(future)
                    tokens = future.result()
                    found += len(tokens.records)
                    known_ids.update(
                        r.gitlab_id for r in tokens.records if r.token_type in _PAT_FAMILY
                    )
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
    for root in (p for p in every if p.top):
        part = personal_part(
            caller,
            gl,
            root.namespace,
            _subgroups(every, root),
            reach=reach,
            known_ids=known_ids,
            errors=errors,
        )
        if part.key in skip:
            continue
        found += len(part.records)
        yield part
        if progress:
            progress(InventoryProgress(projects_done, projects_total, found, errors=tuple(errors)))


def _reach(caller: Caller, gl: gitlab.Gitlab, every: list[_Place], errors: list[str]) -> Reach:
    user_id, admin = inventory_reach.account(caller, gl)
    reach = Reach(admin=admin, user_id=user_id)
    for root in (p for p in every if p.top and p.root_is_top_level):
        under = [p.namespace for p in every if p.root_id == root.namespace.id]
        inventory_reach.resource_tokens_of_root(
            caller, gl, root.namespace, under, reach=reach, errors=errors
        )
    if admin:
        projects = [p.namespace for p in every if p.namespace.kind is NamespaceKind.PROJECT]
        reach.deploy_keys = inventory_reach.instance_deploy_keys(caller, gl, projects, errors)
    return reach


def _subgroups(every: list[_Place], root: _Place) -> list[Namespace]:
    return [
        p.namespace
        for p in every
        if p.root_id == root.namespace.id and p.namespace.kind is NamespaceKind.GROUP and not p.top
    ]


def _places(caller: Caller, gl: gitlab.Gitlab, groups: Sequence[str]) -> list[_Place]:
    """Every group and project under the watched groups, each once."""
    seen: dict[tuple[NamespaceKind, int], _Place] = {}
    for path in groups:
        group = caller.call(f"group '{path}'", partial(gl.groups.get, path, with_projects=False))
        top = mapping.namespace(group.attributes, NamespaceKind.GROUP)
        top_level = group.attributes.get("parent_id") is None
        seen.setdefault((top.kind, top.id), _Place(top, True, top.id, top_level))
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
            seen.setdefault((kind, ns.id), _Place(ns, False, top.id, top_level))
    return _with_project_counts(list(seen.values()))


def _with_project_counts(places: list[_Place]) -> list[_Place]:
    """Each group with the number of projects under it (what a group-wide token reaches)."""
    under: Counter[str] = Counter()
    for place in places:
        if place.namespace.kind is NamespaceKind.PROJECT:
            parts = place.namespace.path.split("/")
            under.update("/".join(parts[:size]) for size in range(1, len(parts)))
    return [
        replace(place, projects=under[place.namespace.path])
        if place.namespace.kind is NamespaceKind.GROUP
        else place
        for place in places
    ]


class _Lister:
    """One place's listings; a refused one is noted and makes the place unreadable."""

    def __init__(self, caller: Caller, errors: list[str]) -> None:
        self._caller, self._errors = caller, errors
        self.readable = True

    def __call__(self, what: str, manager: Any) -> list[Any]:
        try:
            return self._caller.call(what, partial(_all, manager.list))
        except _SKIPPABLE as exc:
            self._errors.append(f"{what}: {exc}")
            self.readable = False
            return []


def _credentials_of(
    caller: Caller, gl: gitlab.Gitlab, place: _Place, reach: Reach, errors: list[str]
) -> PlaceTokens:
    ns, listed = place.namespace, _Lister(caller, errors)
    records = list(reach.resource_tokens.get(place_key(ns), ()))
    wide = reach.covers_resource_tokens(place.root_id)
    if ns.kind is NamespaceKind.PROJECT:
        records += _project_records(gl, ns, listed, reach, wide=wide)
    else:
        records += _group_records(gl, place, listed, wide=wide)
    return PlaceTokens(ns, tuple(records), listed.readable, projects=place.projects)


def _project_records(
    gl: gitlab.Gitlab, ns: Namespace, listed: _Lister, reach: Reach, *, wide: bool
) -> list[TokenRecord]:
    project = gl.projects.get(ns.id, lazy=True)
    records: list[TokenRecord] = []
    if not wide:
        records += [
            mapping.access_token(t.attributes, TokenType.PROJECT_ACCESS_TOKEN, ns)
            for t in listed(f"tokens of {ns.path}", project.access_tokens)
        ]
    records += [
        mapping.deploy_token(t.attributes, ns)
        for t in listed(f"deploy tokens of {ns.path}", project.deploytokens)
    ]
    records += [
        mapping.trigger_token(t.attributes, ns)
        for t in listed(f"trigger tokens of {ns.path}", project.triggers)
    ]
    if reach.deploy_keys is not None:
        return records + reach.deploy_keys.get(ns.id, [])
    # `GET /projects/:id/deploy_keys` (lib/api/deploy_keys.rb, Maintainers and up).
    return records + [
        mapping.deploy_key(k.attributes, ns)
        for k in listed(f"deploy keys of {ns.path}", project.keys)
    ]


def _group_records(
    gl: gitlab.Gitlab, place: _Place, listed: _Lister, *, wide: bool
) -> list[TokenRecord]:
    ns = place.namespace
    group = gl.groups.get(ns.id, lazy=True)
    records: list[TokenRecord] = []
    if not wide:
        records += [
            mapping.access_token(t.attributes, TokenType.GROUP_ACCESS_TOKEN, ns)
            for t in listed(f"tokens of {ns.path}", group.access_tokens)
        ]
    records += [
        mapping.deploy_token(t.attributes, ns)
        for t in listed(f"deploy tokens of {ns.path}", group.deploytokens)
    ]
    if place.top:
        for account in listed(f"service accounts of {ns.path}", group.service_accounts):
            name = account.attributes.get("username")
            records += [
                mapping.access_token(t.attributes, TokenType.SERVICE_ACCOUNT_PAT, ns)
                for t in listed(f"tokens of {name}", account.access_tokens)
            ]
    return records


def _all(list_method: Callable[..., Iterable[Any]], **filters: Any) -> list[Any]:
    """Every page, fetched lazily one after another (python-gitlab follows `Link: next`)."""
    return list(list_method(iterator=True, **filters))
