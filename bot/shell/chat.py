"""The terminal chat loop: the same conversation engine as Slack, typed instead of clicked."""

from __future__ import annotations

import sys
from collections.abc import Callable

from bot.domain.advice import Recommendation
from bot.domain.tokens import TokenType
from bot.domain.walk import AnswerError
from bot.services.conversations import (
    ConversationDeps,
    Turn,
    answer_question,
    current_turn,
    go_back,
    start_conversation,
)
from bot.services.intents import Intent, match_answer, recognise
from bot.shell.job_access_desk import COMMAND as JOB_ACCESS
from bot.shell.job_access_desk import job_access_desk
from bot.shell.reminder_desk import COMMANDS as REMINDER_COMMANDS
from bot.shell.reminder_desk import HELP as REMINDER_HELP
from bot.shell.reminder_desk import ReminderDesk, ReminderSetup
from bot.shell.request_desk import COMMANDS, RequestDesk, RequestSetup
from bot.shell.text import render_prompt, render_recommendation

QUIT_WORDS = frozenset({"quit", "exit", "bye", r"\q"})
HELP = """I help you choose the right GitLab credential, and request it.
  which token should I use?   start choosing (any similar question works)
  1, 2, ... or an id          answer the current question (several: 1,3)
  back                        change your last answer
  start over                  begin again
Token requests (an approver decides; the token is created once approved):
  request                     ask for a token, field by field
  request this                ask for the token just recommended (fields filled in)
  mine                        your requests and where they stand
  pending                     open requests you may decide on
  show ID                     one request in full (the first 4 characters of an id will do)
  approve ID                  approve a request; the last approval creates the token
  deny ID REASON              deny a request, saying why
  cancel ID                   withdraw your own request
  retry ID                    try again to create a token GitLab refused (approvers)
  reveal ID                   show your new token, once
  rotate ID                   a new token by hand-off: the old one works until it is used
  rotate ID in-place          a fresh secret now; the old one stops working (a leak)
  revoke-old ID               end a hand-off now: revoke the old token (ID of the rotation)
  cancel-handoff ID           end a hand-off: revoke the new token, keep the old one
  breakglass                  not here: only in Slack, where it is announced and reviewed
  job-access [request | approve ID | deny ID | remove ID]
                              CI/CD job token access: list it, ask for it, decide on it
  whoami                      who you are here and in GitLab
  as NAME                     act as another user, e.g. to approve as someone else
  quit                        leave (your answers are kept for next time)"""
_KEPT = "leave (your answers are kept for next time)"


