"""The rules file read strictly (one line per problem, naming file, line and key), the bundled
night's rules, and ``soiree alerts test`` on 29 January."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.cli import build_parser, main
from ingest.commands.command import NightOptions, RedisOptions
from replay.commands.alerts_cli import COMMAND, AlertsOptions
from tests.cli_process import soiree
from ticker.alerts.rules import RulesFileError, load_rules, rules_from_text

BUNDLED = Path(__file__).parent.parent / "fixtures" / "2017-01-29" / "alerts.toml"


def problems(text: str) -> list[str]:
    with pytest.raises(RulesFileError) as raised:
        rules_from_text(text, origin="a.toml")
    return list(raised.value.problems)


def test_every_problem_is_one_line_with_the_file_the_line_and_the_key() -> None:
    text = (
        "[[rule]]\n"
        'id = "ok"\n'
        'type = "first_count"\n'
        "\n"
        "[[rule]]\n"
        'id = "hamon"\n'
        'type = "share_above"\n'
        'candidat = "Benoît Hamon"\n'
        'pct = "55"\n'
        "\n"
        "[[rule]]\n"
        'id = "ok"\n'
        'type = "first_estimate"\n'
        "minutes = 3\n"
    )
    assert problems(text) == [
        "a.toml:8: rule[1].candidat: unknown key (did you mean 'candidate'?)",
        "a.toml:5: rule[1].candidate: missing",
        "a.toml:9: rule[1].pct: expected a number from 0 to 100, got '55'",
        "a.toml:14: rule[2].minutes: not a key of a first_estimate rule (its keys: id, type,"
        " title)",
    ]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('[[rule]]\nid = "a"\ntype = "nope"\n', "a.toml:3: rule[0].type: expected one of"),
        ('[[rule]]\ntype = "first_count"\n', "a.toml:1: rule[0].id: missing"),
        ('[[rule]]\nid = "A b"\ntype = "first_count"\n', "a.toml:2: rule[0].id: expected an id"),
        ('[[rule]]\nid = "s"\ntype = "source_failing"\ntimes = true\n', "a.toml:4: rule[0].times"),
        ('[[rule]]\nid = "s"\ntype = "source_silent"\nminutes = 0\n', "a.toml:4: rule[0].minutes"),
        ('[[rule]]\nid = "s"\ntype = "source_silent"\nminutes = 1\nsources = "x"\n', "a.toml:5"),
        (
            '[[rule]]\nid = "m"\ntype = "margin_below"\npoints = 5\nof = "all"\n',
            "a.toml:5: rule[0].of",
        ),
        ("rules = 1\n", "a.toml:1: rules: unknown key (did you mean 'rule'?)"),
        ("[rules]\nid = 1\n", "a.toml:1: rules: unknown key (did you mean 'rule'?)"),
        ("rule = [1]\n", "a.toml:1: rule[0].rule: expected a table"),
        ('[[rule]]\n\'id\' = "A b"\ntype = "first_count"\n', "a.toml:2: rule[0].id: expected"),
        ("", "a.toml: rule: no [[rule]] in the file"),
        ("[[rule]\n", "a.toml: not valid TOML"),
        (
            '[[rule]]\nid = "a"\ntype = "first_count"\n[[rule]]\nid = "a"\ntype = "first_count"\n',
            "a.toml:5: rule[1].id: 'a' given twice",
        ),
    ],
)
def test_one_problem(text: str, problem: str) -> None:
    found = problems(text)
    assert len(found) == 1
    assert found[0].startswith(problem), found


def test_the_bundled_rules_load() -> None:
    rules = load_rules(BUNDLED)
    assert {rule.type for rule in rules} >= {
        "first_estimate",
        "first_count",
        "share_above",
        "source_silent",
    }


def test_soiree_alerts_test_on_29_january() -> None:
    done = soiree("alerts", "test", str(BUNDLED), "--night", "2017-01-29")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    fired = [line.split()[:3] for line in lines[1:] if line.startswith("2017-")]
    assert lines[0] == "2017-01-29: 5 alerts"
    assert ["2017-01-29", "18:39", "first-estimate"] in fired
    assert ["2017-01-29", "20:41", "first-count"] in fired
    assert ["2017-01-29", "20:41", "hamon-55"] in fired
    assert fired == sorted(fired)
    assert any("hamon-55" in line and "Benoît Hamon passe 55 % : 58,65 %" in line for line in lines)
    assert any(line.split()[1:3] == ["margin-5", "never"] for line in lines)


def test_soiree_alerts_test_reports_a_bad_rules_file_in_lines(tmp_path: Path) -> None:
    rules = tmp_path / "alerts.toml"
    rules.write_text('[[rule]]\nid = "x"\ntype = "share_above"\npct = 120\ncandidate = 3\n')
    done = soiree("alerts", "test", str(rules), "--night", "2017-01-29")
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert f"{rules}:4: rule[0].pct: expected a number from 0 to 100, got 120" in done.stderr
    assert f"{rules}:5: rule[0].candidate: expected a one-line text" in done.stderr


def test_alerts_run_parsed_defaults() -> None:
    options = COMMAND.options(build_parser().parse_args(["alerts", "run"]))
    assert options == AlertsOptions(action="run", night=NightOptions(), redis=RedisOptions())


def test_alerts_test_in_process(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """The same command through ``main`` (this process): the report, and a bad file's lines."""
    assert main(["alerts", "test", "--night", "2017-01-29"]) == 0  # the night's alerts.toml
    out = capsys.readouterr().out
    assert out.startswith("2017-01-29: 5 alerts\n")
    assert "source-silent" in out
    bad = tmp_path / "bad.toml"
    bad.write_text('[[rule]]\nid = "x"\ntype = "speech"\ncandidate = ""\nsources = []\n')
    assert main(["alerts", "test", str(bad), "--night", "2017-01-29"]) == 1
    err = capsys.readouterr().err
    assert f"{bad}:4: rule[0].candidate: expected a one-line text" in err
    assert f"{bad}:5: rule[0].sources: not a key of a speech rule" in err
