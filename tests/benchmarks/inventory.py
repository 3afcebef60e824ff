"""Benchmark: inventory of a generated group tree through the real gateway and python-gitlab.

    python -m tests.benchmarks.inventory [--projects 2000] [--latency-ms 50] [--rate 400]
                                         [--workers 32]

Prints the inventory time, the requests made, and the peak request rate the simulated GitLab
saw, against the configured budget. Target (issue 3): 2,000 projects at 50 ms per request in
under 20 s, never above the configured request rate.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

from bot.gitlab.client import ClientOptions
from bot.gitlab.gateway import build_gateway


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=2000)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--rate", type=float, default=400.0, help="request budget per second")
    parser.add_argument("--workers", type=int, default=32, help="inventory concurrency")
    args = parser.parse_args()

    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.benchmarks.simulated_gitlab",
            "--projects",
            str(args.projects),
            "--latency-ms",
            str(args.latency_ms),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdin is not None
    assert server.stdout is not None
    try:
        hello = json.loads(server.stdout.readline())
        gateway = build_gateway(
            ClientOptions(
                hello["url"],
                hello["token"],
                timeout_seconds=30.0,
                requests_per_second=args.rate,
                pool_size=args.workers * 2,
            ),
            inventory_workers=args.workers,
        )
        started = time.perf_counter()
        records = list(gateway.inventory([hello["root"]]))
        elapsed = time.perf_counter() - started
        server.stdin.write("stats\n")
        server.stdin.flush()
        stats = json.loads(server.stdout.readline())
    finally:
        if server.stdin:
            server.stdin.write("quit\n")
            server.stdin.close()
        server.wait(timeout=30)

    print(f"projects:            {args.projects}")
    print(f"injected latency:    {args.latency_ms:.0f} ms per request")
    print(f"workers / budget:    {args.workers} / {args.rate:.0f} requests per second")
    print(f"credentials found:   {len(records)} (generated: {hello['tokens']})")
    print(f"inventory time:      {elapsed:.2f} s   (target: under 20 s)")
    print(f"requests made:       {stats['requests']}")
    print(f"mean request rate:   {stats['requests'] / elapsed:.1f} per second")
    # The simulator counts a window closed at both ends, so one more start is within budget.
    verdict = "kept" if stats["peak_rate_1s"] <= args.rate + 1 else "EXCEEDED"
    print(f"peak rate (1 s):     {stats['peak_rate_1s']:.0f} per second   (budget: {verdict})")
    print(f"peak in flight:      {stats['peak_in_flight']}")


if __name__ == "__main__":
    main()
