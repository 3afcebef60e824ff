"""The `tokenbot` sub-commands, one module per command or group of commands.

Each module has `add_<name>_parser(commands)`, which registers its arguments on the CLI's
sub-command parsers, and `run_<name>(args, settings)`, which runs it and returns the exit
code. bot/cli.py adds them in order and dispatches to them (as it does `check_command.py` and
`reconcile_command.py`).
"""

from __future__ import annotations

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad command-line input; the message is shown as it is."""
