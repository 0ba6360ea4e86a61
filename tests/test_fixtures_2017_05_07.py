"""The night of 7 May 2017: written for soiree, loaded strictly, no figure but the official ones.

Its texts are a reconstruction (``fixtures/2017-05-07/README.md``); every record says so
(``"seed": "written"``). What is checked here is that nothing in them can pass for a fact that is
not one: every number the texts and figures state is one of the official figures of the night.
"""

from __future__ import annotations

import json
import re
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ingest.model.update import Kind
from replay.fixtures import find_night, load_fixture_night
from replay.night_fixture import WRITTEN, FixtureError, NightFixture
from tests.conftest import BUNDLED_NIGHTS

NIGHT_DIR = BUNDLED_NIGHTS / "2017-05-07"
MACRON, LE_PEN = "Emmanuel Macron", "Marine Le Pen"

#: The ministry's results of six départements as reported on the night, Macron then Le Pen
#: (% of the votes cast; README).
DEPARTEMENTS = {
    "Paris": (Decimal("89.68"), Decimal("10.32")),
    "Aisne": (Decimal("47.09"), Decimal("52.91")),
    "Pas-de-Calais": (Decimal("47.95"), Decimal("52.05")),
    "Nord": (Decimal("56.90"), Decimal("43.10")),
    "Val-de-Marne": (Decimal("80.32"), Decimal("19.68")),
    "Seine-et-Marne": (Decimal("63.86"), Decimal("36.14")),
}
#: The official figures of the night, and the only numbers its texts may state as figures:
#: final shares, turnout at 12:00, at 17:00 and final, the final abstention, and the six
#: départements' shares.
OFFICIAL = {
    Decimal("66.10"),
    Decimal("33.90"),
    Decimal("28.23"),
    Decimal("65.30"),
    Decimal("74.56"),
    Decimal("25.44"),
} | {share for pair in DEPARTEMENTS.values() for share in pair}
# Clock times are not figures: "20 heures", "17 h", "00h20".
_CLOCK = re.compile(r"\b(?:[01]?\d|2[0-3])\s?(?:heures?|h)(?:\s?[0-5]\d)?\b")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")

Json = dict[str, Any]


def raw(name: str) -> Json:
    """A fixture file's JSON, as stored."""
    data: Json = json.loads((NIGHT_DIR / name).read_text(encoding="utf-8"))
    return data


def texts_of_the_night() -> list[tuple[str, str]]:
    """Every text a reader sees, with where it is: entries, articles, checkpoints' words."""
    texts = [
        (f"liveblog {entry['key']}", entry["text"]) for entry in raw("liveblog.json")["entries"]
    ]
    for article in raw("articles.json")["articles"]:
        texts += [(f"article {article['guid']}", article["title"] or "")]
        texts += [(f"article {article['guid']}", article["text"])]
    for checkpoint in raw("checkpoints.json")["checkpoints"]:
        for field in ("text", "quote", "estimate_reason"):
            texts += [(f"checkpoint {checkpoint['id']} {field}", checkpoint[field] or "")]
    return texts


def numbers_in(text: str) -> list[Decimal]:
    """The numbers a text states, clock times left out."""
    return [Decimal(number.replace(",", ".")) for number in _NUMBER.findall(_CLOCK.sub(" ", text))]


def numbers_in_json(value: object) -> list[Decimal]:
    """Every number in a JSON value (figures), as a decimal."""
    if isinstance(value, dict):
        return [number for item in value.values() for number in numbers_in_json(item)]
    if isinstance(value, bool) or not isinstance(value, int | float):
        return []
    return [Decimal(str(value))]


@pytest.fixture(scope="module")
def fixture() -> NightFixture:
    """The night, loaded and validated."""
    return load_fixture_night(NIGHT_DIR)


# -- nothing but the official figures -------------------------------------------------------------


def test_the_scan_sees_figures_and_skips_clock_times() -> None:
    """The scan itself: a share is seen in both spellings, a clock time is not a figure."""
    assert numbers_in("66,10 % à 20 heures, 33.90 % à 17 h, publié à 00h20") == [
        Decimal("66.10"),
        Decimal("33.90"),
    ]
    assert numbers_in("Entre 1,7 et 2 millions à 18h26") == [Decimal("1.7"), Decimal("2")]


def test_every_number_in_the_texts_is_an_official_figure() -> None:
    """No text of the night states a number that is not one of the official figures."""
    stated = 0
    for where, text in texts_of_the_night():
        for number in numbers_in(text):
            assert number in OFFICIAL, f"{where}: {number} is not an official figure: {text!r}"
            stated += 1
    assert stated >= 12  # the texts do state the figures: the scan is not vacuous


