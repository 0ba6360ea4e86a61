"""The baseline of the sources benchmark: fetch pages at an interval, and nothing else.

``python -m tests.benchmarks.bare_poller SOURCES_TOML BASE_URL INTERVAL MAX_PER_HOST`` fetches
every source URL of the file (resolved against ``BASE_URL``) every ``INTERVAL`` seconds, with
``If-None-Match`` from the last answer, at most ``MAX_PER_HOST`` requests in flight, reading
each body whole; until SIGTERM. What any poller written with aiohttp spends at the least.
"""

from __future__ import annotations

import asyncio
import signal
import sys
import tomllib
from pathlib import Path

import aiohttp

__all__ = ["poll_forever"]


async def _poll_one(
    session: aiohttp.ClientSession, url: str, interval: float, slots: asyncio.Semaphore
) -> None:
    etag: str | None = None
    while True:
        headers = {} if etag is None else {"If-None-Match": etag}
        async with slots, session.get(url, headers=headers) as response:
            await response.read()
            etag = response.headers.get("ETag", etag)
        await asyncio.sleep(interval)


async def poll_forever(urls: list[str], interval: float, max_per_host: int) -> None:
    """Fetch every URL every ``interval`` seconds until SIGTERM or SIGINT."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    slots = asyncio.Semaphore(max_per_host)
    connector = aiohttp.TCPConnector(limit=0, limit_per_host=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        tasks = [asyncio.create_task(_poll_one(session, url, interval, slots)) for url in urls]
        await stop.wait()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def main() -> None:
    """Read the arguments (module docstring) and poll."""
    config, base_url, interval, max_per_host = sys.argv[1:5]
    data = tomllib.loads(Path(config).read_text(encoding="utf-8"))
    urls = [base_url + source["url"] for source in data["source"]]
    asyncio.run(poll_forever(urls, float(interval), int(max_per_host)))


if __name__ == "__main__":
    main()
