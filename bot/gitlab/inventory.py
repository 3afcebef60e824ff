"""Listing every credential of a group tree: lazily paginated, concurrent, within a budget.

Group-level credentials are read first; then each project's tokens, deploy tokens and trigger
tokens are read by a bounded pool of workers. A place the bot may not read (401/403/404) is
skipped and reported through progress; an outage or a bad bot credential stops the walk, so
callers can keep their previous inventory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from functools import partial
from typing import Any, Protocol, TypeVar

import gitlab

from bot.domain.credentials import InventoryProgress, Namespace, NamespaceKind, TokenRecord
from bot.domain.tokens import TokenType
from bot.gitlab import mapping
from bot.services.gitlab_errors import NotFoundError, PermissionDeniedError
from bot.services.gitlab_port import ProgressCallback

T = TypeVar("T")
_SKIPPABLE = (NotFoundError, PermissionDeniedError)


class _Caller(Protocol):
    def call(self, what: str, operation: Callable[[], T]) -> T: ...


def walk_inventory(
    caller: _Caller,
    gl: gitlab.Gitlab,
    groups: Sequence[str],
    *,
    workers: int,
    progress: ProgressCallback | None,
) -> Iterator[TokenRecord]:
    errors: list[str] = []
    found = 0
    projects: dict[int, Namespace] = {}
    for path in groups:
        group = caller.call(f"group '{path}'", partial(gl.groups.get, path))
        top = mapping.namespace(group.attributes, NamespaceKind.GROUP)
        for record in _group_level(caller, gl, top, errors):
            found += 1
            yield record
        listed = caller.call(
            path,
            partial(_all_projects, group),
        )
        for project in listed:
            projects.setdefault(
                int(project.id), mapping.namespace(project.attributes, NamespaceKind.PROJECT)
            )
    done = 0
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="inventory") as pool:
        pending: set[Future[list[TokenRecord]]] = {
            pool.submit(_project_level, caller, gl, ns, errors) for ns in projects.values()
        }
        try:
            while pending:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    records = future.result()
                    done += 1
                    found += len(records)
                    yield from records
                    if progress:
                        progress(
                            InventoryProgress(done, len(projects), found, errors=tuple(errors))
                        )
        finally:
            for future in pending:
                future.cancel()


def _group_level(
    caller: _Caller, gl: gitlab.Gitlab, top: Namespace, errors: list[str]
) -> Iterator[TokenRecord]:
    group = gl.groups.get(top.id, lazy=True)
    subgroups = _listed(
        caller,
        f"subgroups of {top.path}",
        errors,
        lambda: group.descendant_groups.list(iterator=True),
    )
    namespaces = [top, *(mapping.namespace(g.attributes, NamespaceKind.GROUP) for g in subgroups)]
    for ns in namespaces:
        lazy = gl.groups.get(ns.id, lazy=True)
        yield from (
            mapping.access_token(t.attributes, TokenType.GROUP_ACCESS_TOKEN, ns)
            for t in _listed(
                caller,
                f"tokens of {ns.path}",
                errors,
                partial(lazy.access_tokens.list, iterator=True),
            )
        )
        yield from (
            mapping.deploy_token(t.attributes, ns)
            for t in _listed(
                caller,
                f"deploy tokens of {ns.path}",
                errors,
                partial(lazy.deploytokens.list, iterator=True),
            )
        )
    accounts = _listed(
        caller,
        f"service accounts of {top.path}",
        errors,
        lambda: group.service_accounts.list(iterator=True),
    )
    for account in accounts:
        yield from (
            mapping.access_token(t.attributes, TokenType.SERVICE_ACCOUNT_PAT, top)
            for t in _listed(
                caller,
                f"tokens of {account.attributes.get('username')}",
                errors,
                partial(account.access_tokens.list, iterator=True),
            )
        )


def _project_level(
    caller: _Caller, gl: gitlab.Gitlab, ns: Namespace, errors: list[str]
) -> list[TokenRecord]:
    project = gl.projects.get(ns.id, lazy=True)
    records = [
        mapping.access_token(t.attributes, TokenType.PROJECT_ACCESS_TOKEN, ns)
        for t in _listed(
            caller,
            f"tokens of {ns.path}",
            errors,
            lambda: project.access_tokens.list(iterator=True),
        )
    ]
    records += [
        mapping.deploy_token(t.attributes, ns)
        for t in _listed(
            caller,
            f"deploy tokens of {ns.path}",
            errors,
            lambda: project.deploytokens.list(iterator=True),
        )
    ]
    records += [
        mapping.trigger_token(t.attributes, ns)
        for t in _listed(
            caller,
            f"trigger tokens of {ns.path}",
            errors,
            lambda: project.triggers.list(iterator=True),
        )
    ]
    return records


def _all_projects(group: Any) -> list[Any]:
    return list(group.projects.list(iterator=True, include_subgroups=True, with_shared=False))


def _listed(
    caller: _Caller, what: str, errors: list[str], operation: Callable[[], Iterable[Any]]
) -> list[Any]:
    """All pages of one listing; a place the bot may not read is noted and skipped."""
    try:
        return caller.call(what, lambda: list(operation()))
    except _SKIPPABLE as exc:
        errors.append(f"{what}: {exc}")
        return []
