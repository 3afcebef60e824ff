"""A simulated GitLab in its own process, for benchmarks (client and server don't share a GIL).

It prints one JSON line with its URL and admin token, then answers commands on stdin:
`stats` prints the request count and the peak request rate as JSON; `quit` (or EOF) stops.
"""

from __future__ import annotations

import argparse
import json
import sys

from bot.sandbox import GitlabSimulator, SandboxServer, generate_tree


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--projects", type=int, default=2000)
    parser.add_argument("--tokens-per-project", type=int, default=1)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument(
        "--gitlab-limit", type=int, default=0, help="RateLimit-* throttle per minute (0: off)"
    )
    args = parser.parse_args()
    sim = GitlabSimulator()
    tree = generate_tree(sim, projects=args.projects, tokens_per_project=args.tokens_per_project)
    with SandboxServer(sim) as server:
        sim.faults.latency(args.latency_ms)
        if args.gitlab_limit:
            sim.throttle.configure(limit=args.gitlab_limit, period_s=60)
        print(
            json.dumps(
                {
                    "url": server.url,
                    "token": tree.admin_token,
                    "root": tree.root_path,
                    "tokens": tree.token_count,
                }
            ),
            flush=True,
        )
        for line in sys.stdin:
            if line.strip() == "clear":
                sim.requests.clear()
                sim.throttle.configure(limit=sim.throttle.limit, period_s=60)
                print("{}", flush=True)
            elif line.strip() == "stats":
                print(
                    json.dumps(
                        {
                            "requests": sim.requests.count(),
                            "throttled": sim.requests.count(status=429),
                            "peak_rate_1s": sim.requests.peak_rate(window_s=1.0),
                            "peak_in_flight": sim.requests.peak_in_flight,
                        }
                    ),
                    flush=True,
                )
            elif line.strip() == "quit":
                break


if __name__ == "__main__":
    main()
