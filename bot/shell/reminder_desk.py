"""Expiry reminders in the sandbox shell: the real sync and sweep, printed instead of posted.

The shell keeps its own clock (`ShellClock`, shared with the simulated GitLab). At the start
it syncs the watched groups and runs today's sweep; `time +7d` moves the clock a day at a
time and, like the scheduler, syncs and sweeps on each day passed, printing what each day
posts. The reminder log in the database decides what is posted, so a threshold is reminded
of once, however often time moves.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from bot.domain.expiry import days_left
from bot.domain.reminders import Reminder, SyncReport, TrackedToken
from bot.domain.requests import RequestError
from bot.services.gitlab_errors import GitLabError
from bot.services.identity import IdentityError
from bot.services.inventory_sync import SyncDeps, SyncError, sync_inventory
from bot.services.reminder_actions import ActionDeps
from bot.services.reminders import ReminderDeps, ReminderPoster, sweep
from bot.services.renewals import RenewDeps, can_rotate
from bot.shell.clock import ShellClock, TimeError, day_label, target_day
from bot.shell.people import shell_person
from bot.shell.printed_reminders import PrintedReminders
from bot.shell.reminder_text import plain, plural, reminder_card, tracked_table
from bot.shell.renewal_commands import RENEW, ROTATE, USAGE, RenewalCommands
from bot.shell.token_actions import ACTIONS, YES, precondition
from bot.shell.token_numbers import NumberError, TokenNumbers

COMMANDS = frozenset({"time", "reminders", *ACTIONS, ROTATE, RENEW})
HELP = f"""Expiry reminders (the sandbox keeps its own time):
  time                        the sandbox's date and time
  time +7d, time +2w          move time forward (or: time YYYY-MM-DD); each day passed
                              syncs GitLab and runs the daily sweep, printing its reminders
  reminders                   tracked tokens by days left, with their numbers
  {"let-expire N":<27} no more reminders for token N
  {"revoke N":<27} revoke token N in GitLab now (asks first)
  {"claim N":<27} become the owner of token N (while it has none)
  {USAGE[ROTATE]:<27} a fresh secret for token N, same expiry, for you
  {USAGE[RENEW]:<27} a fresh secret until that date"""


@dataclass(frozen=True, slots=True)
class ReminderSetup:
    """What reminders in the shell need; every part reads the same `clock`."""

    clock: ShellClock
    groups: tuple[str, ...]
    sync: SyncDeps
    reminders: Callable[[ReminderPoster], ReminderDeps]  # the sweep's deps, for a poster
    actions: ActionDeps
    user_map: Mapping[str, str] = field(default_factory=dict)
    renewals: RenewDeps | None = None  # Rotate and Renew, when token requests are set up
    # False against a real GitLab: the tracked tokens as `tokenbot run` keeps them, acted on
    # as from Slack; no sync or sweep here (that would take reminders from Slack), no `time`.
    sandbox: bool = True


class ReminderDesk:
    """The reminder commands of the shell; without a setup (no sandbox) each says why not."""

    def __init__(
        self,
        setup: ReminderSetup | None,
        *,
        read: Callable[[], str],
        say: Callable[[str], None],
    ) -> None:
        self._say = say
        self._session = _Session(setup, read=read, say=say) if setup is not None else None

    @property
    def enabled(self) -> bool:
        return self._session is not None

    def start(self) -> None:
        """Sync the watched groups and show what today's sweep posts."""
        if self._session is not None:
            self._session.start()

    def handle(self, user: str, command: str, rest: str) -> None:
        if self._session is None:
            self._say(
                "Tracked tokens need GitLab: set GITLAB_URL and GITLAB_TOKEN, or try them with"
                " tokenbot shell --sandbox (see docs/reminders.md)."
            )
        elif command == "time" and not self._session.sandbox:
            self._say("Time moves only in the sandbox: tokenbot shell --sandbox.")
        elif command == "time":
            self._session.time(rest.strip())
        elif command == "reminders":
            self._session.list_tokens()
        else:
            self._session.act(user, command, rest)


