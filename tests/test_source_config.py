"""Tests for ingest.sources.config: sources.toml to typed configuration, with clear errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ingest.sources.config import ingest_config_from_mapping, load_ingest_config
from ingest.sources.source_config import (
    DEFAULT_MAX_BYTES,
    LiveblogOrder,
    SourceConfigError,
    SourceType,
)
from tests.conftest import BUNDLED_NIGHT_DIR

BUNDLED = BUNDLED_NIGHT_DIR / "sources.toml"


def config(*sources: dict[str, Any], **top: Any) -> dict[str, Any]:
    """A parsed sources file with a base URL."""
    return {"base_url": "http://127.0.0.1:8750", **top, "source": list(sources)}


LIVEBLOG = {"name": "live", "type": "liveblog", "url": "/liveblog", "interval": 5}


def test_bundled_file_loads_with_its_night() -> None:
    """The night's sources.toml gives three sources and the night it names."""
    loaded = load_ingest_config(BUNDLED)
    assert [source.name for source in loaded.sources] == ["liveblog", "articles", "results"]
    assert loaded.night is not None
    assert loaded.night.slug == "2017-01-29"
    liveblog = loaded.source("liveblog")
    assert liveblog.type is SourceType.LIVEBLOG
    assert liveblog.url == "http://127.0.0.1:8750/liveblog"
    assert (liveblog.entry, liveblog.time, liveblog.body) == ("article.entry", "time", ".body")
    assert loaded.source("articles").interval == 10


def test_base_url_override_resolves_relative_urls() -> None:
    """--base-url replaces the file's base_url for every relative URL."""
    loaded = load_ingest_config(BUNDLED, base_url="http://127.0.0.1:4321/night/")
    assert loaded.source("results").url == "http://127.0.0.1:4321/night/results.json"


def test_defaults_and_top_level_politeness() -> None:
    """Top-level politeness keys are defaults that a source may override."""
    loaded = ingest_config_from_mapping(
        config(LIVEBLOG, {**LIVEBLOG, "name": "other", "timeout": 2}, timeout=7, max_per_host=3)
    )
    first, second = loaded.sources
    assert first.timeout == 7
    assert second.timeout == 2
    assert first.max_bytes == DEFAULT_MAX_BYTES
    assert first.entry is None
    assert first.order is LiveblogOrder.AUTO
    assert loaded.max_per_host == 3


def test_absolute_url_needs_no_base() -> None:
    """An absolute URL works without any base_url."""
    loaded = ingest_config_from_mapping(
        {"source": [{**LIVEBLOG, "url": "https://example.org/direct"}]}
    )
    assert loaded.sources[0].url == "https://example.org/direct"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ({"type": "feed", "url": "/f", "interval": 5}, "source #1: missing name"),
        ({"name": "x", "url": "/f", "interval": 5}, "source 'x': missing type"),
        ({"name": "x", "type": "tweets", "url": "/f", "interval": 5}, "unknown type 'tweets'"),
        ({"name": "x", "type": "feed", "interval": 5}, "source 'x': missing url"),
        ({"name": "x", "type": "feed", "url": "/f"}, "missing interval"),
        ({"name": "x", "type": "feed", "url": "/f", "interval": 0}, "interval must be"),
        ({"name": "x", "type": "feed", "url": "/f", "interval": "5"}, "interval must be"),
        ({"name": "x", "type": "feed", "url": "/f", "interval": True}, "interval must be"),
        ({**LIVEBLOG, "entry": "article[[["}, "entry: not a valid CSS selector"),
        ({**LIVEBLOG, "entry": "article", "time": ""}, "time: an empty CSS selector"),
        ({**LIVEBLOG, "body": ".body"}, "need an entry selector"),
        ({"name": "x", "type": "feed", "url": "/f", "interval": 5, "entry": "a"}, "unknown keys"),
        ({"name": "x", "type": "feed", "url": "ftp://h/f", "interval": 5}, "http:// or https://"),
        ({"name": "a b", "type": "feed", "url": "/f", "interval": 5}, "without spaces"),
        ({**LIVEBLOG, "max_bytes": 0}, "max_bytes must be"),
        ({**LIVEBLOG, "order": "random"}, "order must be"),
    ],
)
def test_bad_source_is_named(source: dict[str, Any], message: str) -> None:
    """Each bad value gives an error naming the file and the source."""
    with pytest.raises(SourceConfigError, match=r"^night\.toml-ish: ") as caught:
        ingest_config_from_mapping(config(source), origin="night.toml-ish")
    assert message in str(caught.value)


def test_duplicate_names_rejected() -> None:
    """Two sources with one name is an error naming it."""
    with pytest.raises(SourceConfigError, match="source 'live': duplicate name"):
        ingest_config_from_mapping(config(LIVEBLOG, LIVEBLOG))


def test_relative_url_without_base_url() -> None:
    """A relative URL with no base_url says where to set one."""
    with pytest.raises(SourceConfigError, match="--base-url"):
        ingest_config_from_mapping({"source": [LIVEBLOG]})


def test_no_sources_and_unknown_top_keys() -> None:
    """An empty file and a misspelt top-level key are both errors."""
    with pytest.raises(SourceConfigError, match="no sources"):
        ingest_config_from_mapping({"base_url": "http://h"})
    with pytest.raises(SourceConfigError, match="unknown top-level keys"):
        ingest_config_from_mapping(config(LIVEBLOG, sources=1))


def test_file_errors_name_the_file(tmp_path: Path) -> None:
    """Missing file, bad TOML and a bad night path are errors naming the file."""
    with pytest.raises(SourceConfigError, match="no such sources file"):
        load_ingest_config(tmp_path / "absent.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[[source]\n", encoding="utf-8")
    with pytest.raises(SourceConfigError, match=r"bad\.toml: not valid TOML"):
        load_ingest_config(bad)
    nightless = tmp_path / "nightless.toml"
    nightless.write_text('night = "nowhere.toml"\n[[source]]\nname = "x"\n', encoding="utf-8")
    with pytest.raises(SourceConfigError, match=r"nightless\.toml: night: "):
        load_ingest_config(nightless)


def test_a_sources_file_must_name_its_night(tmp_path: Path) -> None:
    """No `night`: an error naming the file and the key, never 29 January 2017 by default."""
    nightless = tmp_path / "mine.toml"
    nightless.write_text('[[source]]\nname = "x"\ntype = "feed"\nurl = "http://h/"\n', "utf-8")
    with pytest.raises(SourceConfigError) as refused:
        load_ingest_config(nightless)
    assert str(refused.value).startswith(f"{nightless}: night: missing;")
