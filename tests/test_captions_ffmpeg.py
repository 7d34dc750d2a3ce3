"""Slow tier: a generated project's captions, read by Debian's ffmpeg (libass's reading).

Hostile turns (a NUL, SRT tags, an ASS override block, a long answer, turns without
speaking times) go through the project's ``transcript`` command into WebVTT and SRT;
ffmpeg must read every cue of each file, and show no markup from what was said.
``.ci/setup`` installs ffmpeg; without it this test skips (a failure under CI=true).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

import pytest

from tests.rendering import clean_env, render

T0 = 1_795_000_000.0
TURNS = [
    ("assistant", "Hello! <b>bold</b> and <v Bob> and {\\an8}top and \\N break."),
    ("user", "A NUL \x00 here, an escape \x1b[31m there, & <i>more</i> -->"),
    ("assistant", " ".join(f"Sentence {n} of a long answer about the parks." for n in range(12))),
    ("user", "Stop."),
    ("assistant", "Okay, stopping now."),
]
OVERRIDE = re.compile(r"(?<!\\)\{\\")  # an ASS override block: {\b1}, {\an8}


def history() -> dict:
    """A livekit history: turns half a second apart, none with speaking times."""
    return {
        "items": [
            {
                "type": "message",
                "id": f"item_{n}",
                "role": role,
                "content": [text],
                "created_at": T0 + n * 0.5,
            }
            for n, (role, text) in enumerate(TURNS)
        ]
    }


@pytest.mark.slow
def test_ffmpeg_reads_every_caption_cue(tmp_path) -> None:
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        pytest.skip("ffmpeg is not installed (.ci/setup installs it)")
    project = render({"transcript_format": "webvtt"}, tmp_path / "out")
    source = tmp_path / "history.json"
    source.write_text(json.dumps(history()), encoding="utf-8")
    package = next(p.name for p in (project / "src").iterdir() if p.is_dir())
    for name, extension in (("webvtt", "vtt"), ("srt", "srt")):
        captions = tmp_path / f"captions.{extension}"
        command = [sys.executable, "-m", package, "transcript", str(source), "-f", name]
        rendered = subprocess.run(
            [*command, "-o", str(captions)],
            cwd=project,
            env=clean_env(PYTHONPATH=str(project / "src")),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert rendered.returncode == 0, rendered.stderr
        cues = sum(" --> " in line for line in captions.read_text("utf-8").splitlines())
        assert cues > len(TURNS), "the long answer is several cues"
        read = subprocess.run(
            [ffmpeg, "-nostdin", "-loglevel", "error", "-i", str(captions), "-f", "ass", "-"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert read.returncode == 0, read.stderr
        dialogue = [line for line in read.stdout.splitlines() if line.startswith("Dialogue:")]
        assert len(dialogue) == cues, f"{name}: ffmpeg read {len(dialogue)} of {cues} cues"
        assert [line for line in dialogue if OVERRIDE.search(line)] == [], f"{name}: markup"
