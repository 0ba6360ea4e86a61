"""The repository stands alone: no file cites a document outside it, every cited doc exists."""

from __future__ import annotations

import re
import subprocess

from tests.conftest import ROOT

# Built from parts, so that this file does not cite them itself.
OUTSIDE = ("DESIGN" + ".md", "STYLE" + ".md", "../" + "shared")


def _tracked_text_files() -> dict[str, str]:
    names = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    texts = {}
    for name in names:
        path = ROOT / name
        if not path.is_file():
            continue
        try:
            texts[name] = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
    return texts


def test_no_file_cites_a_document_outside_the_repository() -> None:
    """No tracked file names the founding brief, the style notes or the shared folder."""
    cited = [
        f"{name}: {token}"
        for name, text in _tracked_text_files().items()
        for token in OUTSIDE
        if token in text
    ]
    assert cited == []


def test_every_cited_doc_exists() -> None:
    """Each ``docs/NAME`` a file mentions is in the repository."""
    missing = sorted(
        {
            f"{name}: {match}"
            for name, text in _tracked_text_files().items()
            for match in re.findall(r"docs/[\w.-]+\.(?:md|json)", text)
            if not (ROOT / match).is_file()
        }
    )
    assert missing == []


def test_every_cited_test_exists() -> None:
    """Each ``tests/NAME.py`` a document names (the proofs of docs/reliability.md) exists."""
    missing = sorted(
        {
            f"{name}: {match}"
            for name, text in _tracked_text_files().items()
            if name.endswith(".md")
            for match in re.findall(r"tests/[\w/.-]+\.py", text)
            if not (ROOT / match).is_file()
        }
    )
    assert missing == []
