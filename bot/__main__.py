"""Lets `python -m bot` behave like the `tokenbot` command."""

from bot.cli import main

raise SystemExit(main())
