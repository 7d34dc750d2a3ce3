{%- set video = cookiecutter.recording == "egress_video" -%}
{%- set backend = cookiecutter.storage_backend -%}
"""LiveKit Egress recording against a local Twirp server speaking LiveKit's protocol.

The real ``livekit.api`` client sends real protobuf requests with real JWTs; the
server (tests/twirp_server.py) decodes and records them and can be scripted to fail.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from google.protobuf.json_format import MessageToDict
from livekit.agents import AgentSession
from livekit.agents.testing import fake_job_context
from livekit.agents.utils import http_context
from livekit.protocol import egress as proto

import fakes
import scripted
from {{ cookiecutter.package_name }}.recording import Recording, egress, egress_output
from {{ cookiecutter.package_name }}.recording.cli import SECRET_FIELDS, start_request
from {{ cookiecutter.package_name }}.recording.notice import RECORDING_NOTICE
from {{ cookiecutter.package_name }}.settings import Settings
from {{ cookiecutter.package_name }}.storage import open_store
from {{ cookiecutter.package_name }}.storage.layout import ObjectKey, object_key, safe_segment
from {{ cookiecutter.package_name }}.transcript import TRANSCRIPT_FORMAT
from {{ cookiecutter.package_name }}.transcript.model import Transcript
from twirp_server import API_KEY, API_SECRET, TwirpEgressServer

PACKAGE = "{{ cookiecutter.package_name }}"
SRC = Path(egress.__file__).resolve().parents[2]
ROOM = "support desk/42"
JOB_ID = "AJ_egress_test"
DATE = r"\d{4}/\d{2}/\d{2}"
SESSION = "5e551017"  # what SessionArchive.session_id would be (layout.new_session_id)
USER_TURNS = ["Can you hear me"]
AGENT_REPLIES = ["Hello, how can I help", "Yes, loud and clear"]
{%- if backend == "s3" %}
# Explicit keys, so the test can check they travel in the upload block (and nowhere else).
EGRESS_ENV = {
    "S3_FORCE_PATH_STYLE": "true",
    "AWS_ACCESS_KEY_ID": "AKIAEGRESSTEST",
    "AWS_SECRET_ACCESS_KEY": "egress-test-secret-access-key",
    "AWS_SESSION_TOKEN": "egress-test-session-token",
}
{%- elif backend == "gcs" %}
SERVICE_ACCOUNT = {
    "type": "service_account",
    "project_id": "egress-test",
    "private_key_id": "egress-test-key-id",
    "private_key": "-----BEGIN PRIVATE KEY-----\negress-test-key\n-----END PRIVATE KEY-----\n",
    "client_email": "recorder@egress-test.iam.gserviceaccount.com",
}
{%- endif %}


def credentials_env(tmp_path: Path) -> dict[str, str]:
    """Storage credentials the egress request must carry{% if backend == "azure" %} (Azure: those of storage_env){% elif backend == "local" %} (none for local storage){% endif %}."""
{%- if backend == "s3" %}
    return dict(EGRESS_ENV)
{%- elif backend == "gcs" %}
    credentials = tmp_path / "service-account.json"
    credentials.write_text(json.dumps(SERVICE_ACCOUNT), encoding="utf-8")
    return {"GOOGLE_APPLICATION_CREDENTIALS": str(credentials)}
{%- else %}
    return {}
{%- endif %}


def session_key(settings: Settings) -> ObjectKey:
    """The ``key`` archive.start gives the recording: SessionArchive.key for this job."""
    started_at = time.time()

    def key(kind: str, filename: str) -> str:
        where = {"room": ROOM, "job_id": JOB_ID, "started_at": started_at, "session": SESSION}
        return object_key(settings.storage_prefix, kind, filename, **where)

    return key


@pytest.fixture
def egress_settings(tmp_path, storage_env) -> Settings:
    """The test's storage settings, with a prefix and explicit credentials."""
    env = storage_env | {"SPOOL_DIR": str(tmp_path / "spool"), "STORAGE_PREFIX": "prod/agents"}
    return Settings.from_env(env | credentials_env(tmp_path))


@pytest.fixture
def twirp():
    with TwirpEgressServer() as server:
        yield server


def livekit_settings(server: TwirpEgressServer) -> dict[str, str]:
    return {"LIVEKIT_URL": server.url, "LIVEKIT_API_KEY": API_KEY, "LIVEKIT_API_SECRET": API_SECRET}


