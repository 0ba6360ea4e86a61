"""Scale-out on real parts: 3 `soiree serve` behind nginx, 1,000 websocket and 24 /sse clients.

nginx (Debian's, configured from ``deploy/nginx.conf.template``, as ``docs/deploy.md`` says)
balances every client over three broadcasters of one stream while ``soiree replay`` writes the
night; one broadcaster is SIGKILLed mid-replay. Every client, wherever it landed and however
often it moved, must end with the stream's ids, in order, each once. The same scenario with
other sizes is ``python -m tests.benchmarks.scale_out``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from redis.asyncio import Redis

from tests.benchmarks.scale_out import check, scale_out
from tests.plugins.load_balancer import render_nginx_config


def test_the_template_renders_every_placeholder(tmp_path: Path) -> None:
    """No placeholder left; each broadcaster is an upstream server; websocket and SSE pass."""
    text = render_nginx_config(
        prefix=tmp_path, listen="127.0.0.1:8080", servers=["127.0.0.1:8765", "127.0.0.1:8766"]
    )
    assert re.findall(r"@[A-Z]+@", text) == []
    assert "server 127.0.0.1:8765 " in text
    assert "server 127.0.0.1:8766 " in text
    assert "proxy_set_header Upgrade $http_upgrade;" in text
    assert "proxy_buffering off;" in text


@pytest.mark.slow
@pytest.mark.timeout(120)
async def test_clients_behind_nginx_get_every_update_once_across_a_broadcaster_kill(
    redis_client: Redis, redis_url: str, stream_key: str, tmp_path: Path
) -> None:
    """Same ids for every client; the killed broadcaster's clients move and miss nothing."""
    run = await scale_out(
        redis_client, redis_url, stream_key, tmp_path, clients=1000, sse_clients=24
    )
    assert len(run.stream_ids) == 60  # the bundled night, replayed whole
    assert check(run) == []
    assert run.figures["updates on the stream at the kill"] < 60  # killed mid-night
    # Every broadcaster had clients (nginx spread them), and the killed one's all moved.
    assert all(count > 0 for count in run.clients_per_broadcaster), run.clients_per_broadcaster
    assert run.moved() >= run.clients_per_broadcaster[0]
    assert not any("Traceback" in line for line in run.logs), "\n".join(run.logs)
    print(
        f"scale-out: clients per broadcaster {run.clients_per_broadcaster}, {run.moved()} moved;"
        + "".join(f" {name} {value:.2f};" for name, value in run.figures.items())
    )
