"""A recording's format and its guarantees: lines, torn lines, one recorder at a time, bad
recordings, conditional requests and missing bodies when served again, the Procfile's opt-in.

The night recorded and served again end to end: tests/test_recording.py.
"""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp import ClientSession

from ingest.cli import build_parser, main
from ingest.commands.ingest_cli import IngestOptions
from ingest.model.errors import SoireeError
from ingest.model.recording import (
    INDEX_FILE,
    RecordedResponse,
    RecordingError,
    body_digest,
    decode_line,
    encode_line,
    load_recording,
)
from ingest.polling.recorder import Recorder
from replay.clock import ReplayWindow
from replay.emulated.recorded_server import build_recording_app
from replay.emulated.server import start_sources_server
from tests.conftest import ROOT


def test_a_line_reads_back_as_written() -> None:
    """encode_line / decode_line round-trip; a line that is not a response is refused."""
    response = RecordedResponse(
        source="liveblog", url="http://h/live", at=datetime(2017, 1, 29, 20, 1, 2, 345678, UTC),
        outcome="ok", status=200, duration_ms=12.5, etag='"a"', last_modified="x",
        cache_control="max-age=5", content_type="text/html", body="ab" * 32, size=10,
    )  # fmt: skip
    line = encode_line(response)
    assert line.endswith("\n")
    assert line.count("\n") == 1
    assert decode_line(line) == response
    for bad in ('{"source": "x"', "[]", '{"source":"s","url":"u","at":"2017-01-29T20:00:00",'
                '"outcome":"ok"}', line.replace('"status":200', '"status":"200"')):  # fmt: skip
        with pytest.raises(RecordingError):
            decode_line(bad)


def test_a_torn_line_is_left_out_then_cut_off(tmp_path: Path) -> None:
    """A line cut short by a kill is not read, and a new recorder cuts it before appending."""
    root = tmp_path / "rec"
    at = datetime(2017, 1, 29, 20, 0, tzinfo=UTC)
    recorder = Recorder(root, night="2017-01-29", timezone="Europe/Paris")
    body = b"<html>same body</html>"
    for second in range(3):
        response = RecordedResponse(
            source="s", url="http://h/", at=at + timedelta(seconds=second), outcome="ok",
            status=200, body=body_digest(body), size=len(body),
        )  # fmt: skip
        recorder.record(response, body)
    recorder._seal()
    recorder.record(
        RecordedResponse(source="s", url="http://h/", at=at + timedelta(seconds=9),
                         outcome="not_modified", status=304), None,
    )  # fmt: skip
    # The recorder is killed: no close(); a line is half written.
    with open(root / INDEX_FILE, "ab") as index:
        index.write(b'{"source":"s","url":"http://h/","at":"2017-')
    recording = load_recording(root)
    assert [r.at.second for r in recording.responses] == [0, 1, 2, 9]
    assert recording.damaged == 1
    assert len(list((root / "blobs").rglob("*.gz"))) == 1  # the same body stored once
    assert recording.body(body_digest(body)) == body
    os.close(recorder._index)
    again = Recorder(root)
    again.close()
    assert (root / INDEX_FILE).read_bytes() == b""  # cut, then sealed on close
    recording = load_recording(root)
    assert (len(recording.responses), recording.damaged) == (4, 0)


def test_bad_recordings_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """No recording, another format, a later version: one clear line, status 1."""
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "recording.json").write_text('{"format": "har"}')
    (tmp_path / "later").mkdir()
    (tmp_path / "later" / "recording.json").write_text(
        '{"format": "soiree-recording", "version": 99}'
    )
    for name, words in [("none", "no recording here"), ("other", "not a soiree recording"),
                        ("later", "format version 99")]:  # fmt: skip
        assert main(["sources", "--recording", str(tmp_path / name), "--port", "0"]) == 1
        err = capsys.readouterr().err
        assert words in err
        assert err.count("\n") == 1


# -- the night, recorded and served again ---------------------------------------------------------


