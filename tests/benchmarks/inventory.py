"""Benchmark: inventory of a generated group tree through the real gateway and python-gitlab.

    python -m tests.benchmarks.inventory [--projects 2000] [--latency-ms 50]
                                         [--configs 20:8,400:32] [--gitlab-limit 0]

Each configuration is `requests per second : workers`; the default compares the shipped
defaults (TOKENBOT_GITLAB_REQUESTS_PER_SECOND=20, 8 inventory workers) with 400/s and 32
workers. Prints the inventory time, the requests made and per project, and the peak request
rate the simulated GitLab saw against the budget. `--gitlab-limit N` makes the simulator
throttle at N requests a minute with GitLab's `RateLimit-*` headers (GitLab.com: 2000), to
see the inventory pace itself at what GitLab allows. The tree is the admin's view of a
self-managed GitLab (no credentials inventory API: that is GitLab.com's).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from typing import Any

from bot.gitlab.client import ClientOptions
from bot.gitlab.gateway import build_gateway


def _ask(server: subprocess.Popen[str], command: str) -> Any:
    assert server.stdin is not None
    assert server.stdout is not None
    server.stdin.write(f"{command}\n")
    server.stdin.flush()
    return json.loads(server.stdout.readline())


def _run(server: subprocess.Popen[str], hello: dict[str, Any], rate: float, workers: int) -> None:
    _ask(server, "clear")
    gateway = build_gateway(
        ClientOptions(
            hello["url"],
            hello["token"],
            timeout_seconds=30.0,
            requests_per_second=rate,
            pool_size=workers * 2,
        ),
        inventory_workers=workers,
    )
    started = time.perf_counter()
    records = list(gateway.inventory([hello["root"]]))
    elapsed = time.perf_counter() - started
    stats = _ask(server, "stats")
    projects = hello["projects"]
    print(f"--- budget {rate:.0f} requests/s, {workers} workers")
    print(f"credentials found:   {len(records)} (generated: {hello['tokens']})")
    print(f"inventory time:      {elapsed:.2f} s")
    print(f"requests made:       {stats['requests']} ({stats['throttled']} answered 429)")
    print(f"requests / project:  {stats['requests'] / projects:.2f}")
    print(f"mean request rate:   {stats['requests'] / elapsed:.1f} per second")
    # The simulator counts a window closed at both ends, so one more start is within budget.
    verdict = "kept" if stats["peak_rate_1s"] <= rate + 1 else "EXCEEDED"
    print(f"peak rate (1 s):     {stats['peak_rate_1s']:.0f} per second   (budget: {verdict})")
    print(f"peak in flight:      {stats['peak_in_flight']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=2000)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--configs", default="20:8,400:32", help="rate:workers, comma-separated")
    parser.add_argument("--gitlab-limit", type=int, default=0, help="GitLab's limit per minute")
    args = parser.parse_args()
    configs = [tuple(map(float, c.split(":"))) for c in args.configs.split(",")]
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.benchmarks.simulated_gitlab",
            "--projects",
            str(args.projects),
            "--latency-ms",
            str(args.latency_ms),
            "--gitlab-limit",
            str(args.gitlab_limit),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    try:
        hello = {**json.loads(server.stdout.readline()), "projects": args.projects}
        print(f"projects:            {args.projects}")
        print(f"injected latency:    {args.latency_ms:.0f} ms per request")
        limit = f"{args.gitlab_limit} per minute" if args.gitlab_limit else "none"
        print(f"GitLab's throttle:   {limit}")
        for rate, workers in configs:
            _run(server, hello, rate, int(workers))
    finally:
        if server.stdin:
            server.stdin.write("quit\n")
            server.stdin.close()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