@pytest.fixture
def livekit_env(monkeypatch, twirp) -> dict[str, str]:
    """Point LiveKitAPI (and so ``ctx.api``) at the Twirp server."""
    env = livekit_settings(twirp)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture
def short_timeouts(monkeypatch):
    monkeypatch.setattr(egress, "API_TIMEOUT", 0.5)
    monkeypatch.setattr(egress, "FINISH_BUDGET", 2.0)
    monkeypatch.setattr(egress, "POLL_INTERVAL", 0.05)


@contextlib.asynccontextmanager
async def job_context(settings: Settings, *, room: str = ROOM):
    """A fake job as the worker runs it: a shared http session, settings from prewarm."""
    async with http_context.open():
        with fake_job_context(job_id=JOB_ID) as ctx:
            ctx.job.room.name = room
            ctx.proc.userdata["settings"] = settings
            yield ctx


def secret_values(message) -> list[str]:
    """Every non-empty secret field in a request."""
    found: list[str] = []

    def walk(value):
        if isinstance(value, dict):
            for key, item in value.items():
                if key in SECRET_FIELDS and item:
                    found.append(item)
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(MessageToDict(message, preserving_proto_field_name=True))
    return found


def assert_media(request: proto.RoomCompositeEgressRequest) -> None:
    output = request.file_outputs[0]
{%- if video %}
    assert not request.audio_only and not request.video_only
    assert request.layout == "grid"
    assert request.preset == proto.EncodingOptionsPreset.H264_720P_30
    assert output.file_type == proto.EncodedFileType.MP4
{%- else %}
    assert request.audio_only and not request.layout
    assert request.audio_mixing == proto.AudioMixing.DUAL_CHANNEL_AGENT
    assert output.file_type == proto.EncodedFileType.OGG
{%- endif %}
    assert output.disable_manifest


def assert_upload_block(output: proto.EncodedFileOutput, env: dict[str, str]) -> None:
    """The upload block carries the storage settings given in ``env``."""
{%- if backend == "s3" %}
    assert output.WhichOneof("output") == "s3"
    assert output.s3.bucket == env["S3_BUCKET"]
    assert output.s3.region == env.get("AWS_REGION", "us-east-1")
    assert output.s3.endpoint == env.get("S3_ENDPOINT_URL", "")
    assert output.s3.force_path_style is True
    assert output.s3.access_key == EGRESS_ENV["AWS_ACCESS_KEY_ID"]
    assert output.s3.secret == EGRESS_ENV["AWS_SECRET_ACCESS_KEY"]
    assert output.s3.session_token == EGRESS_ENV["AWS_SESSION_TOKEN"]
{%- elif backend == "gcs" %}
    assert output.WhichOneof("output") == "gcp"
    assert output.gcp.bucket == env["GCS_BUCKET"]
    assert json.loads(output.gcp.credentials) == SERVICE_ACCOUNT
{%- elif backend == "azure" %}
    assert output.WhichOneof("output") == "azure"
    assert output.azure.container_name == env["AZURE_STORAGE_CONTAINER"]
    connection_string = env.get("AZURE_STORAGE_CONNECTION_STRING", "")
    connection = dict(part.split("=", 1) for part in connection_string.split(";") if part)
    account = env.get("AZURE_STORAGE_ACCOUNT_NAME") or connection["AccountName"]
    key = env.get("AZURE_STORAGE_ACCOUNT_KEY") or connection["AccountKey"]
    assert (output.azure.account_name, output.azure.account_key) == (account, key)
{%- else %}
    # local storage: no upload block, the egress server writes to its own disk
    assert output.WhichOneof("output") is None
{%- endif %}


# The request


async def test_start_request_records_the_room_to_the_configured_storage(
    egress_settings, storage_env, livekit_env, twirp
):
    async with job_context(egress_settings) as ctx:
        recording = Recording(ctx, AgentSession(), egress_settings, session_key(egress_settings))
        await recording.start()

    (request,) = twirp.calls("StartRoomCompositeEgress")
    assert request.room_name == ROOM
    assert_media(request)
    output = request.file_outputs[0]
    # the storage layout: <prefix>/recordings/<date>/<room>/<job-id>.<session>/recording.<ext>
    pattern = rf"prod/agents/recordings/{DATE}/{re.escape(safe_segment(ROOM))}/{JOB_ID}\.{SESSION}/"
    assert re.fullmatch(pattern + rf"recording\.{egress_output.EXTENSION}", output.filepath)
    assert_upload_block(output, storage_env)
    assert recording.egress_id == "EG_test1"
    assert not twirp.rejected