def test_every_official_figure_is_stated_in_a_text() -> None:
    """Each official figure appears in at least one text of the night."""
    seen = {number for _, text in texts_of_the_night() for number in numbers_in(text)}
    assert seen == OFFICIAL


def test_every_checkpoint_figure_is_official(fixture: NightFixture) -> None:
    """The results endpoint's figures are the official ones, and only those."""
    for checkpoint in raw("checkpoints.json")["checkpoints"]:
        for number in numbers_in_json(checkpoint["figures"]):
            assert number in OFFICIAL, checkpoint["id"]
    final = next(item for item in fixture.checkpoints if item.id == "count-national-final")
    assert dict(final.figures.shares) == {MACRON: 66.1, LE_PEN: 33.9}
    rates = [item.figures.rate_pct for item in fixture.checkpoints if item.kind is Kind.TURNOUT]
    assert rates == [28.23, 65.3, 74.56]


# -- traced: written for soiree, and said so ------------------------------------------------------


def test_every_record_says_it_was_written_for_soiree(fixture: NightFixture) -> None:
    """No record claims a seed text: each is marked written, and the README says so."""
    assert raw("liveblog.json")["seed"] == WRITTEN
    seeds = {entry.seed for entry in fixture.liveblog}
    seeds |= {article.seed for article in fixture.articles}
    seeds |= {checkpoint.seed for checkpoint in fixture.checkpoints}
    assert seeds == {WRITTEN}
    readme = " ".join((NIGHT_DIR / "README.md").read_text(encoding="utf-8").split())
    assert "written for soiree" in readme
    assert "not real quotations" in readme


def test_every_checkpoint_quotes_a_text_of_the_night(fixture: NightFixture) -> None:
    """A checkpoint's quote is found verbatim in the entry or article that states it."""
    texts = [entry.text for entry in fixture.liveblog] + [a.text for a in fixture.articles]
    for checkpoint in fixture.checkpoints:
        assert any(checkpoint.quote in text for text in texts), checkpoint.id
        assert checkpoint.published >= checkpoint.at


def test_the_night_runs_past_midnight_in_summer_time(fixture: NightFixture) -> None:
    """Entries after midnight are dated 8 May, every instant at +02:00, oldest first."""
    late = [entry for entry in fixture.liveblog if entry.at.hour < 5]
    assert len(late) >= 3
    assert all(entry.at.date().isoformat() == "2017-05-08" for entry in late)
    assert all(entry.at.isoformat().endswith("+02:00") for entry in fixture.liveblog)
    assert fixture.liveblog[-1].at.isoformat() == "2017-05-08T01:10:00+02:00"
    assert fixture.night.round == 2
    assert find_night("2017-05-07").night.slug == "2017-05-07"


# -- the loader refuses written records that are not owned up to ----------------------------------


def copy_night(tmp_path: Path) -> Path:
    """A copy of the night to spoil."""
    target = tmp_path / "2017-05-07"
    shutil.copytree(NIGHT_DIR, target)
    return target


def test_a_readme_that_does_not_say_written_is_refused(tmp_path: Path) -> None:
    """Written records with a README that does not say so: one clear error."""
    night = copy_night(tmp_path)
    (night / "README.md").write_text("# The night of 7 May 2017\n", encoding="utf-8")
    with pytest.raises(FixtureError, match=r"README.md: .*'written for soiree'"):
        load_fixture_night(night)
    (night / "README.md").unlink()
    with pytest.raises(FixtureError, match=r"README.md: unreadable"):
        load_fixture_night(night)


def test_a_checkpoint_quote_found_nowhere_is_refused(tmp_path: Path) -> None:
    """A written checkpoint must quote the night's own texts."""
    night = copy_night(tmp_path)
    document = json.loads((night / "checkpoints.json").read_text(encoding="utf-8"))
    document["checkpoints"][0]["quote"] = "participation de 30 % à midi"
    (night / "checkpoints.json").write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(FixtureError, match=r"'turnout-1200': quote not found verbatim"):
        load_fixture_night(night)


def test_a_written_article_needs_a_hex_guid(tmp_path: Path) -> None:
    """A written article has no seed name to take its guid from: 16 hex digits still."""
    night = copy_night(tmp_path)
    document = json.loads((night / "articles.json").read_text(encoding="utf-8"))
    document["articles"][0]["guid"] = "macron-elu"
    (night / "articles.json").write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(FixtureError, match=r"guid of a written article: expected 16 hex"):
        load_fixture_night(night)
