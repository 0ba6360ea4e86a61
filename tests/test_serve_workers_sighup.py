"""``soiree serve --workers 2``: a SIGHUP to the parent is passed on to every worker, each of
which reads its tokens again (``ticker.commands.serve_workers``, ``ticker.commands.serve``)."""

from __future__ import annotations

import json
import signal
import time
import urllib.error
import urllib.request
from pathlib import Path
from uuid import uuid4

from tests.cli_process import SoireeProcess, soiree_env
from tests.conftest import TIMEOUT_FACTOR


def _answer(port: str, token: str) -> tuple[int, int | None]:
    """The status of ``/healthz`` asked with ``token`` on a new connection, and which worker
    (pid) answered it (None: refused)."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}/healthz")
    request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10 * TIMEOUT_FACTOR) as answer:
            return int(answer.status), int(json.load(answer)["pid"])
    except urllib.error.HTTPError as error:
        return error.code, None


def _workers_answering(port: str, token: str, statuses: set[int]) -> set[int]:
    """The workers seen answering with ``token`` until both were (20 s at most, scaled);
    every status seen goes into ``statuses``."""
    pids: set[int] = set()
    deadline = time.monotonic() + 20 * TIMEOUT_FACTOR
    while len(pids) < 2 and time.monotonic() < deadline:
        status, pid = _answer(port, token)
        statuses.add(status)
        if pid is not None:
            pids.add(pid)
    return pids


def test_sighup_to_the_parent_rotates_the_tokens_of_every_worker(
    redis_url: str, tmp_path: Path
) -> None:
    token_file = tmp_path / "read"
    token_file.write_text("read-one\n")
    served = SoireeProcess(
        "serve", "--port", "0", "--workers", "2", "--redis-url", redis_url,
        "--stream", f"test:{uuid4().hex}", "--token-file", str(token_file),
        env=soiree_env(SOIREE_READ_TOKEN="", SOIREE_STAFF_TOKEN=""),
    )  # fmt: skip
    try:
        port = served.wait_for_line(r"http://127\.0\.0\.1:(\d+)/.* - 2 workers")[1]
        before: set[int] = set()
        assert len(_workers_answering(port, "read-one", before)) == 2
        assert before == {200}
        token_file.write_text("read-two\n")
        served.process.send_signal(signal.SIGHUP)
        served.wait_for_line(r"(SIGHUP: tokens read again[\s\S]*){2}")  # one line per worker
        assert served.process.poll() is None  # the parent did not stop
        after: set[int] = set()
        assert len(_workers_answering(port, "read-two", after)) == 2
        assert after == {200}
        assert _answer(port, "read-one") == (401, None)
        assert served.stop(signal.SIGTERM) == 0
        assert "Traceback" not in served.stderr
    finally:
        served.close()
