"""``python -m {{ cookiecutter.package_name }} transcript``: through ``main`` in this interpreter,
and once as a real subprocess."""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path

import pytest
import srt
import webvtt
from livekit.agents import AgentSession
from livekit.agents.voice.report import SessionReport

import transcript_samples as samples
from {{ cookiecutter.package_name }}.transcript.formats import FORMATS


@pytest.fixture
def raw_history(tmp_path) -> Path:
    """What users save from a session: ``session.history.to_dict(exclude_timestamp=False)``."""
    path = tmp_path / "history.json"
    history = samples.sample_history().to_dict(exclude_timestamp=False)
    path.write_text(json.dumps(history, ensure_ascii=False), encoding="utf-8")
    return path


def test_renders_a_raw_livekit_history_as_json(raw_history, tmp_path):
    result = samples.run_cli_process(str(raw_history), "--format", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == b""
    document = json.loads(result.stdout.decode("utf-8"))
    messages = [item for item in document["items"] if item["type"] == "message"]
    assert [m["text"] for m in messages] == samples.SPOKEN  # no instructions, no empty turns
    assert [m["interrupted"] for m in messages] == [False, False, True, False, False]
    kinds = [item["type"] for item in document["items"]]
    assert kinds.count("function_call") == kinds.count("function_call_output") == 2
    assert kinds.count("agent_handoff") == 2
    assert document["session"]["started_at"] is None  # a bare history has no header
    expected = json.loads(FORMATS["json"].render(samples.sample_transcript()))["items"]
    assert document["items"] == expected


@pytest.mark.parametrize("name", ["text", "markdown"])
def test_renders_a_raw_history_for_people(raw_history, tmp_path, name):
    result = samples.run_cli(str(raw_history), "-f", name, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rendered = result.stdout.decode("utf-8")
    # no session header: times count from the first item
    assert "offsets from the first item" in rendered
    assert "東京" in rendered and "😀" in rendered and "שלום" in rendered
    assert "interrupted" in rendered
    assert "get_weather" in rendered and "weather_expert" in rendered


def test_renders_a_raw_history_as_captions_that_validate(raw_history, tmp_path):
    vtt = samples.run_cli(str(raw_history), "--format", "webvtt", cwd=tmp_path)
    srt_run = samples.run_cli(str(raw_history), "--format", "srt", cwd=tmp_path)
    assert vtt.returncode == srt_run.returncode == 0
    captions = webvtt.from_string(vtt.stdout.decode("utf-8")).captions
    subtitles = list(srt.parse(srt_run.stdout.decode("utf-8")))
    assert len(captions) == len(subtitles) > len(samples.SPOKEN)  # the long turn takes several cues
    assert [c.voice for c in captions] == [s.content.split(":")[0] for s in subtitles]
    # the first turn starts at zero: without a header, the first item is the origin
    assert captions[0].start == "00:00:01.400"  # greeting spoken 1.5 s after item one at 0.1 s


def test_writes_the_output_file_and_round_trips_json_and_jsonl(raw_history, tmp_path):
    as_jsonl = tmp_path / "out" / "transcript.jsonl"
    as_jsonl.parent.mkdir()
    first = samples.run_cli(str(raw_history), "-f", "jsonl", "-o", str(as_jsonl), cwd=tmp_path)
    assert (first.returncode, first.stdout) == (0, b"")
    lines = as_jsonl.read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[0])["type"] == "session_start"
    assert json.loads(lines[-1])["type"] == "session_end"

    as_json = tmp_path / "transcript.json"
    assert (
        samples.run_cli(str(as_jsonl), "-f", "json", "-o", str(as_json), cwd=tmp_path).returncode
        == 0
    )
    back = samples.run_cli(str(as_json), "-f", "jsonl", cwd=tmp_path)
    assert back.stdout.decode("utf-8").splitlines() == lines


def test_re_renders_our_own_saved_transcript(tmp_path):
    saved = tmp_path / "transcript.json"
    saved.write_text(FORMATS["json"].render(samples.sample_transcript()), encoding="utf-8")
    result = samples.run_cli(str(saved), "--format", "srt", cwd=tmp_path)
    assert result.returncode == 0
    subtitles = list(srt.parse(result.stdout.decode("utf-8")))
    # the header is kept, so cues are offsets from the recording start
    assert subtitles[0].start.total_seconds() == pytest.approx(
        samples.T0 + 1.5 - samples.RECORDING_START
    )


@pytest.fixture
async def session_report(tmp_path) -> Path:
    """A livekit ``SessionReport.to_dict()`` saved as JSON (AgentSession needs a loop)."""
    report = SessionReport(
        job_id="AJ_report",
        room_id="RM_report",
        room="report-room",
        options=AgentSession().options,
        events=[],
        chat_history=samples.sample_history(),
        audio_recording_started_at=samples.RECORDING_START,
        agent_name="reporter",
    )
    path = tmp_path / "report.json"
    await asyncio.to_thread(path.write_text, json.dumps(report.to_dict(), default=str))
    return path


def test_reads_a_livekit_session_report(session_report, tmp_path):
    result = samples.run_cli(str(session_report), "-f", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["session"]["room"] == "report-room"
    assert document["session"]["job_id"] == "AJ_report"
    assert document["session"]["recording"]["started_at"].startswith("2026-11-18T11:06:41")
    assert [i["text"] for i in document["items"] if i["type"] == "message"] == samples.SPOKEN


def test_warns_when_the_history_was_saved_without_timestamps(tmp_path):
    path = tmp_path / "history.json"
    path.write_text(json.dumps(samples.sample_history().to_dict()), encoding="utf-8")
    result = samples.run_cli(str(path), "-f", "text", cwd=tmp_path)
    assert result.returncode == 0
    assert b"exclude_timestamp=False" in result.stderr
    assert samples.GREETING in result.stdout.decode("utf-8")


def one_line_error(result: subprocess.CompletedProcess[bytes]) -> str:
    assert result.returncode == 2
    assert result.stdout == b""
    message = result.stderr.decode("utf-8")
    assert message.startswith("error: ") and message.count("\n") == 1
    return message


def test_missing_file_is_a_one_line_error(tmp_path):
    message = one_line_error(samples.run_cli(str(tmp_path / "nope.json"), cwd=tmp_path))
    assert "nope.json" in message and "No such file" in message


def test_unknown_format_is_a_one_line_error(raw_history, tmp_path):
    message = one_line_error(samples.run_cli(str(raw_history), "--format", "docx", cwd=tmp_path))
    assert "'docx'" in message and "webvtt" in message


@pytest.mark.parametrize(
    "content",
    [
        "",
        "not json at all\n",
        '["a list", "of strings"]',
        '{"neither": "items nor session"}',
        '{"type": "session_start", "session": {}}\n{broken\n{"type": "session_end"}\n',
    ],
)
def test_unreadable_input_is_a_one_line_error(tmp_path, content):
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    assert "cannot read" in one_line_error(samples.run_cli(str(path), cwd=tmp_path))


@pytest.mark.parametrize("moment", ["NaN", "Infinity", "1e400", "-1e300", "253402300800"])
@pytest.mark.parametrize("name", ["json", "text", "srt"])
def test_a_hand_edited_time_that_is_no_time_is_a_one_line_error(tmp_path, moment, name):
    """Python's json reads NaN and Infinity; no format can print them as a time."""
    path = tmp_path / "edited.json"
    item = {"type": "message", "role": "user", "text": "hi", "created_at": "TIME"}
    document = json.dumps({"session": {"room": "r"}, "items": [item]})
    path.write_text(document.replace('"TIME"', moment), encoding="utf-8")
    line = one_line_error(samples.run_cli(str(path), "--format", name, cwd=tmp_path))
    assert "cannot read" in line and "not a time" in line


def test_binary_input_is_a_one_line_error(tmp_path):
    path = tmp_path / "recording.ogg"
    path.write_bytes(b"OggS\x00\x02\xff\xfe" * 10)
    assert "cannot read" in one_line_error(samples.run_cli(str(path), cwd=tmp_path))


def test_unwritable_output_is_reported(raw_history, tmp_path):
    target = tmp_path / "missing-dir" / "out.txt"
    result = samples.run_cli(str(raw_history), "-o", str(target), cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.decode("utf-8").startswith("error: cannot write")
