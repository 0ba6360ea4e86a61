"""The port check every listening command shares (``ingest.commands.command.checked_port``):
``soiree sources``, ``soiree demo`` and ``soiree serve`` say a port out of range the same way."""

from __future__ import annotations

import pytest

from ingest.cli import main
from ingest.commands.command import checked_port
from ingest.model.errors import CommandError


@pytest.mark.parametrize("port", [0, 1, 8765, 65535])
def test_a_port_in_range_is_kept(port: int) -> None:
    assert checked_port(port) == port


@pytest.mark.parametrize("port", [-1, 65536, 99999])
def test_a_port_out_of_range_is_named(port: int) -> None:
    with pytest.raises(CommandError, match=rf"^--port must be within 0-65535, got {port}$"):
        checked_port(port)
    with pytest.raises(CommandError, match=rf"^the port must be within 0-65535, got {port}$"):
        checked_port(port, name="the port")


def test_sources_says_a_bad_port_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sources", "--port", "70000"]) == 1
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [err.strip()]
    assert "--port must be within 0-65535, got 70000" in err
