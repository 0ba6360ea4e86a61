"""Every shell example of README.md and docs/*.md runs as written, so that the docs cannot drift.

The fenced ``sh`` blocks are read (README.md first, then docs/ by name), split into commands
(``\\`` continuations joined, a trailing ``&`` keeps the command running for the rest of its
block) and run with bash in one scratch environment: an embedded Redis in a data directory of its
own (the night replayed first into ``rehearsal`` and into a run of its own: :data:`SEEDS`),
``soiree`` on the PATH. The commands of a block run one after the other in a working directory of
the block's own; blocks run :data:`WORKERS` at a time, those of :data:`RUN_LAST` after all.
Each must exit 0; one that runs until stopped (a server, a live ticker, ``--follow``) must have
started and shown its first output, and then stop cleanly (status 0) on Ctrl-C.

What a test may not do is rewritten, and only that: fixed ports become port 0 (the system picks),
``--host 0.0.0.0`` becomes 127.0.0.1, and the addresses the examples name for the sources and a
broadcaster are the test's own (nothing leaves the machine). Files the docs say are the user's
own (``my-sources.toml``, ``token.txt``) are written first. Examples that cannot run inside a
test (the setup, the test suite itself, installing, the benchmarks: minutes each) are
:data:`NOT_RUN`, each with its reason; their options are still parsed, their paths checked.
"""

from __future__ import annotations

import json
import os
import re
import select
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import pytest

from ingest.cli import build_parser
from tests.cli_process import soiree, soiree_env
from tests.conftest import BUNDLED_NIGHT_DIR, ROOT, TIMEOUT_FACTOR