class _Session:
    def __init__(
        self, setup: ReminderSetup, *, read: Callable[[], str], say: Callable[[str], None]
    ) -> None:
        self._setup = setup
        self._clock = setup.clock
        self._read = read
        self._say = say
        self._numbers = TokenNumbers()
        self._printed = PrintedReminders()
        self._sweep = setup.reminders(self._printed)
        _check_one_clock(setup, self._sweep)
        self._first = self._swept = self._clock.today()  # day 0; the last day swept

    @property
    def sandbox(self) -> bool:
        return self._setup.sandbox

    def start(self) -> None:
        if not self._setup.sandbox:
            return  # tokenbot run syncs and reminds; here the tracked tokens are acted on
        report = self._sync()
        synced = (
            report
            if isinstance(report, str)
            else f"Synced the watched groups ({', '.join(self._setup.groups)}) from GitLab:"
            f" {report.places} places, {plural(report.tokens, 'credential')} tracked."
        )
        self._say(
            f"{synced}\nThe sandbox keeps its own time: type time +7d to move it a week forward"
            " and see what each day's sweep posts, or reminders to list every tracked token."
        )
        if not self._show_day(self._run_sweep()):
            self._say(f"{self._label(self._swept)}: the daily sweep has nothing to post.")

    # ------------------------------------------------------------------ time

    def time(self, rest: str) -> None:
        clock = self._clock
        if not rest:
            self._say(
                f"It is {self._label(clock.today())}, {clock():%H:%M} UTC in the sandbox."
                " Move forward with time +7d, time +2w or time YYYY-MM-DD."
            )
            return
        try:
            target = target_day(rest, clock.today())
        except TimeError as exc:
            self._say(f"Time did not move: {exc}.")
            return
        if target <= self._swept:
            self._say(f"It is {self._label(target)} already; time did not move.")
            return
        days = (target - self._swept).days
        busy = 0
        for _ in range(days):
            day = self._swept + timedelta(days=1)
            if day > clock.today():  # else midnight came by itself while the shell was open
                clock.move_to(day)
            self._swept = day
            report = self._sync()
            if isinstance(report, str):
                self._say(report)
            elif report.added or report.gone:
                self._say(
                    f"GitLab sync on {self._label(day)}: {plural(report.added, 'new token')},"
                    f" {report.gone} gone."
                )
            busy += self._show_day(self._run_sweep())
        said = f"It is now {self._label(target)} in the sandbox. {plural(days, 'daily sweep')} ran"
        self._say(
            f"{said}, {busy} with reminders." if busy else f"{said}; none had anything to post."
        )

    def _sync(self) -> SyncReport | str:
        """Sync as the scheduler would; a failure is what to say (the last sync's data stays)."""
        try:
            return sync_inventory(self._setup.groups, deps=self._setup.sync)
        except SyncError as exc:
            return f"GitLab sync on {self._label(self._swept)} failed: {exc}"

    def _run_sweep(self) -> tuple[list[Reminder], int]:
        sweep(deps=self._sweep)
        return self._printed.take()

    def _show_day(self, posted: tuple[list[Reminder], int]) -> bool:
        """Print what the day's sweep posted; False when it posted nothing."""
        reminders, digests = posted
        if not reminders:
            return False
        digest = (
            f" (in Slack, one digest: more than {self._sweep.digest_threshold} for one channel)"
            if digests
            else ""
        )
        cards = [self._card(reminder) for reminder in reminders]
        self._say(
            f"{self._label(self._swept)}: the daily sweep posts"
            f" {plural(len(reminders), 'reminder')}{digest}:\n" + "\n".join(cards)
        )
        return True

    def _card(self, reminder: Reminder) -> str:
        token = reminder.token
        offered = [name for name, action in ACTIONS.items() if action.offered(token)]
        if self._setup.renewals is not None and reminder.days_left > 0 and can_rotate(token):
            offered = [RENEW, ROTATE, *offered]
        return reminder_card(reminder, self._numbers.number(token.key), offered)

    def _label(self, day: date) -> str:
        return day_label(day, self._first)

    # ------------------------------------------------------------------ tokens

    def list_tokens(self) -> None:
        today = self._clock.today()
        where = ", ".join(self._setup.groups)
        with self._setup.actions.uow() as uow:
            tokens = uow.inventory.tokens()
            reminded = uow.reminders.levels_posted([t.key for t in tokens])
        if not tokens:
            self._say(f"No token is tracked in {where}: the groups have none, or the sync failed.")
            return

        def nearest(token: TrackedToken) -> tuple[bool, int, str, str]:
            left = days_left(token.expires_on, today)
            return (left is None, left or 0, token.namespace.path, token.name)

        numbered = [(self._numbers.number(t.key), t) for t in sorted(tokens, key=nearest)]
        self._say(
            f"Tokens tracked in {where} on {self._label(today)}, nearest expiry first:\n"
            + tracked_table(numbered, today, reminded)
            + "\nType let-expire N, revoke N or claim N, with N from the # column."
        )

    def act(self, user: str, command: str, rest: str) -> None:
        """One reminder action on token number `rest`, as `user`; a refusal is one line."""
        if command in {ROTATE, RENEW}:
            self._renewal(user, command, rest)
            return
        action, deps = ACTIONS[command], self._setup.actions
        try:
            key = self._numbers.key(rest, command)
            person = shell_person(user, gitlab=deps.gitlab, user_map=self._setup.user_map)
            with deps.uow() as uow:
                token = uow.inventory.get(key)
            if token is None:
                raise RequestError("tokenbot no longer tracks this token")
            why_not = precondition(command, token)
            if why_not is not None:
                raise RequestError(why_not)
            if action.confirm is not None and not self._confirmed(action.confirm(token)):
                self._say(action.kept)
                return
            done = action.run(key, person, deps)
        except (NumberError, RequestError, IdentityError, GitLabError) as exc:
            self._say(f"Nothing changed: {plain(str(exc))}")
            return
        self._say(f"[{self._numbers.number(done.key)}] {action.done(done, user)}")

    def _renewal(self, user: str, command: str, rest: str) -> None:
        renewals, deps = self._setup.renewals, self._setup.actions
        word, _, more = rest.strip().partition(" ")
        try:
            if renewals is None:
                raise RequestError("token requests are not set up, so tokenbot cannot rotate")
            key = self._numbers.key(word, USAGE[command])
            person = shell_person(user, gitlab=deps.gitlab, user_map=self._setup.user_map)
            commands = RenewalCommands(renewals, say=self._say, confirm=self._confirmed)
            commands.run(command, key, person, more)
        except (NumberError, RequestError, IdentityError, GitLabError) as exc:
            self._say(f"Not rotated: {plain(str(exc))}")

    def _confirmed(self, question: str) -> bool:
        self._say(question)
        try:
            answer = self._read()
        except (EOFError, KeyboardInterrupt):
            return False
        return answer.strip().lower() in YES


def _check_one_clock(setup: ReminderSetup, sweep_deps: ReminderDeps) -> None:
    """Moving time must move it for everything; a second clock would split the sandbox."""
    clocks = (setup.sync.clock, setup.actions.clock, sweep_deps.clock)
    if any(clock is not setup.clock for clock in clocks):
        raise ValueError("the sync, the sweep and the actions must all read the shell's clock")
