"""Terminal front end: chat with tokenbot without Slack (like Hubot's shell adapter)."""
