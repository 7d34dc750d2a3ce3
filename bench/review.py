"""Review server benchmarks (issue 18): prints one table of medians.

    python bench/review.py           10,000 sessions, a 2-hour recording, 11 rounds
    python bench/review.py --quick   1,000 sessions, a 10-minute recording, 3 rounds

- Time to first byte of the session list (``GET /``, the newest page) with 10,000
  sessions (100 a day over 100 days) in the local and S3-emulator (moto) stores, next
  to a store holding only the newest day's 100: a page reads only its own day prefixes.
- The server's memory (RSS of the ``browse`` process) while it serves a 2-hour stereo
  Ogg/Opus recording: whole, and as 20 range requests at random offsets (a player seeking).

Each server is the real command (``python -m <pkg> browse --port 0``) of a project
rendered from this template, in its own process; measurements are reported, never asserted.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import emulators  # noqa: E402
from projects import package_name, render  # noqa: E402
from stats import median, ms  # noqa: E402

PREFIX = "bench"
PER_DAY = 100
CHUNK_SECONDS = 60


def session_keys(days: int, per_day: int, now: datetime) -> list[tuple[str, bytes]]:
    """(key, small json transcript) for ``per_day`` sessions on each of ``days`` days."""
    files = []
    for back in range(days):
        day = now - timedelta(days=back)
        for number in range(per_day):
            room, job = f"room-{number % 17}", f"AJ_{back:03d}_{number:04d}"
            started = day.replace(hour=number % 24, minute=number % 60).timestamp()
            document = {
                "version": 1,
                "session": {"room": room, "job_id": job, "started_at": started},
                "items": [
                    {"type": "message", "role": "user", "text": "hello", "created_at": started}
                ],
            }
            key = f"{PREFIX}/transcripts/{day:%Y/%m/%d}/{room}/{job}/transcript.json"
            files.append((key, json.dumps(document).encode()))
    return files


def fill_local(root: Path, files: list[tuple[str, bytes]]) -> dict[str, str]:
    for key, data in files:
        path = root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return {"LOCAL_STORAGE_DIR": str(root)}


def s3_client(env: dict[str, str]):
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=env["S3_ENDPOINT_URL"],
        region_name="us-east-1",
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
    )


def fill_s3(env: dict[str, str], bucket: str, files: list[tuple[str, bytes]]) -> None:
    client = s3_client(env)
    client.create_bucket(Bucket=bucket)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda f: client.put_object(Bucket=bucket, Key=f[0], Body=f[1]), files))


class Browse:
    """``python -m <pkg> browse --port 0`` in ``project``, over the storage in ``env``."""

    def __init__(self, project: Path, env: dict[str, str], workdir: Path) -> None:
        base = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
        full = (
            base
            | env
            | {
                "STORAGE_PREFIX": PREFIX,
                "SPOOL_DIR": str(workdir / "spool"),
                "PYTHONPATH": str(project / "src"),
            }
        )
        self.process = subprocess.Popen(
            [sys.executable, "-m", package_name(project), "browse", "--port", "0"],
            cwd=workdir, env=full, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        for line in self.process.stdout:
            if "reviewing sessions at" in line:
                self.port = int(line.split("http://127.0.0.1:")[1].split("/")[0])
                break
        else:
            raise RuntimeError("browse did not start")
        threading.Thread(target=self.process.stdout.read, daemon=True).start()

    def rss(self) -> tuple[int, int]:
        """(current, peak) resident memory in bytes."""
        fields = dict(
            line.split(":", 1)
            for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines()
        )
        return (int(fields["VmRSS"].split()[0]) * 1024, int(fields["VmHWM"].split()[0]) * 1024)

    def reset_peak(self) -> None:
        Path(f"/proc/{self.process.pid}/clear_refs").write_text("5")

    def stop(self) -> None:
        emulators.terminate(self.process)


def first_byte(port: int, path: str) -> float:
    """Seconds from sending the request to the first byte of the answer; reads it all."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    start = time.perf_counter()
    connection.request("GET", path)
    response = connection.getresponse()  # returns once the status line has arrived
    elapsed = time.perf_counter() - start
    body = response.read()
    connection.close()
    assert response.status == 200 and b'tr class="session"' in body, response.status
    return elapsed


