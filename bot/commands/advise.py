"""`tokenbot advise` and `tokenbot tree`: the advisor on the command line, and its chart."""

from __future__ import annotations

import argparse
import json
from typing import Any

from bot.bootstrap import advice_context
from bot.commands import EXIT_OK, UsageError
from bot.config import Settings
from bot.domain.advice import Recommendation
from bot.domain.diagram import render_mermaid
from bot.domain.fine_grained import ACCESS, FineGrainedAdvice
from bot.services.advisor import Advice, advise
from bot.shell.text import render_prompt, render_recommendation


def add_advise_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `tokenbot advise`."""
    advise_cmd = commands.add_parser(
        "advise",
        help="which token should I use? (answers on the command line)",
        description="Prints the next question, or the recommendation once every answer on"
        " the path is given.",
    )
    advise_cmd.add_argument(
        "--answer",
        "-a",
        action="append",
        default=[],
        metavar="ID=VALUE",
        help="answer a question; repeat for more (capabilities=clone,push)",
    )
    advise_cmd.add_argument("--json", action="store_true", help="print JSON")


def add_tree_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `tokenbot tree`."""
    commands.add_parser("tree", help="print the advisor's decision tree as a Mermaid chart")


def run_advise(args: argparse.Namespace, settings: Settings) -> int:
    return _advise(args.answer, as_json=args.json, settings=settings)


def run_tree(args: argparse.Namespace, settings: Settings) -> int:
    print(render_mermaid(advice_context(settings).tree), end="")
    return EXIT_OK


def _advise(raw_answers: list[str], *, as_json: bool, settings: Settings) -> int:
    answers = _parse_answers(raw_answers)
    result = advise(answers, context=advice_context(settings))
    if as_json:
        print(json.dumps(advice_json(result), indent=2))
    elif result.recommendation is not None:
        for ignored in result.walk.ignored:
            print(f"(ignored '{ignored}': that question is not on this path)")
        print(render_recommendation(result.recommendation))
    elif result.prompt is not None:
        print(f"Next question [{result.prompt.question_id}]:")
        print(render_prompt(result.prompt, numbered=False))
        print(
            f"\nAnswer with: tokenbot advise {_as_args(answers)}--answer"
            f" {result.prompt.question_id}=VALUE"
        )
    return EXIT_OK


def advice_json(result: Advice) -> dict[str, Any]:
    """The `advise --json` document; field names are a public contract."""
    base: dict[str, Any] = {
        "complete": result.complete,
        "path": list(result.walk.path),
        "ignored_answers": list(result.walk.ignored),
    }
    if result.recommendation is not None:
        return base | recommendation_json(result.recommendation)
    prompt = result.prompt
    assert prompt is not None  # noqa: S101 - an incomplete walk always has a prompt
    base["next_question"] = {
        "id": prompt.question_id,
        "text": prompt.text,
        "multiple": prompt.multiple,
        "choices": [{"value": c.value, "label": c.label} for c in prompt.choices],
        "help": prompt.help,
    }
    return base


def recommendation_json(rec: Recommendation) -> dict[str, Any]:
    return {
        "token_type": rec.token_type.value,
        "title": rec.title,
        "summary": rec.summary,
        "target": rec.target.value,
        "capabilities": [c.value for c in rec.capabilities],
        "scopes": [s.value for s in rec.scopes],
        "access_level": int(rec.access_level) if rec.access_level else None,
        "role": rec.access_level.label if rec.access_level else None,
        "lifetime_days": rec.lifetime_days,
        "risk": rec.risk,
        "reasons": list(rec.reasons),
        "warnings": list(rec.warnings),
        "how_to": list(rec.how_to),
        "first_choice": rec.first_choice.value if rec.first_choice else None,
        "fallback": rec.fallback.value if rec.fallback else None,
        "seed_node": rec.seed_node,
        "fine_grained": _fine_grained_json(rec.fine_grained),
    }


def _fine_grained_json(advice: FineGrainedAdvice | None) -> dict[str, Any] | None:
    if advice is None:
        return None
    return {
        "availability": advice.availability.value,
        "availability_reason": advice.availability_reason,
        "usable": advice.usable,
        "access": ACCESS if advice.usable else None,
        "permissions": [{"name": p.name, "source": p.source} for p in advice.permissions],
        "blockers": list(advice.blockers),
    }


def _parse_answers(raw: list[str]) -> dict[str, str]:
    answers: dict[str, str] = {}
    for item in raw:
        question_id, sep, value = item.partition("=")
        question_id, value = question_id.strip(), value.strip()
        if not sep or not question_id or not value:
            raise UsageError(f"--answer expects ID=VALUE, got '{item}'")
        if question_id in answers:
            raise UsageError(f"--answer {question_id} is given twice")
        answers[question_id] = value
    return answers


def _as_args(answers: dict[str, str]) -> str:
    return "".join(f"--answer {qid}={value} " for qid, value in answers.items())
