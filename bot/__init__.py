"""tokenbot: helps people pick, request and keep track of the right GitLab access token."""

__version__ = "0.1.0"
