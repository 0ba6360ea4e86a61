"""Pytest fixtures for tests that drive a real headless Chromium (Debian's, via Selenium).

``browser`` (module scope) fails, never skips, when chromium or chromedriver is missing:
``bash .ci/setup --test`` installs them. ``run_js`` / ``wait_js`` run JavaScript in the page
from a thread, so that the event loop keeps serving while the browser works; ``axe_report``
runs axe-core's WCAG A/AA rules on the page (or a part of it).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service

from tests.conftest import TIMEOUT_FACTOR

__all__ = [
    "AXE",
    "CHROMEDRIVER",
    "CHROMIUM",
    "CHROMIUM_FLAGS",
    "axe_report",
    "browser",
    "run_js",
    "wait_js",
]

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
#: axe-core, installed by ``bash .ci/setup --test`` (npm) into ``.venv/node``.
AXE = Path(__file__).resolve().parents[2] / ".venv/node/node_modules/axe-core/axe.min.js"
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,800",
)


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    """A headless Chromium for the module; fails the tests if it cannot start."""
    for binary in (CHROMIUM, CHROMEDRIVER):
        if not binary.is_file():
            pytest.fail(f"{binary} is missing: install Debian's chromium and chromium-driver")
    os.environ.setdefault("SE_AVOID_STATS", "true")  # Selenium must not phone home
    profile = tempfile.mkdtemp(prefix="soiree-chromium-")
    options = Options()
    options.binary_location = str(CHROMIUM)
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


async def run_js(driver: webdriver.Chrome, script: str) -> Any:
    """Run ``script`` in the page (in a thread: the event loop keeps serving)."""
    return await asyncio.to_thread(driver.execute_script, script)


async def wait_js(driver: webdriver.Chrome, expression: str, *, within: float = 10.0) -> Any:
    """Wait until the JavaScript ``expression`` is truthy in the page; return its value."""
    deadline = asyncio.get_running_loop().time() + within * TIMEOUT_FACTOR
    while True:
        value = await run_js(driver, f"return ({expression});")
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            state = await run_js(
                driver,
                "return {c: document.documentElement.dataset.connection,"
                " s: window.soiree && window.soiree.stats,"
                " l: window.soiree && window.soiree.lastId};",
            )
            raise AssertionError(f"never true: {expression} (page state: {state})")
        await asyncio.sleep(0.05)


async def axe_report(driver: webdriver.Chrome, context: str = "document") -> dict[str, Any]:
    """axe-core's WCAG 2.1 A/AA rules run on ``context`` (a JavaScript expression: the page, or
    an element of it): ``{"violations": [[rule, [targets]], ...], "passes": n}``, or
    ``{"error": ...}`` when axe itself failed."""
    assert AXE.is_file(), f"{AXE} is missing: run bash .ci/setup --test"
    await run_js(driver, AXE.read_text(encoding="utf-8") + "; return true;")
    driver.set_script_timeout(60 * TIMEOUT_FACTOR)
    result = await asyncio.to_thread(
        driver.execute_async_script,
        "const done = arguments[arguments.length - 1];"
        f"axe.run({context},"
        " {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa']}})"
        ".then((r) => done(JSON.stringify({violations: r.violations.map((v) => ["
        "v.id, v.nodes.map((n) => n.target.join(' '))]), passes: r.passes.length})))"
        ".catch((e) => done(JSON.stringify({error: String(e)})));",
    )
    report: dict[str, Any] = json.loads(result)
    return report