def two_hour_recording(path: Path, hours: float) -> Path:
    """A stereo Ogg/Opus recording of ``hours``: one minute encoded, its packets remuxed
    again and again with later timestamps (encoding two hours would take minutes)."""
    import av
    import numpy as np

    minute = path.with_suffix(".minute.ogg")
    frame_size, rate = 960, 48000
    with av.open(str(minute), "w", format="ogg") as out:
        stream = out.add_stream("libopus", rate=rate, layout="stereo")
        stream.bit_rate = 48000  # nominal; Ogg pages add their overhead
        times = np.arange(frame_size) / rate
        for index in range(CHUNK_SECONDS * rate // frame_size):
            wave = (0.2 * np.sin(2 * np.pi * (220 + index % 50) * times)).astype(np.float32)
            frame = av.AudioFrame.from_ndarray(
                np.stack([wave, wave]), format="fltp", layout="stereo"
            )
            frame.sample_rate, frame.pts = rate, index * frame_size
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    with av.open(str(minute)) as source, av.open(str(path), "w", format="ogg") as out:
        inp = source.streams.audio[0]
        stream = out.add_stream_from_template(inp)
        packets = [p for p in source.demux(inp) if p.size]
        step = CHUNK_SECONDS * rate
        for repeat in range(round(hours * 3600 / CHUNK_SECONDS)):
            for packet in packets:
                copy = av.Packet(bytes(packet))
                copy.pts = copy.dts = packet.pts + repeat * step
                copy.time_base = packet.time_base
                copy.stream = stream
                out.mux(copy)
    minute.unlink()
    return path


def list_rows(
    projects: dict[str, Path], work: Path, rounds: int, sessions: int
) -> list[tuple[str, str]]:
    now = datetime.now(UTC)
    days = sessions // PER_DAY
    full = session_keys(days, PER_DAY, now)
    newest_only = session_keys(1, PER_DAY, now)
    rows = []
    s3 = emulators.start_s3()
    try:
        stores = {
            f"local, {sessions:,} sessions": lambda: fill_local(work / "local-full", full),
            "local, 100 sessions": lambda: fill_local(work / "local-small", newest_only),
        }

        def s3_store(bucket: str, files: list) -> dict[str, str]:
            fill_s3(s3.env, bucket, files)
            return s3.env | {"S3_BUCKET": bucket}

        stores[f"s3, {sessions:,} sessions (moto)"] = lambda: s3_store("bench-full", full)
        stores["s3, 100 sessions (moto)"] = lambda: s3_store("bench-small", newest_only)
        for label, fill in stores.items():
            started = time.perf_counter()
            env = fill()
            filled = time.perf_counter() - started
            server = Browse(projects[label.split(" ")[0].strip(",")], env, work)
            try:
                first_byte(server.port, "/")  # warm: the store's client and imports
                times = [first_byte(server.port, "/") for _ in range(rounds)]
                rows.append((f"list TTFB, {label}", f"{ms(median(times))} (fill {filled:.0f} s)"))
                if "100 sessions" not in label:  # an older page: the same cost
                    older = f"/?until={now - timedelta(days=days // 2):%Y-%m-%d}"
                    times = [first_byte(server.port, older) for _ in range(rounds)]
                    rows.append((f"list TTFB, {label}, {days // 2} days back", ms(median(times))))
            finally:
                server.stop()
    finally:
        s3.stop()
    return rows


def memory_rows(projects: dict[str, Path], work: Path, hours: float) -> list[tuple[str, str]]:
    recording = two_hour_recording(work / "recording.ogg", hours)
    size = recording.stat().st_size
    day = datetime.now(UTC)
    folder = f"{PREFIX}/%s/{day:%Y/%m/%d}/long-call/AJ_long"
    transcript = session_keys(1, 1, day)[0][1]
    root = work / "memory-store"
    (root / (folder % "recordings")).mkdir(parents=True)
    os.link(recording, root / (folder % "recordings") / "recording.ogg")
    (root / (folder % "transcripts")).mkdir(parents=True)
    (root / (folder % "transcripts") / "transcript.json").write_bytes(transcript)
    media = f"/media/{day:%Y/%m/%d}/long-call/AJ_long/recording.ogg"
    kbps = size * 8 / (hours * 3600) / 1000
    rows = [
        (
            "recording",
            f"{hours * 60:.0f} min stereo Ogg/Opus, {size / 1e6:.1f} MB ({kbps:.0f} kb/s)",
        )
    ]
    s3 = emulators.start_s3()
    try:
        client = s3_client(s3.env)
        client.create_bucket(Bucket="bench-long")
        client.upload_file(str(recording), "bench-long", (folder % "recordings") + "/recording.ogg")
        client.put_object(
            Bucket="bench-long", Key=(folder % "transcripts") + "/transcript.json", Body=transcript
        )
        backends = {
            "local": {"LOCAL_STORAGE_DIR": str(root)},
            "s3": s3.env | {"S3_BUCKET": "bench-long"},
        }
        for label, env in backends.items():
            server = Browse(projects[label], env, work)
            try:
                first_byte(server.port, "/")
                idle, _ = server.rss()
                server.reset_peak()
                connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=300)
                connection.request("GET", media)
                response = connection.getresponse()
                received, peak_seen = 0, 0
                while chunk := response.read(1 << 20):
                    received += len(chunk)
                    peak_seen = max(peak_seen, server.rss()[0])
                connection.close()
                assert received == size, (received, size)
                whole_peak = max(peak_seen, server.rss()[1])
                server.reset_peak()
                rng = random.Random(18)
                for _ in range(20):
                    start = rng.randrange(size)
                    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=300)
                    connection.request("GET", media, headers={"Range": f"bytes={start}-"})
                    response = connection.getresponse()
                    assert response.status == 206
                    response.read(256 * 1024)  # a player reads a little, then seeks again
                    connection.close()
                time.sleep(0.5)
                seek_peak = server.rss()[1]
            finally:
                server.stop()
            mb = 1e6
            rows.append((f"RSS, {label}: idle", f"{idle / mb:.1f} MB"))
            rows.append(
                (
                    f"RSS, {label}: peak serving it whole",
                    f"{whole_peak / mb:.1f} MB (+{(whole_peak - idle) / mb:.1f})",
                )
            )
            rows.append(
                (
                    f"RSS, {label}: peak over 20 seeks",
                    f"{seek_peak / mb:.1f} MB (+{(seek_peak - idle) / mb:.1f})",
                )
            )
    finally:
        s3.stop()
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    sessions, rounds, hours = (1000, 3, 1 / 6) if args.quick else (10_000, 11, 2.0)
    with tempfile.TemporaryDirectory(prefix="bench-review-") as temp:
        work = Path(temp)
        projects = {
            backend: render(work / f"render-{backend}", storage_backend=backend)
            for backend in ("local", "s3")
        }
        rows = list_rows(projects, work, rounds, sessions)
        rows += memory_rows(projects, work, hours)
    width = max(len(label) for label, _ in rows)
    print(f"{'review server':<{width}}  median of {rounds}")
    for label, value in rows:
        print(f"{label:<{width}}  {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