async def test_served_again_answers_conditional_requests(tmp_path: Path) -> None:
    """The re-served document keeps its recorded ETag; If-None-Match gives 304."""
    root = tmp_path / "rec"
    recorder = Recorder(root)
    body = b'{"checkpoints": []}'
    recorder.record(RecordedResponse(
        source="results", url="http://h:1/results.json?x=1", at=datetime.now(UTC), outcome="ok",
        status=200, etag='"v1"', content_type="application/json", body=body_digest(body),
        size=len(body),
    ), body)  # fmt: skip
    recorder.close()
    app = build_recording_app(load_recording(root), ReplayWindow(speed=1.0))
    runner, base_url = await start_sources_server(app)
    try:
        async with ClientSession() as session:
            async with session.get(base_url + "/results.json?x=1") as answer:
                assert answer.status == 200
                assert answer.headers["ETag"] == '"v1"'
                assert await answer.read() == body
                modified = answer.headers["Last-Modified"]
            for headers in ({"If-None-Match": '"v1"'}, {"If-Modified-Since": modified}):
                async with session.get(base_url + "/results.json?x=1", headers=headers) as a:
                    assert a.status == 304
            async with session.get(base_url + "/elsewhere") as answer:
                assert answer.status == 404
    finally:
        await runner.cleanup()


async def test_a_missing_body_is_a_503_not_a_crash(tmp_path: Path) -> None:
    """A blob deleted from the recording: the document answers 503 saying so; /healthz works;
    a recorded header that no header may be is left out."""
    root = tmp_path / "rec"
    recorder = Recorder(root)
    now = datetime.now(UTC)  # both due at once on the re-serving clock
    body = b"<html>gone</html>"
    recorder.record(RecordedResponse(
        source="live", url="http://h:1/live", at=now, outcome="ok", status=200,
        body=body_digest(body), size=len(body), content_type="text/html\r\nX-Evil: 1",
    ), body)  # fmt: skip
    kept = b"<html>kept</html>"
    recorder.record(RecordedResponse(
        source="kept", url="http://h:1/kept", at=now, outcome="ok", status=200,
        body=body_digest(kept), size=len(kept), content_type="text/html\r\nX-Evil: 1",
        etag='"a"\n',
    ), kept)  # fmt: skip
    recorder.close()
    (root / "blobs" / body_digest(body)[:2] / f"{body_digest(body)}.gz").unlink()
    app = build_recording_app(load_recording(root), ReplayWindow(speed=1.0))
    runner, base_url = await start_sources_server(app)
    try:
        async with ClientSession() as session:
            async with session.get(base_url + "/live") as answer:
                assert answer.status == 503
                assert "missing" in await answer.text()
            async with session.get(base_url + "/healthz") as answer:
                assert answer.status == 200
            async with session.get(base_url + "/kept") as answer:  # a header no header may be
                assert answer.status == 200
                assert answer.headers["Content-Type"] == "application/octet-stream"
                assert "X-Evil" not in answer.headers
                assert await answer.read() == kept
    finally:
        await runner.cleanup()


def test_one_recorder_at_a_time(tmp_path: Path) -> None:
    """A second recorder of the same folder is refused in one line; once the first is closed,
    another may carry on the recording."""
    first = Recorder(tmp_path / "rec")
    with pytest.raises(SoireeError, match="being recorded by another process"):
        Recorder(tmp_path / "rec")
    first.close()
    Recorder(tmp_path / "rec").close()


@pytest.mark.parametrize("record", ["", "/data/night one"])
def test_the_procfile_records_only_when_asked(record: str) -> None:
    """The Procfile's ingest line, as a shell expands it: --record DIR with $SOIREE_RECORD only."""
    line = next(
        line.split(":", 1)[1]
        for line in (ROOT / "Procfile").read_text().splitlines()
        if line.startswith("ingest:")
    )
    env = {"PATH": os.environ.get("PATH", ""), "SOIREE_RECORD": record}
    words = subprocess.run(
        ["sh", "-c", f'for word in {line}; do printf "%s\\n" "$word"; done'],
        env=env, capture_output=True, text=True, check=True,
    ).stdout.splitlines()  # fmt: skip
    assert words[:2] == ["soiree", "ingest"]
    options = IngestOptions.from_args(build_parser().parse_args(words[1:]))
    assert options.record == (Path(record) if record else None)
