"""The suite's own rules, read from its source: no bare wall-clock bound, no hidden failure.

A test may bound how long something takes only to check a behaviour (it stopped, it was
cancelled, it did not wait for the hanging fetch), and then by a number scaled by
``SOIREE_TEST_TIMEOUT_FACTOR`` (``TIMEOUT_FACTOR`` in ``tests/conftest.py``); speed is measured
by ``soiree bench`` (docs/testing.md). The scan below reads every module of ``tests/`` except the
benchmarks and finds:

- an upper bound on a duration (``duration < 1.5``, ``2 > elapsed``, ``monotonic() - t <= 5``)
  whose bound is a fixed number: constants and arithmetic, directly or through names assigned
  only such values (``HANG = 12.0``) — anything mentioning ``TIMEOUT_FACTOR`` is not fixed;
- a deadline made of a clock reading plus a fixed number (``time.monotonic() + 60``);
- a wait that fails the test after a fixed number of seconds (``asyncio.timeout(5)``,
  ``asyncio.wait_for(task, timeout=10)``).

A duration is an expression that reads a clock (``time.monotonic()``, ``perf_counter()``,
``loop.time()``, ``time.time()``, ``clock.elapsed()``) or names one (``elapsed``, ``duration``,
``took``, ``lateness``...). Lower bounds (``duration >= timeout * 0.9``: it did wait) are
behaviour, which load cannot break, and are allowed.

And no test throws away what its background tasks failed with: ``await asyncio.gather(...,
return_exceptions=True)`` whose result is not kept turns a task's error into a timeout of the
test; await the cancelled tasks instead (suppressing only ``CancelledError``) or raise the
exceptions gathered (docs/testing.md).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import pytest

from tests.conftest import ROOT

TESTS: Final = ROOT / "tests"
#: Calls that read a clock (by the called name: ``time.monotonic()``, ``loop.time()``...).
CLOCK_CALLS: Final = frozenset({"monotonic", "perf_counter", "time", "elapsed"})
#: Names (variables, attributes) that hold a duration measured on the wall clock.
DURATION_NAMES: Final = frozenset(
    {"elapsed", "duration", "took", "lateness", "latency", "accepted", "served", "stops",
     "slot_wait", "waited", "stopped_after"}
)  # fmt: skip
_UPPER: Final = (ast.Lt, ast.LtE)
_LOWER: Final = (ast.Gt, ast.GtE)


def _identifier(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _is_clock(node: ast.AST) -> bool:
    """A call like ``time.monotonic()`` or ``loop.time()``."""
    return isinstance(node, ast.Call) and not node.args and _identifier(node.func) in CLOCK_CALLS


def _is_duration(node: ast.AST) -> bool:
    return any(_is_clock(part) or _identifier(part) in DURATION_NAMES for part in ast.walk(node))


class _Module:
    """One test module's assignments, to tell whether a name holds a fixed number."""

    def __init__(self, tree: ast.Module) -> None:
        self.values: dict[str, list[ast.expr]] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        self.values.setdefault(target.id, []).append(node.value)
            elif (
                isinstance(node, ast.AnnAssign | ast.AugAssign)
                and node.value is not None
                and isinstance(node.target, ast.Name)
            ):
                self.values.setdefault(node.target.id, []).append(node.value)

    def fixed(self, node: ast.expr, seen: frozenset[str] = frozenset()) -> bool:
        """Whether ``node`` is a number fixed in the source (not scaled by the factor)."""
        if isinstance(node, ast.Constant):
            return isinstance(node.value, int | float) and not isinstance(node.value, bool)
        if isinstance(node, ast.UnaryOp):
            return self.fixed(node.operand, seen)
        if isinstance(node, ast.BinOp):
            return self.fixed(node.left, seen) and self.fixed(node.right, seen)
        if isinstance(node, ast.Name) and node.id not in seen and node.id in self.values:
            return all(self.fixed(value, seen | {node.id}) for value in self.values[node.id])
        return False


