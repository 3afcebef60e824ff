"""Bolt listeners, one `register(app, ...)` per group."""
