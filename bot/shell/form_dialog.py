"""Asking the request form's fields one by one at the terminal, then submitting it.

Nothing is stored until `submit` succeeds: a refusal names the fields to fix, and only those
are asked again. `cancel` at any question abandons the form (FormCancelled).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from bot.domain.requests import RequestDraft, TokenRequest
from bot.services.gitlab_errors import GitLabError
from bot.services.identity import IdentityError
from bot.services.token_requests import RequestRejected
from bot.shell.form_input import FieldError, pick_one
from bot.shell.request_form import HINTS, LABELS, RequestForm

CANCEL_WORDS = frozenset({"cancel", "abort", "stop"})
# Checks a typed field's value at once (a path GitLab does not know); a problem or None.
FieldCheck = Callable[[str], str | None]


class FormCancelled(Exception):
    """The person abandoned the form."""


class FormDialog:
    def __init__(
        self,
        form: RequestForm,
        *,
        read: Callable[[], str],
        say: Callable[[str], None],
        checks: Mapping[str, FieldCheck] | None = None,
    ) -> None:
        self.form = form
        self._read = read
        self._say = say
        self._checks = checks or {}

    def run(self, submit: Callable[[RequestDraft], TokenRequest]) -> TokenRequest:
        """Ask, review, submit; after a refusal ask again what it names, and resubmit."""
        self._say(
            "New token request. Press Enter to keep the value in [brackets];"
            " type cancel to stop. Nothing is stored until you submit."
        )
        self.ask(self.form.fields())
        review = True
        while True:
            if review:
                self._review()
            try:
                return submit(self.form.draft())
            except RequestRejected as exc:
                fix = [p.field for p in exc.problems if p.field in self.form.fields()]
                lines = [f"  - {LABELS.get(p.field, p.field)}: {p.message}" for p in exc.problems]
                self._say("Not submitted; please fix:\n" + "\n".join(lines))
                self.ask(fix)
                review = not fix
            except (IdentityError, GitLabError) as exc:
                self._say(f"Not submitted: {exc}")
                review = True

    def ask(self, names: Iterable[str]) -> None:
        """Ask these fields in form order, then any that became needed (a new token type)."""
        wanted = set(names)
        for name in list(LABELS):
            if name in wanted and name in self.form.fields():
                self._ask_one(name)
        for name in self.form.missing():
            self._ask_one(name)

    def _ask_one(self, name: str) -> None:
        while True:
            self._say(self._question(name))
            text = self._line()
            before = self.form.values.get(name)
            try:
                self.form.answer(name, text)
            except FieldError as exc:
                self._say(f"{exc}. Try again, or type cancel.")
                continue
            check = self._checks.get(name)
            problem = check(self.form.values.get(name, "")) if check else None
            if problem is None:
                return
            self._say(f"{problem} Try again, or type cancel.")
            if before is None:
                self.form.values.pop(name, None)
            else:
                self.form.values[name] = before

    def _line(self) -> str:
        """One typed line; cancel (or Ctrl-C, or the end of input) abandons the form."""
        try:
            text = self._read()
        except (EOFError, KeyboardInterrupt):
            raise FormCancelled from None
        if text.strip().lower() in CANCEL_WORDS:
            raise FormCancelled
        return text

    def _question(self, name: str) -> str:
        current = self.form.shown(name)
        head = f"{LABELS[name]}" + (f" [{current}]" if current else "")
        hint = HINTS.get(name)
        lines = [f"{head}:" + (f"  ({hint})" if hint else "")]
        for index, (value, label) in enumerate(self.form.options(name) or [], start=1):
            lines.append(f"  {index:>2}. {label}" + (f"  [{value}]" if value != label else ""))
        return "\n".join(lines)

    def _review(self) -> None:
        """Show the whole draft; Enter submits, a field's number or name changes it."""
        while True:
            names = self.form.fields()
            rows = [
                f"  {i:>2}. {LABELS[n] + ':':<24}{self.form.shown(n)}"
                for i, n in enumerate(names, start=1)
            ]
            self._say(
                "Your request:\n"
                + "\n".join(rows)
                + "\nPress Enter to submit it, type a number or field name to change it,"
                " or cancel."
            )
            text = self._line().strip()
            if not text:
                return
            try:
                name = pick_one(text, [(n, LABELS[n]) for n in names])
            except FieldError as exc:
                self._say(f"{exc}.")
                continue
            self.ask([name])
