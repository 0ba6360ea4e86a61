"""Tests for replay.fixtures and the 2017-01-29 fixtures: traced to the seeds, loaded strictly."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ingest.model.update import Figures, Kind
from replay.fixtures import default_fixtures_dir, find_night, load_fixture_night
from replay.night_fixture import Checkpoint, FixtureError, NightFixture
from tests.conftest import BUNDLED_NIGHT_DIR, BUNDLED_NIGHTS

ROOT = Path(__file__).resolve().parent.parent
NIGHT_DIR = BUNDLED_NIGHT_DIR
SEEDS_DIR = Path(__file__).resolve().parent / "data" / "seeds"
LIVEBLOG_SEED = "004_4ff9f6c209b17da5.txt"
HAMON, VALLS = "Benoît Hamon", "Manuel Valls"

Json = dict[str, Any]


def seed_text(name: str) -> str:
    """A seed's text, from the test copies."""
    return (SEEDS_DIR / name).read_text(encoding="utf-8")


def raw(name: str) -> Json:
    """A fixture file's JSON, as stored."""
    data: Json = json.loads((NIGHT_DIR / name).read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def fixture() -> NightFixture:
    """The night, loaded and checked against the seeds."""
    return load_fixture_night(NIGHT_DIR, seeds_dir=SEEDS_DIR)


def checkpoint(fixture: NightFixture, id_: str) -> Checkpoint:
    """The checkpoint with that id."""
    return next(item for item in fixture.checkpoints if item.id == id_)


# -- traced to the seeds --------------------------------------------------------------------------


def test_seed_copies_are_the_five_seeds() -> None:
    """tests/data/seeds holds the five seed texts the fixtures name."""
    names = {path.name for path in SEEDS_DIR.glob("*.txt")}
    assert names >= {
        "000_9a80b8c5e8c2afaf.txt",
        "001_e4f46512611fd0ca.txt",
        "002_effb7a1a62648635.txt",
        "003_439f4ac286a5338c.txt",
        LIVEBLOG_SEED,
    }


def test_every_liveblog_text_is_verbatim_in_its_seed() -> None:
    """Each entry's text (each intro paragraph) is a substring of seed 004."""
    document = raw("liveblog.json")
    assert document["seed"] == LIVEBLOG_SEED
    for entry in document["entries"]:
        text = seed_text(entry["seed"])
        assert entry["seed"] == LIVEBLOG_SEED
        for paragraph in entry["text"].split("\n\n"):
            assert paragraph in text, entry["key"]
        assert entry["text"] in text, entry["key"]


def test_timestamped_entries_are_whole_seed_paragraphs() -> None:
    """Each timestamped entry is its seed paragraph minus the time and its separator."""
    document = raw("liveblog.json")
    paragraphs = seed_text(LIVEBLOG_SEED).split("\n\n")
    for entry in document["entries"]:
        if entry.get("intro"):
            continue
        matches = [
            p for p in paragraphs if re.fullmatch(re.escape(entry["time"]) + r":? ?" + "(.*)", p)
        ]
        assert any(p.split(entry["time"], 1)[1].lstrip(": ") == entry["text"] for p in matches)
        assert entry["text"] == entry["text"].strip()


def test_every_article_paragraph_is_verbatim_in_its_seed() -> None:
    """Each article's title and paragraphs are substrings of its seed; markers are left out."""
    for article in raw("articles.json")["articles"]:
        text = seed_text(article["seed"])
        for paragraph in article["text"].split("\n\n"):
            assert paragraph in text, article["guid"]
        assert article["text"] in text
        if article["title"] is not None:
            assert f"\n\n{article['title']}\n\n" in text
            assert article["title"] not in article["text"]
        assert "date 2017-01" not in article["text"]
        assert "par La rédaction" not in article["text"]


def test_every_checkpoint_quote_is_verbatim_in_its_seed() -> None:
    """Each checkpoint's quote is a substring of the seed it names."""
    for item in raw("checkpoints.json")["checkpoints"]:
        assert item["quote"] in seed_text(item["seed"]), item["id"]


def test_estimate_reasons_quote_the_seeds() -> None:
    """Every quoted phrase in an estimate reason is found verbatim in some seed."""
    seeds = "".join(seed_text(path.name) for path in SEEDS_DIR.glob("*.txt"))
    reasons = [item["estimate_reason"] for item in raw("articles.json")["articles"]]
    reasons += [item["estimate_reason"] for item in raw("checkpoints.json")["checkpoints"]]
    quoted = 0
    for reason in filter(None, reasons):
        for phrase in re.findall(r'"([^"]+)"', reason):
            for part in phrase.split(" ... "):
                assert part in seeds, part
                quoted += 1
    assert quoted >= 10


def test_loader_accepts_the_night_against_the_seeds(fixture: NightFixture) -> None:
    """The bundled night loads with the seed check on, with its three source names."""
    assert fixture.night.slug == "2017-01-29"
    assert fixture.liveblog_source == "liveblog"
    assert fixture.feed_source == "articles"
    assert fixture.results_source == "results"


# -- the liveblog ---------------------------------------------------------------------------------


def test_44_timestamped_entries_and_the_intro(fixture: NightFixture) -> None:
    """The liveblog holds 44 timestamped entries plus one intro."""
    assert len(fixture.liveblog) == 45
    assert [entry.key for entry in fixture.liveblog if entry.intro] == ["intro"]
    assert sum(1 for entry in fixture.liveblog if not entry.intro) == 44


def test_keys_are_unique(fixture: NightFixture) -> None:
    """No two entries share a key."""
    keys = [entry.key for entry in fixture.liveblog]
    assert len(keys) == len(set(keys))


def test_the_two_2101_entries(fixture: NightFixture) -> None:
    """The older 21h01 entry (lower on the page) is 2101, the newer one 2101-2."""
    at_2101 = [entry for entry in fixture.liveblog if entry.time_written == "21h01"]
    assert [entry.key for entry in at_2101] == ["2101", "2101-2"]
    assert at_2101[0].text.startswith("Benoît Hamon démarre son discours")
    assert at_2101[1].text.startswith('Benoît Hamon: "Votre mobilisation')


def test_capital_h_is_kept(fixture: NightFixture) -> None:
    """12H05 is written as in the seed, keyed 1205."""
    entry = next(entry for entry in fixture.liveblog if entry.key == "1205")
    assert entry.time_written == "12H05"
    assert entry.at == datetime.fromisoformat("2017-01-29T12:05:00+01:00")


def test_entries_go_oldest_first(fixture: NightFixture) -> None:
    """07h23 first, the 21:16 intro last, never going back in time."""
    ats = [entry.at for entry in fixture.liveblog]
    assert ats == sorted(ats)
    assert fixture.liveblog[0].key == "0723"
    assert fixture.liveblog[-2].key == "2115"
    assert fixture.liveblog[-1].key == "intro"


def test_times_match_the_instants(fixture: NightFixture) -> None:
    """Each entry's written time is its instant's Paris wall time on 29 January, +01:00."""
    for entry in fixture.liveblog:
        hour, minute = re.split(r"[hH:]", entry.time_written)
        assert entry.at.date() == date(2017, 1, 29)
        assert (entry.at.hour, entry.at.minute) == (int(hour), int(minute))
        assert entry.at.utcoffset() == timedelta(hours=1)
        if not entry.intro:
            assert entry.key.split("-")[0] == f"{hour}{minute}"


def test_the_intro(fixture: NightFixture) -> None:
    """The intro is the twelve paragraphs under the 29/01 21:16 header, at 21:16."""
    intro = fixture.liveblog[-1]
    assert intro.time_written == "21:16"
    assert intro.at == datetime.fromisoformat("2017-01-29T21:16:00+01:00")
    paragraphs = intro.text.split("\n\n")
    assert len(paragraphs) == 12
    assert paragraphs[0].startswith("Benoît Hamon remporte largement")
    assert paragraphs[-1].endswith("paraît mal embarquée.")


def test_odd_spacing_and_typos_are_kept(fixture: NightFixture) -> None:
    """Seed oddities stay as written."""
    texts = {entry.key: entry.text for entry in fixture.liveblog}
    assert "58.65% des voix , annonce" in texts["2041"]
    assert "n'aurait jamais du cesser être le vôtre" in texts["2105"]
    assert texts["1835"].endswith("Bordeaux:")


# -- the articles ---------------------------------------------------------------------------------


def test_articles(fixture: NightFixture) -> None:
    """Four articles, by publication time, each keyed by its seed's hex id."""
    assert [article.guid for article in fixture.articles] == [
        "9a80b8c5e8c2afaf",
        "439f4ac286a5338c",
        "effb7a1a62648635",
        "e4f46512611fd0ca",
    ]
    for article in fixture.articles:
        assert article.seed.endswith(f"_{article.guid}.txt")
        assert (article.estimate_reason is not None) == article.published_estimated
    rounds = {article.guid: article.round for article in fixture.articles}
    assert rounds == {
        "9a80b8c5e8c2afaf": 1,
        "439f4ac286a5338c": 1,
        "effb7a1a62648635": 2,
        "e4f46512611fd0ca": 2,
    }


def test_only_001_has_a_title_and_a_stated_time(fixture: NightFixture) -> None:
    """001 carries its title and its stated 30 January 9h05; the others are estimated."""
    by_guid = {article.guid: article for article in fixture.articles}
    occitanie = by_guid["e4f46512611fd0ca"]
    assert occitanie.title == "Primaire de la gauche : Benoît Hamon victorieux en Occitanie"
    assert occitanie.published == datetime.fromisoformat("2017-01-30T09:05:00+01:00")
    assert not occitanie.published_estimated
    assert occitanie.text.startswith("Benoît Hamon a recueilli 58,72%")
    others = [article for guid, article in by_guid.items() if guid != "e4f46512611fd0ca"]
    assert all(article.title is None and article.published_estimated for article in others)


def test_estimated_publications_lie_where_the_seeds_put_them(fixture: NightFixture) -> None:
    """000 on 22/23 January, 003 within 23-28 January, 002 on the night after the result."""
    by_guid = {article.guid: article for article in fixture.articles}
    first_round = by_guid["9a80b8c5e8c2afaf"].published.date()
    assert first_round in (date(2017, 1, 22), date(2017, 1, 23))
    between = by_guid["439f4ac286a5338c"].published.date()
    assert date(2017, 1, 23) <= between <= date(2017, 1, 28)
    loire = by_guid["effb7a1a62648635"].published
    assert loire > checkpoint(fixture, "count-national-final").published
    assert loire > fixture.liveblog[-1].at
    assert loire < by_guid["e4f46512611fd0ca"].published
    assert loire.date() == date(2017, 1, 29)


# -- the checkpoints ------------------------------------------------------------------------------


def test_figures_have_the_update_contract_shape() -> None:
    """Every stored figures object is exactly what Figures.to_json() gives back."""
    for item in raw("checkpoints.json")["checkpoints"]:
        assert Figures.from_json(item["figures"]).to_json() == item["figures"], item["id"]


def test_checkpoints_are_round_2_and_ordered(fixture: NightFixture) -> None:
    """Every checkpoint is of the second round, published no earlier than it refers to."""
    published = [item.published for item in fixture.checkpoints]
    assert published == sorted(published)
    for item in fixture.checkpoints:
        assert item.round == 2
        assert item.kind in (Kind.TURNOUT, Kind.COUNT)
        assert item.published >= item.at
        assert (item.estimate_reason is not None) == item.at_estimated


def test_midi_turnout(fixture: NightFixture) -> None:
    """Midi: 567 563 voters on 75%, against 400 000 on 63% in round 1, known at 13h05."""
    item = checkpoint(fixture, "turnout-1200")
    assert item.kind is Kind.TURNOUT
    assert item.at == datetime.fromisoformat("2017-01-29T12:00:00+01:00")
    assert item.published == datetime.fromisoformat("2017-01-29T13:05:00+01:00")
    assert item.figures.to_json() == {
        "scope": "national",
        "voters": 567563,
        "stations_pct": 75,
        "as_of": "12:00",
        "previous": {"voters": 400000, "stations_pct": 63, "round": 1},
    }
    assert not item.at_estimated


def test_17h_turnout(fixture: NightFixture) -> None:
    """17h: 1 306 852 voters on 75%, against 1 million on 70% in round 1, known at 17h59."""
    item = checkpoint(fixture, "turnout-1700")
    assert item.published == datetime.fromisoformat("2017-01-29T17:59:00+01:00")
    assert item.figures.to_json() == {
        "scope": "national",
        "voters": 1306852,
        "stations_pct": 75,
        "as_of": "17:00",
        "previous": {"voters": 1000000, "stations_pct": 70, "round": 1},
    }


def test_2041_partial_count(fixture: NightFixture) -> None:
    """20h41: Hamon 58.65, Valls 41.35 at 60% counted, national."""
    item = checkpoint(fixture, "count-2041")
    assert item.kind is Kind.COUNT
    assert item.published == item.at == datetime.fromisoformat("2017-01-29T20:41:00+01:00")
    assert item.figures.to_json() == {
        "scope": "national",
        "shares": {HAMON: 58.65, VALLS: 41.35},
        "counted_pct": 60,
    }


def test_near_final_national_count(fixture: NightFixture) -> None:
    """58.72 / 41.28, estimated on the night after the liveblog's last update."""
    item = checkpoint(fixture, "count-national-final")
    assert item.figures.scope == "national"
    assert dict(item.figures.shares) == {HAMON: 58.72, VALLS: 41.28}
    assert item.figures.counted_pct is None
    assert item.at_estimated
    assert item.published > fixture.liveblog[-1].at
    assert item.published < datetime.fromisoformat("2017-01-30T09:05:00+01:00")


def test_departement_results(fixture: NightFixture) -> None:
    """Loire 60.8/39.2 with 18 501 voters in 65 stations; Aveyron and Lot give Hamon only."""
    assert dict(checkpoint(fixture, "count-loire").figures.shares) == {HAMON: 60.8, VALLS: 39.2}
    loire = checkpoint(fixture, "turnout-loire").figures
    assert (loire.scope, loire.voters, loire.stations) == ("Loire", 18501, 65)
    aveyron = checkpoint(fixture, "count-aveyron")
    assert aveyron.figures.scope == "Aveyron"
    assert dict(aveyron.figures.shares) == {HAMON: 54.7}
    lot = checkpoint(fixture, "count-lot")
    assert lot.figures.scope == "Lot"
    assert dict(lot.figures.shares) == {HAMON: 55.6}
    stated = datetime.fromisoformat("2017-01-30T09:05:00+01:00")
    assert aveyron.published == lot.published == stated
    assert not aveyron.at_estimated


def test_no_first_round_figure_is_a_checkpoint(fixture: NightFixture) -> None:
    """Seeds 000 and 003 (round 1) give no checkpoint."""
    assert {item.seed for item in fixture.checkpoints} <= {
        LIVEBLOG_SEED,
        "001_e4f46512611fd0ca.txt",
        "002_effb7a1a62648635.txt",
    }


# -- locating nights ------------------------------------------------------------------------------


def test_find_night_by_name_and_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """find_night finds a bundled night by name, or the first by name."""
    monkeypatch.delenv("SOIREE_FIXTURES", raising=False)
    assert default_fixtures_dir() == BUNDLED_NIGHTS
    assert find_night().night.slug == "2017-01-29"
    assert find_night("2017-01-29", fixtures_dir=BUNDLED_NIGHTS).directory == NIGHT_DIR
    assert find_night(fixtures_dir=NIGHT_DIR).directory == NIGHT_DIR
    with pytest.raises(
        FixtureError,
        match=r"no night '2017-01-22' \(nights: 2017-01-29, 2017-05-07, 2020-06-28-fictional\)",
    ):
        find_night("2017-01-22")


def test_fixtures_dir_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """SOIREE_FIXTURES names the fixtures directory; a missing one is an error."""
    shutil.copytree(NIGHT_DIR, tmp_path / "2017-01-29")
    monkeypatch.setenv("SOIREE_FIXTURES", str(tmp_path))
    assert default_fixtures_dir() == tmp_path
    assert find_night().directory == tmp_path / "2017-01-29"
    monkeypatch.setenv("SOIREE_FIXTURES", str(tmp_path / "nowhere"))
    with pytest.raises(FixtureError, match=r"SOIREE_FIXTURES=.*no such directory"):
        default_fixtures_dir()


# -- broken inputs --------------------------------------------------------------------------------

Mutation = Callable[[Json], None]


def broken_copy(tmp_path: Path, name: str, mutate: Mutation) -> Path:
    """A copy of the night with one file's JSON changed by ``mutate``."""
    directory = tmp_path / "2017-01-29"
    shutil.copytree(NIGHT_DIR, directory)
    data = raw(name)
    mutate(data)
    (directory / name).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return directory


def entry_of(data: Json, key: str) -> Json:
    """The liveblog record with that key."""
    found: Json = next(entry for entry in data["entries"] if entry["key"] == key)
    return found


def record_of(data: Json, items: str, field: str, value: str) -> Json:
    """The record of ``items`` whose ``field`` is ``value``."""
    found: Json = next(item for item in data[items] if item[field] == value)
    return found


def swap_2101_keys(data: Json) -> None:
    """Key the two 21h01 entries the wrong way round."""
    older, newer = entry_of(data, "2101"), entry_of(data, "2101-2")
    older["key"], newer["key"] = "2101-2", "2101"


def move_intro_first(data: Json) -> None:
    """Put the 21:16 intro before the 07h23 entry."""
    data["entries"].insert(0, data["entries"].pop())


BROKEN: list[tuple[str, str, Mutation, str]] = [
    (
        "missing field",
        "liveblog.json",
        lambda data: entry_of(data, "2041").pop("text"),
        r"liveblog\.json: entries\[\d+\] \(key '2041'\): missing field 'text'",
    ),
    (
        "naive datetime",
        "articles.json",
        lambda data: record_of(data, "articles", "guid", "e4f46512611fd0ca").update(
            published="2017-01-30T09:05:00"
        ),
        r"articles\.json: articles\[3\] \(guid 'e4f46512611fd0ca'\): published: no UTC offset",
    ),
    (
        "summer offset in January",
        "liveblog.json",
        lambda data: entry_of(data, "1900").update(at="2017-01-29T19:00:00+02:00"),
        r"\(key '1900'\): at: .* carries offset 2:00:00 but Europe/Paris is at 1:00:00",
    ),
    (
        "at not matching the written time",
        "liveblog.json",
        lambda data: entry_of(data, "1900").update(at="2017-01-29T19:01:00+01:00"),
        r"\(key '1900'\): at 2017-01-29T19:01:00\+01:00 does not match its time '19h00'",
    ),
    (
        "unknown kind",
        "checkpoints.json",
        lambda data: record_of(data, "checkpoints", "id", "count-2041").update(kind="tally"),
        r"checkpoints\.json: checkpoints\[2\] \(id 'count-2041'\): kind: must be turnout or count",
    ),
    (
        "share over 100",
        "checkpoints.json",
        lambda data: record_of(data, "checkpoints", "id", "count-2041")["figures"]["shares"].update(
            {HAMON: 158.65}
        ),
        r"\(id 'count-2041'\): figures\.shares\['Benoît Hamon'\]: a percentage must be within",
    ),
    (
        "shares adding up over 100",
        "checkpoints.json",
        lambda data: record_of(data, "checkpoints", "id", "count-loire")["figures"][
            "shares"
        ].update({VALLS: 49.2}),
        r"\(id 'count-loire'\): figures\.shares add up to 110, over 100",
    ),
    (
        "unknown candidate",
        "checkpoints.json",
        lambda data: record_of(data, "checkpoints", "id", "count-lot")["figures"].update(
            shares={"Hamon": 55.6}
        ),
        r"\(id 'count-lot'\): figures\.shares: 'Hamon' is not the full name of a candidate",
    ),
    (
        "estimated without a reason",
        "checkpoints.json",
        lambda data: record_of(data, "checkpoints", "id", "count-national-final").update(
            estimate_reason=None
        ),
        r"\(id 'count-national-final'\): at_estimated is true but no estimate_reason",
    ),
    (
        "guid not the seed's",
        "articles.json",
        lambda data: record_of(data, "articles", "guid", "9a80b8c5e8c2afaf").update(
            seed="002_effb7a1a62648635.txt"
        ),
        r"\(guid '9a80b8c5e8c2afaf'\): guid must be the hex id of its seed's name",
    ),
    (
        "2101 keys swapped",
        "liveblog.json",
        swap_2101_keys,
        r"\(key '2101-2'\): key should be '2101': entry number 1 at 21h01",
    ),
    (
        "intro out of order",
        "liveblog.json",
        move_intro_first,
        r"\(key '0723'\): at .* is before the previous entry's; entries go oldest first",
    ),
    (
        "entry from another seed",
        "liveblog.json",
        lambda data: entry_of(data, "0800").update(seed="001_e4f46512611fd0ca.txt"),
        r"\(key '0800'\): seed 001_e4f46512611fd0ca\.txt is not the page's seed",
    ),
    (
        "unknown field",
        "checkpoints.json",
        lambda data: record_of(data, "checkpoints", "id", "count-lot").update(source="x"),
        r"\(id 'count-lot'\): unknown fields \['source'\]",
    ),
]


@pytest.mark.parametrize(
    ("name", "mutate", "message"),
    [pytest.param(name, mutate, message, id=label) for label, name, mutate, message in BROKEN],
)
def test_loader_rejects_broken_fixtures(
    tmp_path: Path, name: str, mutate: Mutation, message: str
) -> None:
    """A broken record fails with a FixtureError naming its file and record."""
    directory = broken_copy(tmp_path, name, mutate)
    with pytest.raises(FixtureError, match=message):
        load_fixture_night(directory)


@pytest.mark.parametrize(
    ("name", "mutate", "message"),
    [
        pytest.param(
            "liveblog.json",
            lambda data: entry_of(data, "2105").update(
                text=entry_of(data, "2105")["text"].replace("jamais du", "jamais dû")
            ),
            r"\(key '2105'\): text not found verbatim in seed 004_4ff9f6c209b17da5\.txt",
            id="corrected entry",
        ),
        pytest.param(
            "articles.json",
            lambda data: record_of(data, "articles", "guid", "effb7a1a62648635").update(
                text="Texte inventé."
            ),
            r"\(guid 'effb7a1a62648635'\): paragraph 0 not found verbatim in seed 002_",
            id="invented article",
        ),
        pytest.param(
            "checkpoints.json",
            lambda data: record_of(data, "checkpoints", "id", "count-aveyron").update(
                quote="Manuel Valls 45,3 %"
            ),
            r"\(id 'count-aveyron'\): quote not found verbatim in seed 001_",
            id="invented quote",
        ),
    ],
)
def test_loader_rejects_text_not_in_the_seed(
    tmp_path: Path, name: str, mutate: Mutation, message: str
) -> None:
    """With seeds_dir, a text that is not in its seed is rejected."""
    directory = broken_copy(tmp_path, name, mutate)
    load_fixture_night(directory)  # structurally fine: only the seed check catches it
    with pytest.raises(FixtureError, match=message):
        load_fixture_night(directory, seeds_dir=SEEDS_DIR)


def test_loader_rejects_missing_or_invalid_files(tmp_path: Path) -> None:
    """A missing file or invalid JSON is named in the error."""
    directory = tmp_path / "2017-01-29"
    shutil.copytree(NIGHT_DIR, directory)
    (directory / "checkpoints.json").write_text("{", encoding="utf-8")
    with pytest.raises(FixtureError, match=r"checkpoints\.json: not valid JSON"):
        load_fixture_night(directory)
    (directory / "checkpoints.json").unlink()
    with pytest.raises(FixtureError, match=r"checkpoints\.json: missing"):
        load_fixture_night(directory)
    (directory / "night.toml").unlink()
    with pytest.raises(FixtureError, match=r"night\.toml: no such night file"):
        load_fixture_night(directory)