def bare_time_bounds(source: str) -> Iterator[tuple[int, str]]:
    """(line, code) of each duration bounded above by a fixed number, and each fixed deadline."""
    tree = ast.parse(source)
    module = _Module(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            for index, op in enumerate(node.ops):
                left, right = operands[index], operands[index + 1]
                if isinstance(op, _UPPER):
                    measured, bound = left, right
                elif isinstance(op, _LOWER):
                    measured, bound = right, left
                else:
                    continue
                if _is_duration(measured) and module.fixed(bound):
                    yield node.lineno, ast.unparse(node)
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            for clock, offset in ((node.left, node.right), (node.right, node.left)):
                if _is_clock(clock) and module.fixed(offset):
                    yield node.lineno, ast.unparse(node)
        elif isinstance(node, ast.Call):
            limit = _asyncio_timeout(node)
            if limit is not None and module.fixed(limit):
                yield node.lineno, ast.unparse(node)


def _asyncio_timeout(call: ast.Call) -> ast.expr | None:
    """The timeout of ``asyncio.timeout(t)`` or ``asyncio.wait_for(aw, t)``, if ``call`` is one."""
    func = call.func
    if not (isinstance(func, ast.Attribute) and _identifier(func.value) == "asyncio"):
        return None
    position = {"timeout": 0, "wait_for": 1}.get(func.attr)
    if position is None:
        return None
    if len(call.args) > position:
        return call.args[position]
    return next((word.value for word in call.keywords if word.arg in {"timeout", "delay"}), None)


#: Deadlines that end a wait without failing the test: (file, code) -> why it is no bound.
NOT_BOUNDS: Final = {
    ("tests/test_doc_examples.py", "time.monotonic() + SETTLE"): (
        "how long to keep reading a server's output after its first line; never fails the test"
    ),
}


def _test_modules() -> list[Path]:
    return sorted(
        path for path in TESTS.rglob("*.py") if "benchmarks" not in path.relative_to(TESTS).parts
    )


def test_no_test_bounds_a_wall_clock_duration_by_a_bare_number() -> None:
    """Every upper bound on a duration, and every deadline, is scaled by TIMEOUT_FACTOR."""
    found = [
        f"{path.relative_to(ROOT)}:{line}: {code}"
        for path in _test_modules()
        for line, code in bare_time_bounds(path.read_text(encoding="utf-8"))
        if (str(path.relative_to(ROOT)), code) not in NOT_BOUNDS
    ]
    assert found == [], "scale these by TIMEOUT_FACTOR (or move the speed to soiree bench):\n" + (
        "\n".join(found)
    )


@pytest.mark.parametrize(
    "code",
    [
        "started = time.monotonic()\nassert time.monotonic() - started < 2",
        "assert result.duration < 1.5",
        "assert 0.25 < result.duration < 1.5",
        "assert 5 > elapsed",
        "HANG = 12.0\nassert time.monotonic() - frozen_at < HANG",
        "LIMIT = 2 * 3\nassert lateness <= LIMIT + 0.5",
        "started = loop.time()\nassert loop.time() - started <= 5",
        "deadline = time.monotonic() + 60",
        "first_update(port, 30 + time.monotonic())",
        "assert clock.elapsed() < 0.05",
        "async with asyncio.timeout(2.0):\n    pass",
        "await asyncio.wait_for(task, 5)",
        "await asyncio.wait_for(process.wait(), timeout=15)",
    ],
)
def test_the_scan_finds_a_bare_bound(code: str) -> None:
    """Each way of writing a speed threshold is found."""
    assert list(bare_time_bounds(code)) != [], code


@pytest.mark.parametrize(
    "code",
    [
        "assert time.monotonic() - started < 2 * TIMEOUT_FACTOR",
        "PROMPT = 3.0 * TIMEOUT_FACTOR\nassert stops[-1] < PROMPT",
        "limits = replace(QUICK, total=60 * TIMEOUT_FACTOR)\nassert r.duration < limits.total / 4",
        "assert result.duration >= limits.timeout * 0.9",  # a lower bound: it did wait
        "assert elapsed >= 0.05",
        "deadline = time.monotonic() + timeout",  # the caller's timeout, scaled there
        "deadline = time.monotonic() + 15 * TIMEOUT_FACTOR",
        "assert len(stops) == 3",
        "assert figures.voters_low <= 100",  # not a duration
        "published = int((time.monotonic() - started) * PER_SECOND) + 1",  # a count, no deadline
        "assert 0 <= lateness <= elapsed - 0.05",  # bounded by another duration
        "async with asyncio.timeout(WAIT_SECONDS * TIMEOUT_FACTOR):\n    pass",
        "await asyncio.wait_for(task, timeout=10 * TIMEOUT_FACTOR)",
        "await asyncio.wait_for(task, None)",
    ],
)
def test_the_scan_lets_scaled_bounds_and_lower_bounds_pass(code: str) -> None:
    """Bounds scaled by the factor, lower bounds and other numbers are not flagged."""
    assert list(bare_time_bounds(code)) == [], code


def test_each_deadline_said_to_be_no_bound_is_still_there() -> None:
    """An exception to the rule names code that still exists (else it goes from the list)."""
    for (name, code), why in NOT_BOUNDS.items():
        found = [found for _, found in bare_time_bounds((ROOT / name).read_text(encoding="utf-8"))]
        assert code in found, (name, code, why)


def discarded_failures(source: str) -> Iterator[tuple[int, str]]:
    """(line, code) of each ``await asyncio.gather(..., return_exceptions=True)`` not kept."""
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Await)):
            continue
        call = node.value.value
        if (
            isinstance(call, ast.Call)
            and _identifier(call.func) == "gather"
            and any(
                word.arg == "return_exceptions"
                and not (isinstance(word.value, ast.Constant) and word.value.value is False)
                for word in call.keywords
            )
        ):
            yield node.lineno, ast.unparse(node)


def test_no_test_throws_away_what_its_background_tasks_failed_with() -> None:
    """A gather with return_exceptions=True keeps its result (to raise what it holds)."""
    found = [
        f"{path.relative_to(ROOT)}:{line}: {code}"
        for path in _test_modules()
        for line, code in discarded_failures(path.read_text(encoding="utf-8"))
    ]
    assert found == [], "await the tasks, or raise what the gather returns:\n" + "\n".join(found)


def test_the_scan_finds_a_discarded_gather() -> None:
    """Thrown away: found; kept in a name, or without return_exceptions: not."""
    assert list(discarded_failures("await asyncio.gather(*tasks, return_exceptions=True)"))
    assert list(discarded_failures("await gather(task, return_exceptions=True)"))
    assert not list(discarded_failures("ended = await asyncio.gather(*t, return_exceptions=True)"))
    assert not list(discarded_failures("await asyncio.gather(*tasks)"))
    assert not list(discarded_failures("await asyncio.gather(*t, return_exceptions=False)"))
