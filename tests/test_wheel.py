"""The built wheel: exactly ingest, ticker and replay at the top, and no clash with PyPI's fixtures.

soiree installs as an application (``pipx install .``, ``uv tool install .``); its wheel must
put nothing generic in site-packages. Built here from the checkout, offline; installed into a
fresh venv next to PyPI's ``fixtures`` package (fetched by ``bash .ci/setup --test``).
"""

from __future__ import annotations

import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT

TEST_WHEELS = ROOT / ".venv" / "test-wheels"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """soiree's wheel, built from this checkout."""
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--wheel-dir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    (built,) = out.glob("soiree-*.whl")
    return built


def test_the_wheel_holds_exactly_ingest_ticker_replay(wheel: Path) -> None:
    """Top-level names: ingest, ticker, replay and the .dist-info; no tests, no benchmarks."""
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    tops = {name.split("/")[0] for name in names}
    dist_info = {top for top in tops if top.endswith(".dist-info")}
    assert tops - dist_info == {"ingest", "ticker", "replay"}
    assert len(dist_info) == 1
    assert "ingest/nights/2017-01-29/night.toml" in names
    # A night of written records loads only with its README (replay.fixtures checks it says so).
    assert "ingest/nights/2017-05-07/liveblog.json" in names
    assert "ingest/nights/2017-05-07/README.md" in names
    assert "ingest/extraction/departements.tsv" in names
    assert "ticker/web/app.js" in names
    web = [path for path in (ROOT / "ticker" / "web").iterdir() if path.is_file()]
    assert {f"ticker/web/{path.name}" for path in web} <= set(names)  # every file of the page
    assert not [name for name in names if "benchmarks" in name or name.startswith("tests/")]
    entry_points = next(name for name in names if name.endswith("entry_points.txt"))
    with zipfile.ZipFile(wheel) as archive:
        declared = archive.read(entry_points).decode()
    assert "[soiree.commands]" in declared
    assert "demo = replay.commands.demo_cli:COMMAND" in declared
    # The executable starts in ingest.launch: stop signals are taken before anything is imported.
    assert "soiree = ingest.launch:main" in declared


@pytest.mark.slow
def test_installed_next_to_pypi_fixtures_both_import(wheel: Path, tmp_path: Path) -> None:
    """In a fresh venv with PyPI's fixtures, both import, and soiree finds its bundled night."""
    theirs = sorted(TEST_WHEELS.glob("fixtures-*.whl"))
    if not theirs:
        pytest.fail("PyPI's fixtures wheel is missing: run `bash .ci/setup --test`")
    target = tmp_path / "venv"
    venv.create(target, with_pip=True)
    python = target / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--no-index", "--no-deps",
         str(theirs[-1]), str(wheel)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    code = (
        "import fixtures, ingest, ticker, replay\n"
        "from pathlib import Path\n"
        "assert hasattr(fixtures, 'Fixture'), fixtures.__file__\n"
        "site = Path(fixtures.__file__).parent.parent\n"
        "assert not (site / 'fixtures' / '2017-01-29').exists()\n"
        "from ingest.model.nights import find_night_dir, find_night\n"
        "night = find_night()\n"
        "print(find_night_dir().relative_to(site), night.stream)\n"
    )
    out = subprocess.run(
        [str(python), "-c", code], check=True, capture_output=True, text=True, cwd=tmp_path
    ).stdout
    assert out.split() == ["ingest/nights/2017-01-29", "soiree:night:2017-01-29"]
