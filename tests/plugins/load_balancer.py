"""nginx in front of several broadcasters: the config rendered from the shipped template, run.

``render_nginx_config`` fills ``deploy/nginx.conf.template`` (the one ``docs/deploy.md`` shows);
``running_nginx`` starts Debian's nginx on it, in the foreground, as a child of the test, on a
free port of 127.0.0.1, and stops it at the end. ``bash .ci/setup --test`` installs nginx; a
machine without it fails the test (never skips it).
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import signal
import socket
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Final

from tests.conftest import ROOT, TIMEOUT_FACTOR

__all__ = ["NGINX_TEMPLATE", "free_port", "render_nginx_config", "running_nginx"]

NGINX_TEMPLATE: Final = ROOT / "deploy" / "nginx.conf.template"


def nginx_binary() -> str:
    """Debian's nginx (in /usr/sbin, often not on a user's PATH)."""
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    if found is None:
        raise AssertionError("no nginx: run `bash .ci/setup --test` (it installs Debian's)")
    return found


def free_port() -> int:
    """A port of 127.0.0.1 free at this moment (nginx cannot listen on port 0 and say which)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def render_nginx_config(
    *,
    prefix: Path,
    listen: str,
    servers: Sequence[str],
    workers: str = "1",
    connections: int = 4096,
) -> str:
    """The template with its placeholders filled (``servers``: ``host:port`` of each backend)."""
    lines = "\n        ".join(f"server {server} max_fails=1 fail_timeout=5s;" for server in servers)
    text = NGINX_TEMPLATE.read_text(encoding="utf-8")
    for name, value in {
        "@PREFIX@": str(prefix),
        "@LISTEN@": listen,
        "@SERVERS@": lines,
        "@WORKERS@": workers,
        "@CONNECTIONS@": str(connections),
    }.items():
        assert name in text, name
        text = text.replace(name, value)
    return text


def _write_config(prefix: Path, text: str) -> Path:
    prefix.mkdir(parents=True, exist_ok=True)
    # Run as root (CI's containers), nginx's workers would switch to `nobody`: they must still
    # write the prefix's temporary folders.
    prefix.chmod(0o777)
    config = prefix / "nginx.conf"
    config.write_text(text, encoding="utf-8")
    return config


async def _accepts(port: int) -> bool:
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return False
    writer.close()
    return True


@contextlib.asynccontextmanager
async def running_nginx(
    prefix: Path, servers: Sequence[str], *, workers: str = "1", connections: int = 4096
) -> AsyncIterator[int]:
    """nginx balancing ``servers``, listening on a free port of 127.0.0.1 (yielded)."""
    port = free_port()
    config = _write_config(
        prefix,
        render_nginx_config(
            prefix=prefix,
            listen=f"127.0.0.1:{port}",
            servers=servers,
            workers=workers,
            connections=connections,
        ),
    )
    process = await asyncio.create_subprocess_exec(
        nginx_binary(), "-p", str(prefix), "-e", str(prefix / "error.log"), "-c", str(config),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        async with asyncio.timeout(10 * TIMEOUT_FACTOR):
            while not await _accepts(port):
                if process.returncode is not None:
                    assert process.stderr is not None
                    error = (await process.stderr.read()).decode(errors="replace")
                    raise AssertionError(f"nginx exited ({process.returncode}): {error}")
                await asyncio.sleep(0.05)
        yield port
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)  # fast shutdown: connections are cut
            try:
                await asyncio.wait_for(process.wait(), timeout=5 * TIMEOUT_FACTOR)
            except TimeoutError:
                process.kill()
                await process.wait()