class ShellChat:
    def __init__(
        self,
        deps: ConversationDeps,
        *,
        user: str,
        requests: RequestSetup,
        temporary: bool = False,
        reminders: ReminderSetup | None = None,
        read: Callable[[str], str] = input,
        write: Callable[[str], None] = print,
    ) -> None:
        self._deps = deps
        self._user = user
        self._temporary = temporary  # a sandbox: nothing outlives the session
        self._read = read
        self._write = write
        self._desk = RequestDesk(requests, read=lambda: self._read("you> "), say=self._say)
        self._reminders = ReminderDesk(reminders, read=lambda: self._read("you> "), say=self._say)
        self._jobs = job_access_desk(requests, read=lambda: self._read("you> "), say=self._say)

    @property
    def _key(self) -> str:
        return f"shell:{self._user}"

    def run(self) -> int:
        if sys.stdin.isatty():
            import readline  # noqa: F401, PLC0415 - line editing and history for people typing
        self._say(
            f'Hi {self._user}, I\'m tokenbot. Ask me "which token should I use?", or type help.'
        )
        turn = current_turn(self._key, deps=self._deps)
        if turn is not None and turn.advice.prompt is not None:
            self._say("We were in the middle of choosing a token; here is where we stopped.")
            self._show(turn)
        self._reminders.start()
        while True:
            try:
                going = self.handle(self._read("you> "))
            except (EOFError, KeyboardInterrupt):
                self._say("Bye.")
                return 0
            if not going:
                self._say(
                    "Bye. The sandbox and everything in it are gone now."
                    if self._temporary
                    else "Bye. Your answers are kept; run `tokenbot shell` to pick up again."
                )
                return 0

    def handle(self, text: str) -> bool:
        """React to one line; False means the person wants to leave."""
        text = text.strip()
        if not text:
            return True
        if text.lower() in QUIT_WORDS:
            return False
        word, _, rest = text.partition(" ")
        if word.lower() == "as":
            self._become(rest.strip())
            return True
        turn = current_turn(self._key, deps=self._deps)
        command = word.lower()
        if command in COMMANDS or command in REMINDER_COMMANDS or command == JOB_ACCESS:
            self._dispatch(command, rest, turn)
            return True
        prompt = turn.advice.prompt if turn else None
        value = match_answer(prompt, text) if prompt else None
        if prompt is not None and value is not None:
            self._answer(prompt.question_id, value)
            return True
        self._command(recognise(text), turn)
        return True

    def _dispatch(self, command: str, rest: str, turn: Turn | None) -> None:
        if command == JOB_ACCESS:
            self._jobs.handle(self._user, rest)
        elif command in COMMANDS:
            self._desk.handle(self._user, command, rest, _recommendation(turn))
        else:
            self._reminders.handle(self._user, command, rest)

    def _command(self, intent: Intent, turn: Turn | None) -> None:
        if intent is Intent.ADVISE or intent is Intent.START_OVER:
            self._show(start_conversation(self._key, deps=self._deps))
        elif intent is Intent.BACK and turn is not None and turn.can_go_back:
            self._show(go_back(self._key, deps=self._deps))
        elif intent is Intent.BACK:
            self._say("There is nothing to go back to.")
        elif intent is Intent.HELP:
            text = HELP.replace(_KEPT, "leave (the sandbox ends)") if self._temporary else HELP
            if self._reminders.enabled:
                text = f"{text}\n{REMINDER_HELP}"
            self._say(text if self._desk.enabled else f"{text}\n{self._desk.off_notice()}")
        elif turn is not None and turn.advice.prompt is not None:
            count = len(turn.advice.prompt.choices)
            self._say(
                f"I didn't get that. Type a number from 1 to {count}, 'back',"
                " 'start over' or 'help'."
            )
        else:
            self._say(
                'I can help you choose a GitLab token: ask "which token should I use?"'
                " or type help."
            )

    def _answer(self, question_id: str, value: str) -> None:
        try:
            turn = answer_question(self._key, question_id, value, deps=self._deps)
        except AnswerError as exc:
            self._say(f"That answer doesn't fit: {exc}")
            return
        self._show(turn)

    def _show(self, turn: Turn) -> None:
        if turn.notice:
            self._say(turn.notice)
        advice = turn.advice
        if advice.prompt is not None:
            step = len(turn.history) + 1
            self._say(f"({step}) {render_prompt(advice.prompt)}")
        elif advice.recommendation is not None:
            self._say(render_recommendation(advice.recommendation))
            offer = self._desk.can_request(advice.recommendation)
            request = " Type 'request this' to ask for it." if offer else ""
            if self._desk.enabled and advice.recommendation.token_type is TokenType.CI_JOB_TOKEN:
                request = " Type 'job-access request' to let your jobs into another project."
            self._say(f"Type 'back' to change your last answer, or 'start over'.{request}")

    def _become(self, name: str) -> None:
        if not name or " " in name:
            self._say("Say who to act as: as NAME (for example: as bob).")
            return
        self._user = name
        self._desk.whoami(name, now=True)

    def _say(self, text: str) -> None:
        self._write(f"tokenbot> {text}\n")


def _recommendation(turn: Turn | None) -> Recommendation | None:
    return turn.advice.recommendation if turn is not None else None
