"""Block Kit builders; the only place that assembles Slack UI."""