# The session: start, explicit stop, header


async def play(settings: Settings, twirp: TwirpEgressServer):
    """A whole scripted session through the agent's own wiring, then archive.close().

    Returns the conversation, the archive, its save results, and the egress methods
    called by the end of the conversation (before the session closed)."""
    conversation = fakes.ScriptedConversation(USER_TURNS, AGENT_REPLIES)
    session = conversation.session
    async with job_context(settings) as ctx:
        archive = await scripted.start_session(ctx, session, settings)
        await conversation.run()
        during = [name for name, _ in twirp.requests]
        await session.aclose()
        results = await archive.close()
    return conversation, archive, results, during


def saved_header(settings: Settings, archive) -> dict | None:
    """The recording entry of the transcript as stored (formats that keep the header)."""
    saved = open_store(settings.storage).read_bytes(archive.transcript_key).decode("utf-8")
    if TRANSCRIPT_FORMAT not in ("json", "jsonl"):
        return None
    return Transcript.from_text(saved).session.recording


async def test_a_session_starts_egress_and_stops_it_when_it_ends(settings, livekit_env, twirp):
    conversation, archive, results, during = await play(settings, twirp)

    # started once while the session ran, stopped only when it ended
    assert during == ["StartRoomCompositeEgress"]
    (request,) = twirp.calls("StartRoomCompositeEgress")
    assert_media(request)
    assert request.file_outputs[0].filepath == archive.key("recordings", egress_output.FILENAME)
    assert [stop.egress_id for stop in twirp.calls("StopEgress")] == ["EG_test1"]
    assert twirp.calls("ListEgress")[-1].egress_id == "EG_test1"

    # the agent spoke (the notice, if any, first) without waiting for egress to answer
    egress_info = twirp.egresses["EG_test1"]
    said = [m for m in conversation.session.history.messages() if m.role == "assistant"]
    assert said and (said[0].text_content or "").strip() == (RECORDING_NOTICE or AGENT_REPLIES[0])

    header = archive.info.recording
    assert header["kind"] == "{{ cookiecutter.recording }}"
    assert header["egress_id"] == "EG_test1" and header["status"] == "complete"
    assert header["location"] == egress_info.file_results[0].location
    assert header["error"] is None
    # captions align to the recording's own start (egress reports nanoseconds)
    egress_start = egress_info.started_at / 1e9
    assert archive.info.recording_started_at == pytest.approx(egress_start, abs=1e-3)
    assert all(r.ok for r in results)
    stored = saved_header(settings, archive)
    assert stored is None or stored == header
    saved = open_store(settings.storage).read_bytes(archive.transcript_key).decode("utf-8")
    for secret in secret_values(request):
        assert secret not in saved


async def test_a_server_error_leaves_the_session_running_and_shows_in_the_header(
    settings, livekit_env, twirp
):
    twirp.fail("StartRoomCompositeEgress", "unavailable", "egress not connected", 503)
    conversation, archive, results, during = await play(settings, twirp)

    # the conversation went on to its last reply
    said = [m.text_content or "" for m in conversation.session.history.messages()]
    assert said[-1].strip() == AGENT_REPLIES[-1]
    assert during == ["StartRoomCompositeEgress"]
    assert not twirp.calls("StopEgress")

    header = archive.info.recording
    assert header["status"] == "failed" and header["egress_id"] is None
    assert "egress not connected" in header["error"]
    assert all(r.ok for r in results)
    stored = saved_header(settings, archive)
    assert stored is None or stored == header


# Failures never take the call down


async def test_a_hanging_egress_api_does_not_delay_the_greeting(settings, livekit_env, twirp):
    """The start is asked for in the background: the agent speaks while it is unanswered."""
    twirp.hang("StartRoomCompositeEgress")
    conversation = fakes.ScriptedConversation(USER_TURNS, AGENT_REPLIES)
    session = conversation.session
    async with job_context(settings) as ctx:
        archive = await scripted.start_session(ctx, session, settings)
        began = time.time()
        spoken = asyncio.Event()
        session.on("conversation_item_added", lambda _: spoken.set())
        await asyncio.wait_for(spoken.wait(), egress.API_TIMEOUT)
        first_words = time.time() - began
        await conversation.run()
        results = await archive.close()

    assert first_words < egress.API_TIMEOUT, "the greeting waited for egress"
    # the unanswered start did create an egress: it is found by its file and stopped
    assert [stop.egress_id for stop in twirp.calls("StopEgress")] == ["EG_test1"]
    assert all(r.ok for r in results)
    assert archive.info.recording["channels"] == egress_output.CHANNELS
    print(f"first words {first_words:.2f}s after start, egress API hanging")


