"""Building the python-gitlab client: URL, credential, CA bundle, timeout, retries, budget."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import gitlab
import requests

from bot.gitlab.http import BudgetedAdapter, RateBudget, RetryPolicy, report_response
from bot.gitlab.server_pace import ServerPace


@dataclass(frozen=True, slots=True)
class ClientOptions:
    url: str
    token: str
    ca_bundle: str | None = None  # a PEM file for self-managed GitLab behind a private CA
    timeout_seconds: float = 10.0
    requests_per_second: float | None = None  # None: no budget
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    pool_size: int = 32


class _Client(gitlab.Gitlab):
    """python-gitlab with its own retry loops off: BudgetedAdapter alone decides retries.

    `retry_transient_errors=False` alone is not enough: python-gitlab still sleeps and retries
    every 429 itself (`obey_rate_limit`, up to 10 times) on top of the adapter's budget.
    """

    def http_request(self, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs["obey_rate_limit"] = False
        kwargs["retry_transient_errors"] = False
        return super().http_request(*args, **kwargs)


def build_client(options: ClientOptions) -> tuple[gitlab.Gitlab, RateBudget | None]:
    """A python-gitlab client whose every request goes through the budgeted adapter."""
    budget = RateBudget(options.requests_per_second) if options.requests_per_second else None
    session = requests.Session()
    adapter = BudgetedAdapter(
        budget=budget, retry=options.retry, pool_maxsize=options.pool_size, pace=ServerPace()
    )
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.hooks["response"].append(report_response)  # outcomes for metrics, see http.py
    client = _Client(
        options.url,
        private_token=options.token,
        ssl_verify=options.ca_bundle or True,
        timeout=options.timeout_seconds,
        retry_transient_errors=False,
        session=session,
        per_page=100,
    )
    return client, budget