DOCS: Final = (ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")))
SHELL_LANGUAGES: Final = ("sh", "bash", "shell")

#: Examples not run here, by their first words, and why. Their paths and options are checked.
NOT_RUN: Final = {
    "bash .ci/setup": "installs packages (network, minutes); .ci/setup is checked to exist",
    "bash .ci/run": "runs the whole suite, this test included",
    ".venv/bin/python -m pytest": "the test suite itself; the test files it names are checked",
    "for i in": "200 runs of the property tests",
    "pipx install": "installs from the network",
    ".venv/bin/pip install": "installs from the network",
    "PATH=.venv/bin:$PATH .venv/bin/honcho": "the Procfile's processes: tests/test_procfile.py",
    "soiree bench": "minutes of measurements (docs/benchmarks.md); its options are parsed",
    "python -m tests.benchmarks": "a benchmark group, minutes; the module is checked to exist",
    ".venv/bin/mutmut": "mutation testing, 9 to 25 minutes (docs/testing.md)",
    "datasette serve": "Datasette's server on its fixed port 8001: tests/test_export_command.py"
    " runs it on a unix socket",
    "soiree night from-recording": "needs a recording of a whole night: tests/test_recording.py",
    "soiree replay --night my-night": "plays what from-recording made: tests/test_recording.py",
}

#: How long an example may take to show its first output, or to finish.
FIRST_OUTPUT: Final = 60.0
#: How long an example that printed something gets to finish before it is taken as running.
SETTLE: Final = 1.0


@dataclass(frozen=True)
class Example:
    """One command of a fenced block: where it is, and its text."""

    doc: str
    line: int
    block: int
    text: str

    @property
    def background(self) -> bool:
        """Whether it ends with ``&``: it runs for the rest of its block."""
        return self.text.rstrip().endswith("&")

    def __str__(self) -> str:
        return f"{self.doc}:{self.line}: {self.text}"


def _uncommented(line: str) -> str:
    """``line`` without its trailing ``# comment`` (not inside quotes)."""
    try:
        words = shlex.split(line, comments=True)
    except ValueError:
        return line
    if not words:
        return ""
    end = line.find(" #")
    return line[:end].rstrip() if end >= 0 else line.rstrip()


def examples() -> Iterator[Example]:
    """Every command of every fenced shell block, in document order."""
    block = 0
    for path in DOCS:
        lines = path.read_text(encoding="utf-8").splitlines()
        inside: str | None = None
        pending: list[str] = []
        start = 0
        loop: list[str] = []
        for number, line in enumerate(lines, 1):
            fence = re.match(r"^```(\w*)\s*$", line)
            if fence:
                inside = None if inside is not None else fence[1]
                block += 1
                continue
            if inside not in SHELL_LANGUAGES:
                continue
            text = _uncommented(line)
            if loop or text.startswith("for "):
                loop.append(line)
                if text.strip() == "done":
                    yield Example(path.name, number, block, "\n".join(loop))
                    loop = []
                continue
            if not text.strip():
                continue
            if not pending:
                start = number
            if text.endswith("\\"):
                pending.append(text[:-1].strip())
                continue
            pending.append(text.strip())
            yield Example(path.name, start, block, " ".join(pending))
            pending = []


def _not_run_reason(example: Example) -> str | None:
    return next((why for head, why in NOT_RUN.items() if example.text.startswith(head)), None)


def test_shell_examples_are_tagged_sh() -> None:
    """A block holding a `soiree` command is a fenced sh block, so that this test finds it."""
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        for block in re.finditer(r"^```(\w*)\n(.*?)^```", text, re.M | re.S):
            if block[1] in SHELL_LANGUAGES:
                continue
            commands = [line for line in block[2].splitlines() if line.startswith("soiree ")]
            assert not commands, f"{path.name}: untagged block with {commands[0]!r}"


def test_examples_not_run_still_hold() -> None:
    """Each example not run names real paths and options; each reason is still needed."""
    used = set()
    parser = build_parser()
    for example in examples():
        reason = _not_run_reason(example)
        if reason is None:
            continue
        used.add(next(head for head in NOT_RUN if example.text.startswith(head)))
        words = shlex.split(example.text.replace("\n", " "))
        if words[0] == "soiree":
            parser.parse_args(words[1:])  # exits 2 on an option that does not exist
        for word in words:
            if word.startswith((".ci/", "tests/")):
                paths = list(ROOT.glob(word)) if "*" in word else [ROOT / word]
                assert paths, f"{example}: no {word}"
                assert all(path.exists() for path in paths), f"{example}: no {word}"
            if word.startswith("tests.benchmarks."):
                module = ROOT / (word.replace(".", "/") + ".py")
                assert module.exists(), f"{example}: no {module}"
    assert used == set(NOT_RUN), f"reasons no example needs: {set(NOT_RUN) - used}"


# -- running them -----------------------------------------------------------------------------


@dataclass
class Scratch:
    """The environment the examples run in."""

    cwd: Path
    env: dict[str, str]
    addresses: dict[str, str]

    def rewrite(self, text: str) -> str:
        """``text`` with the ports and addresses a test may not use replaced by its own."""
        for documented, own in self.addresses.items():
            text = text.replace(documented, own)
        text = re.sub(r"\bPORT=\d+", "PORT=0", text)
        text = text.replace("--host 0.0.0.0", "--host 127.0.0.1")
        if re.search(r"\bsoiree (serve|sources|demo)\b", text):
            text = re.sub(r"--port \d+", "--port 0", text)
            if "--port" not in text:
                text = re.sub(r"\bsoiree (serve|sources|demo)\b", r"\g<0> --port 0", text, count=1)
        return text


class Running:
    """One example run by bash in its own process group, its output read as it comes."""

    def __init__(self, example: Example, scratch: Scratch) -> None:
        self.example = example
        self.command = scratch.rewrite(example.text.rstrip().removesuffix("&").rstrip())
        self.process = subprocess.Popen(
            ["bash", "-c", self.command],
            cwd=scratch.cwd,
            env=scratch.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.output = ""

    def _read(self, timeout: float) -> bool:
        stream = self.process.stdout
        assert stream is not None
        ready, _, _ = select.select([stream], [], [], timeout)
        if not ready:
            return False
        chunk = os.read(stream.fileno(), 65536)
        self.output += chunk.decode("utf-8", "replace")
        return bool(chunk)

    def started(self) -> bool:
        """Wait for its first output, then a moment: True if it still runs (a server...)."""
        deadline = time.monotonic() + FIRST_OUTPUT * TIMEOUT_FACTOR
        while not self.output and self.process.poll() is None:
            assert time.monotonic() < deadline, f"{self.example}: no output, still running"
            self._read(0.2)
        settle = time.monotonic() + SETTLE
        while time.monotonic() < settle and self._read(max(0.0, settle - time.monotonic())):
            pass
        return self.process.poll() is None

    def finish(self) -> int:
        """Its exit status, read to the end (it has exited)."""
        while self._read(0.1):
            pass
        return self.process.wait()

    def interrupt(self) -> int:
        """Ctrl-C (SIGINT to its process group); its exit status."""
        os.killpg(self.process.pid, signal.SIGINT)
        try:
            status = self.process.wait(timeout=30 * TIMEOUT_FACTOR)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"{self.example}: still running 30 s after Ctrl-C") from None
        while self._read(0.05):
            pass
        return status

    def kill(self) -> None:
        """Kill whatever is left of it."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


def _wait_for(pattern: str, running: Running) -> re.Match[str]:
    deadline = time.monotonic() + FIRST_OUTPUT * TIMEOUT_FACTOR
    while not (found := re.search(pattern, running.output)):
        assert running.process.poll() is None, running.output
        assert time.monotonic() < deadline, running.output
        running._read(0.2)
    return found


@pytest.fixture
def scratch(tmp_path: Path) -> Iterator[Scratch]:
    """A working directory, a data directory, the user's own files, the test's own sources and
    broadcaster at the addresses the examples name, and the streams the examples read."""
    cwd = tmp_path / "work"
    cwd.mkdir()
    # A file of the user's own: the night's sources, naming the bundled night by its path.
    bundled = (BUNDLED_NIGHT_DIR / "sources.toml").read_text(encoding="utf-8")
    night_path = json.dumps(str(BUNDLED_NIGHT_DIR / "night.toml"))
    own_sources = re.sub(r"(?m)^night = .*$", lambda _: f"night = {night_path}", bundled)
    (cwd / "my-sources.toml").write_text(own_sources, encoding="utf-8")
    (cwd / "token.txt").write_text("a-read-token\n", encoding="utf-8")
    data_dir = tmp_path / "data"
    env = soiree_env(data_dir, PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}")
    env.pop("COLUMNS", None)
    own = Scratch(cwd, env, {})
    sources = Running(Example("test", 0, 0, "soiree sources --port 0 --speed 60"), own)
    broadcaster = Running(Example("test", 0, 0, "soiree serve --port 0"), own)
    try:
        base = _wait_for(r"http://127\.0\.0\.1:\d+", sources)[0]
        ws = _wait_for(r"http://127\.0\.0\.1:(\d+)/", broadcaster)[1]
        sources_host = base.removeprefix("http://")
        env["SOIREE_SOURCES_URL"] = base
        own.addresses = {
            "10.0.0.5:8750": sources_host,
            "127.0.0.1:9000": sources_host,
            "127.0.0.1:8750": sources_host,
            "127.0.0.1:8765": f"127.0.0.1:{ws}",
        }
        # What the docs say an earlier command made: a rehearsal and a replay run (…:replay:latest).
        for seed in SEEDS:
            done = soiree(*shlex.split(seed)[1:], env=env)
            assert done.returncode == 0, f"{seed}: {done.stdout}{done.stderr}"
        yield own
    finally:
        for running in (broadcaster, sources):
            running.kill()
        soiree("redis", "--stop", env=env)


#: Run by the test before any example: the streams the examples read exist whatever their order.
SEEDS: Final = (
    "soiree replay --speed max --no-progress --stream rehearsal",
    "soiree replay --speed max --no-progress",
)
#: A block with one of these runs after every other: it stops what the others share.
RUN_LAST: Final = ("soiree redis --stop",)
#: How many blocks run at once. Each block has a working directory of its own.
WORKERS: Final = 6


def _blocks() -> list[list[Example]]:
    """The examples to run, block by block, in document order."""
    blocks: dict[int, list[Example]] = {}
    for example in examples():
        if _not_run_reason(example) is None:
            blocks.setdefault(example.block, []).append(example)
    return list(blocks.values())


def _run_block(block: list[Example], scratch: Scratch) -> list[str]:
    """Run one block's commands in order, in a working directory of its own; its failures."""
    cwd = scratch.cwd.parent / f"block-{block[0].block}"
    shutil.copytree(scratch.cwd, cwd)
    own = Scratch(cwd, scratch.env, scratch.addresses)
    failures: list[str] = []
    background: list[Running] = []
    try:
        for example in block:
            running = Running(example, own)
            try:
                if example.background:
                    if not running.started():
                        failures.append(f"{example}: exited {running.finish()}\n{running.output}")
                    background.append(running)
                    continue
                status = running.interrupt() if running.started() else running.finish()
                if status != 0:
                    failures.append(f"{example}\n  ran: {running.command}\n  status {status}\n"
                                    f"{running.output[-2000:]}")  # fmt: skip
                elif "Traceback" in running.output:
                    failures.append(f"{example}: a traceback\n{running.output[-2000:]}")
            finally:
                if not example.background:
                    running.kill()
    finally:
        failures += _stop_all(background)
    return failures


@pytest.mark.slow
def test_every_shell_example_runs_as_written(scratch: Scratch) -> None:
    """Each command of README.md and docs/*.md exits 0, or starts, shows output, stops on ^C.

    Blocks run side by side (:data:`WORKERS`), each in a working directory of its own, the
    commands of a block one after the other; a block that stops the shared server runs last.
    """
    blocks = _blocks()
    last = [b for b in blocks if any(e.text.startswith(RUN_LAST) for e in b)]
    # The longest blocks first, so that none is left to run alone at the end.
    first = sorted((b for b in blocks if b not in last), key=len, reverse=True)
    failures: list[str] = []
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        for found in pool.map(lambda block: _run_block(block, scratch), first):
            failures += found
    for block in last:
        failures += _run_block(block, scratch)
    ran = sum(len(block) for block in blocks)
    assert ran >= 40, f"only {ran} examples found"
    assert not failures, "\n\n".join(failures)


def _stop_all(background: list[Running]) -> list[str]:
    failures = []
    for running in background:
        try:
            status = running.interrupt() if running.process.poll() is None else running.finish()
            if status != 0:
                failures.append(f"{running.example}: status {status}\n{running.output[-2000:]}")
        finally:
            running.kill()
    return failures