async def test_unavailable_egress_is_logged_and_recorded_as_failed(
    egress_settings, livekit_env, twirp, caplog
):
    twirp.fail("StartRoomCompositeEgress", "unavailable", "egress not connected", 503)
    async with job_context(egress_settings) as ctx:
        recording = Recording(ctx, AgentSession(), egress_settings, session_key(egress_settings))
        with caplog.at_level(logging.ERROR):
            await recording.start()
        header, file = await recording.finish()

    assert file is None
    assert header["status"] == "failed" and header["egress_id"] is None
    assert "egress not connected" in header["error"]
    assert "egress not connected" in caplog.text
    assert not twirp.calls("StopEgress")


async def test_a_token_signed_with_the_wrong_secret_is_rejected(
    egress_settings, livekit_env, twirp, monkeypatch
):
    monkeypatch.setenv("LIVEKIT_API_SECRET", "not-the-server-secret-but-long-enough")
    async with job_context(egress_settings) as ctx:
        recording = Recording(ctx, AgentSession(), egress_settings, session_key(egress_settings))
        await recording.start()
        header, _ = await recording.finish()

    assert twirp.rejected and "Signature verification failed" in twirp.rejected[0]
    assert not twirp.requests
    assert header["status"] == "failed" and "unauthenticated" in header["error"]


async def test_a_start_that_times_out_is_bounded_and_its_egress_stopped(
    egress_settings, livekit_env, twirp, short_timeouts
):
    # the server creates the egress but never answers: the client times out
    twirp.hang("StartRoomCompositeEgress")
    async with job_context(egress_settings) as ctx:
        recording = Recording(ctx, AgentSession(), egress_settings, session_key(egress_settings))
        await recording.start()
        assert recording.egress_id is None and "no answer from LiveKit" in recording.error
        header, _ = await recording.finish()

    # the egress the lost reply would have named is found by its file and stopped
    (stop,) = twirp.calls("StopEgress")
    assert stop.egress_id == "EG_test1"
    assert header["egress_id"] == "EG_test1"
    assert header["status"] == "complete"


async def test_an_egress_that_ends_failed_is_reported_with_its_error(
    egress_settings, livekit_env, twirp
):
    twirp.end_status = proto.EgressStatus.EGRESS_FAILED
    twirp.end_error = "upload failed: AccessDenied"
    async with job_context(egress_settings) as ctx:
        recording = Recording(ctx, AgentSession(), egress_settings, session_key(egress_settings))
        await recording.start()
        header, _ = await recording.finish()

    assert header["status"] == "failed"
    assert header["error"] == "upload failed: AccessDenied"
    assert header["location"] is None
    assert header["started_at"] is None, "no recording for captions to align to"


async def test_a_stop_that_hangs_is_bounded(egress_settings, livekit_env, twirp, short_timeouts):
    # the egress stops but the answer is lost: the status read still finds it complete
    twirp.hang("StopEgress")
    async with job_context(egress_settings) as ctx:
        recording = Recording(ctx, AgentSession(), egress_settings, session_key(egress_settings))
        await recording.start()
        header, _ = await recording.finish()

    assert [stop.egress_id for stop in twirp.calls("StopEgress")] == ["EG_test1"]
    assert header["status"] == "complete" and header["error"] is None


async def test_a_refused_stop_leaves_the_egress_active_and_says_so(
    egress_settings, livekit_env, twirp, short_timeouts, caplog
):
    twirp.fail("StopEgress", "internal", "egress service overloaded", 500)
    async with job_context(egress_settings) as ctx:
        recording = Recording(ctx, AgentSession(), egress_settings, session_key(egress_settings))
        await recording.start()
        with caplog.at_level(logging.WARNING):
            header, _ = await recording.finish()

    assert header["status"] == "active"
    assert "egress stop failed" in header["error"] and "overloaded" in header["error"]
    assert "egress service overloaded" in caplog.text
    assert len(twirp.calls("ListEgress")) >= 1


{%- if backend == "azure" %}


