"""Use cases and the ports (Protocols) they need; no Slack, GitLab or database libraries here."""
