"""The staff token: distinct from the read token, both rotated on SIGHUP without a restart,
every refused token counted in ``/metrics`` (``ticker.broadcast.access``)."""

from __future__ import annotations

import re
import signal
import urllib.error
import urllib.request
from pathlib import Path
from uuid import uuid4

import pytest

from tests.cli_process import SoireeProcess, soiree, soiree_env
from tests.conftest import TIMEOUT_FACTOR
from ticker.broadcast.access import Access, AccessTokens


def _status(port: str, path: str, token: str | None) -> int:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}")
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10 * TIMEOUT_FACTOR) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return error.code


def _rejected(port: str, token: str) -> float:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/metrics")
    request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=10 * TIMEOUT_FACTOR) as answer:
        text = answer.read().decode()
    found = re.search(r'^soiree_rejected_tokens_total\{route="http"\} (\S+)$', text, re.M)
    return 0.0 if found is None else float(found[1])


def test_tokens_say_who_is_staff() -> None:
    tokens = AccessTokens("read-1", "staff-1")
    assert tokens.access("staff-1") is Access.STAFF
    assert tokens.access("read-1") is Access.PUBLIC
    assert tokens.access(None) is None
    assert tokens.access("staff-2") is None
    # Without a read token everyone reads, but a wrong token is refused, not taken as public.
    open_tokens = AccessTokens(None, "staff-1")
    assert open_tokens.access(None) is Access.PUBLIC
    assert open_tokens.access("staff-x") is None
    assert AccessTokens().access("anything") is Access.PUBLIC  # no token set: none checked
    with pytest.raises(ValueError, match="differ"):
        AccessTokens("same", "same")


def test_sighup_rotates_both_tokens_without_restart(redis_url: str, tmp_path: Path) -> None:
    read_file, staff_file = tmp_path / "read", tmp_path / "staff"
    read_file.write_text("read-one\n")
    staff_file.write_text("staff-one\n")
    served = SoireeProcess(
        "serve", "--port", "0", "--redis-url", redis_url, "--stream", f"test:{uuid4().hex}",
        "--token-file", str(read_file), "--staff-token-file", str(staff_file),
        env=soiree_env(SOIREE_READ_TOKEN="", SOIREE_STAFF_TOKEN=""),
    )  # fmt: skip
    try:
        port = served.wait_for_line(r"http://127\.0\.0\.1:(\d+)/.*staff token set")[1]
        assert _status(port, "/healthz", "read-one") == 200
        assert _status(port, "/healthz", "staff-one") == 200
        assert _status(port, "/healthz", "staff-two") == 401
        assert _rejected(port, "staff-one") == 1
        read_file.write_text("read-two\n")
        staff_file.write_text("staff-two\n")
        served.process.send_signal(signal.SIGHUP)
        served.wait_for_line("SIGHUP: tokens read again")
        assert served.process.poll() is None  # the same process: never restarted
        assert _status(port, "/healthz", "staff-two") == 200
        assert _status(port, "/healthz", "read-two") == 200
        for old in ("read-one", "staff-one"):
            assert _status(port, "/healthz", old) == 401
        assert _rejected(port, "staff-two") == 3
        # A file that became unreadable: the tokens in use are kept, said in one line.
        staff_file.write_text("")
        served.process.send_signal(signal.SIGHUP)
        served.wait_for_line("SIGHUP: tokens kept: --staff-token-file: .* holds no token")
        assert _status(port, "/healthz", "staff-two") == 200
        assert served.stop() == 0
        assert "Traceback" not in served.stderr
    finally:
        served.close()


def test_the_same_token_twice_is_refused(redis_url: str, tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("one\n")
    result = soiree(
        "serve", "--port", "0", "--redis-url", redis_url, "--stream", "test:x",
        "--token-file", str(token), "--staff-token-file", str(token),
    )  # fmt: skip
    assert result.returncode == 1
    assert "the staff token must differ from the read token" in result.stderr
    assert "Traceback" not in result.stderr