async def test_a_sas_connection_string_cannot_record_and_says_why(
    tmp_path, storage_env, livekit_env, twirp
):
    sas = "BlobEndpoint=https://example.blob.core.windows.net;SharedAccessSignature=sv=2024&sig=x"
    env = {
        "AZURE_STORAGE_CONTAINER": storage_env["AZURE_STORAGE_CONTAINER"],
        "AZURE_STORAGE_CONNECTION_STRING": sas,
        "SPOOL_DIR": str(tmp_path / "spool"),
    }
    sas_settings = Settings.from_env(env)
    async with job_context(sas_settings) as ctx:
        recording = Recording(ctx, AgentSession(), sas_settings, session_key(sas_settings))
        await recording.start()
        header, _ = await recording.finish()

    assert not twirp.requests
    assert header["status"] == "failed" and "account name and key" in header["error"]
{%- endif %}


# The command line, end to end


@pytest.fixture
def cli_env(tmp_path, storage_env) -> dict[str, str]:
    """A clean environment: this test's storage and no LiveKit settings."""
    inherited = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("LIVEKIT_", "AWS_", "S3_", "GCS_", "GOOGLE_", "AZURE_"))
    }
    env = inherited | storage_env | {"SPOOL_DIR": str(tmp_path / "spool"), "STORAGE_PREFIX": "ops"}
    env |= credentials_env(tmp_path)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
    return env


def record(cli_env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", PACKAGE, "record", *args],
        env=cli_env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_start_stop_and_list(cli_env, tmp_path, twirp):
    env = cli_env | livekit_settings(twirp)

    started = record(env, tmp_path, "start", "--room", "demo room")
    assert started.returncode == 0, started.stderr
    (request,) = twirp.calls("StartRoomCompositeEgress")
    assert request.room_name == "demo room"
    assert_media(request)
    folder = rf"ops/recordings/{DATE}/{re.escape(safe_segment('demo room'))}/"
    manual = re.escape(f"manual-{egress_output.UTC_VARIABLE}/{egress_output.FILENAME}")
    assert re.fullmatch(folder + manual, request.file_outputs[0].filepath)
    assert "EG_test1" in started.stdout

    stopped = record(env, tmp_path, "stop", "EG_test1")
    assert stopped.returncode == 0, stopped.stderr
    assert [stop.egress_id for stop in twirp.calls("StopEgress")] == ["EG_test1"]
    assert "EG_test1  ending" in stopped.stdout

    listed = record(env, tmp_path, "list", "--room", "demo room")
    assert listed.returncode == 0, listed.stderr
    assert twirp.calls("ListEgress")[-1].room_name == "demo room"
    assert "EG_test1  complete  demo room" in listed.stdout
    assert twirp.egresses["EG_test1"].file_results[0].location in listed.stdout
    assert not twirp.rejected


def test_cli_reports_a_server_error_in_one_line(cli_env, tmp_path, twirp):
    env = cli_env | livekit_settings(twirp)
    twirp.fail("StopEgress", "not_found", "egress does not exist", 404)

    stopped = record(env, tmp_path, "stop", "EG_missing")
    assert stopped.returncode == 1
    assert stopped.stderr.strip().splitlines() == [
        "error: record stop failed: ServerError: ServerError(code=not_found, "
        "message=egress does not exist, status=404)"
    ]


def test_cli_without_livekit_settings_names_the_missing_variable(cli_env, tmp_path):
    result = record(cli_env, tmp_path, "list")
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: LIVEKIT_URL is not set")


def test_cli_dry_run_prints_the_request_with_secrets_masked(cli_env, tmp_path, twirp):
    result = record(cli_env, tmp_path, "start", "--room", "demo room", "--dry-run")
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert printed["room_name"] == "demo room"
    assert "manual-{utc}" in printed["file_outputs"][0]["filepath"]
    # the same request the real start would send, with its secrets replaced
    settings = Settings.from_env(cli_env)
    request = start_request(settings, "demo room")
    secrets = secret_values(request)
    for secret in secrets:
        assert secret not in result.stdout
    assert result.stdout.count('"***"') == len(secrets)
{%- if backend == "local" %}
    assert not {"s3", "gcp", "azure"} & set(printed["file_outputs"][0])
{%- else %}
    assert secrets, "the storage settings under test carry credentials"
{%- endif %}
{%- if backend == "s3" %}
    assert EGRESS_ENV["AWS_ACCESS_KEY_ID"] not in result.stdout  # livekit marks it secret too
{%- endif %}
    assert not twirp.requests, "a dry run sends nothing"
