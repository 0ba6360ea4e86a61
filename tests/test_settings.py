"""Tests for ingest.model.settings: soiree's environment read into one value object."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.model.settings import DEFAULT_APPENDFSYNC, Settings, settings


def test_an_empty_environment_gives_the_defaults() -> None:
    """No variable set: embedded Redis under ~/.local/share/soiree, everysec, asyncio."""
    got = Settings.from_env({"HOME": "/home/x"})
    assert got.redis_url is None
    assert got.data_dir == Path.home() / ".local" / "share" / "soiree"
    assert got.appendfsync == DEFAULT_APPENDFSYNC
    assert got.event_loop == "asyncio"
    assert (got.fixtures, got.sources_config, got.read_token, got.port) == (None, None, None, None)


def test_every_variable_is_read_and_blank_counts_as_unset() -> None:
    """Each variable lands in its field, stripped; a blank one is unset."""
    got = Settings.from_env(
        {
            "REDIS_URL": " redis://h:6379/0 ",
            "XDG_DATA_HOME": "/xdg",
            "SOIREE_APPENDFSYNC": "always",
            "SOIREE_STREAM_MAXLEN": "500",
            "SOIREE_FIXTURES": "/f",
            "SOIREE_SOURCES_CONFIG": "/s.toml",
            "SOIREE_SOURCES_URL": "http://127.0.0.1:8750/",
            "SOIREE_READ_TOKEN": "   ",
            "SOIREE_EVENT_LOOP": "UVLOOP",
            "PORT": "9000",
        }
    )
    assert got.redis_url == "redis://h:6379/0"
    assert got.data_dir == Path("/xdg/soiree")
    assert got.appendfsync == "always"
    assert got.stream_maxlen == "500"
    assert got.fixtures == Path("/f")
    assert got.sources_config == Path("/s.toml")
    assert got.sources_url == "http://127.0.0.1:8750/"
    assert got.read_token is None
    assert got.event_loop == "uvloop"
    assert got.port == "9000"


def test_soiree_data_dir_wins_over_xdg(monkeypatch: pytest.MonkeyPatch) -> None:
    """$SOIREE_DATA_DIR beats $XDG_DATA_HOME, and settings() reads the live environment."""
    monkeypatch.setenv("XDG_DATA_HOME", "/xdg")
    monkeypatch.setenv("SOIREE_DATA_DIR", "/data/soiree")
    assert settings().data_dir == Path("/data/soiree")
