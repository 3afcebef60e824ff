"""Observability: structured logs with a request id per Slack interaction, and metrics.

- `logs`: `configure_logging` (JSON lines off a terminal, text on one) and the filter that
  masks anything shaped like a GitLab or Slack token.
- `context`: the request id of the Slack interaction being handled, and a thread pool that
  carries it into the threads Bolt runs listeners on.
- `slack`: the Bolt middleware that sets the request id and logs one line per interaction,
  and the Slack API error counter.
- `metrics`: Prometheus metrics in tokenbot's own registry, the database collector behind the
  gauges, and `start_metrics` for `tokenbot run`.

An adapter-level package (see the import-linter layers in pyproject.toml): the Slack front end
uses it, it reads the database and observes the GitLab adapter; the domain and the services
never import it (a service reports through a port of its own).
"""
