"""`soiree demo`'s web page cannot listen: one line naming the server and the address."""

from __future__ import annotations

import errno
import os
import socket

from ingest.runtime.listen_errors import listen_error_reason
from tests.cli_process import soiree

# TEST-NET-1 (RFC 5737): documentation only, assigned to no machine; binding sends nothing.
NOT_HERE = "192.0.2.1"


def _one_line_error(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert "Traceback" not in stderr, stderr
    errors = [line for line in lines if line.startswith("soiree demo: error:")]
    assert len(errors) == 1, stderr
    return errors[0]


def test_demo_port_out_of_range_is_one_line(redis_url: str) -> None:
    """`demo --port 99999` says the range in one line and exits 1 (it was an OverflowError)."""
    result = soiree("demo", "--port", "99999", "--redis-url", redis_url)
    assert result.returncode == 1
    assert "0-65535" in _one_line_error(result.stderr)


def test_demo_on_a_busy_port_fails_and_says_so(redis_url: str) -> None:
    """`demo --port N` with N taken fails clearly; it does not take another port silently."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = soiree("demo", "--port", str(port), "--redis-url", redis_url)
    assert result.returncode == 1
    line = _one_line_error(result.stderr)
    assert f"127.0.0.1:{port}" in line
    assert "web page" in line
    assert "in use" in line


def test_demo_on_an_address_not_on_this_machine_names_server_and_address(
    redis_url: str,
) -> None:
    """`demo --host X` (X not on the machine) names the web page's server and X:port."""
    result = soiree("demo", "--host", NOT_HERE, "--port", "0", "--redis-url", redis_url)
    assert result.returncode == 1
    line = _one_line_error(result.stderr)
    assert f"{NOT_HERE}:0" in line
    assert "web page" in line


def test_a_host_name_that_does_not_resolve_is_said_in_words() -> None:
    """A --host that does not resolve fails in getaddrinfo, whose codes are not errnos: the
    reason is its words, never ``Unknown error -2`` (what os.strerror makes of EAI_NONAME)."""
    error = socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    assert listen_error_reason(error) == "Name or service not known"
    in_use = OSError(errno.EADDRINUSE, "error while attempting to bind on address")
    assert listen_error_reason(in_use) == os.strerror(errno.EADDRINUSE)
