"""Slack front end: Bolt listeners, Block Kit builders and the HTTP/Socket Mode runners."""
