{%- set backend = cookiecutter.storage_backend -%}
{%- set egress = cookiecutter.recording in ["egress_audio", "egress_video"] -%}
{%- set bucket_variable = {"s3": "S3_BUCKET", "gcs": "GCS_BUCKET", "azure": "AZURE_STORAGE_CONTAINER"}.get(backend) -%}
"""Security: secrets never leave the process; names from outside cannot escape or inject.

Secrets: distinctive fake values for every credential the project reads go through a
whole session, ``check`` and ``flush``{% if egress %} and ``record start --dry-run``{% endif %} with DEBUG logging on, and
none may show up in a log record, the transcript header, a stored or spooled file, or a
command's output. Room names and job ids come from whoever creates the room: they must
stay inside the storage prefix and the spool, and never start a new log line.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import re
import subprocess
{%- if backend == "gcs" %}
import threading
{%- endif %}
import uuid
{%- if backend == "gcs" %}
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
{%- endif %}
from pathlib import Path
from types import SimpleNamespace

import pytest
{%- if backend == "gcs" %}
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
{%- endif %}
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from livekit.agents.cli.log import NOISY_LOGGERS, ColoredFormatter, JsonFormatter
from livekit.agents.testing import fake_job_context
from livekit.agents.utils import http_context

{% if backend == "azure" %}import azure_server
{% endif %}import fakes
import scripted
import storage_server
{%- if egress %}
import twirp_server
{%- endif %}
from {{ cookiecutter.package_name }}.archive import SessionArchive
from {{ cookiecutter.package_name }}.settings import Settings
from {{ cookiecutter.package_name }}.storage import open_store
from {{ cookiecutter.package_name }}.storage.layout import safe_prefix, safe_segment
from {{ cookiecutter.package_name }}.storage.spool import Spool
from {{ cookiecutter.package_name }}.transcript.model import SessionInfo
from {{ cookiecutter.package_name }}.transcript.sanitize import clean_text

USER_TURNS = ["Can you read my account details back"]
AGENT_REPLIES = ["Hello", "Sorry, I never read secrets aloud"]


def canary(name: str) -> str:
    """A fake secret that cannot appear anywhere by accident."""
    return f"canary-{name.lower().replace('_', '-')}-{uuid.uuid4().hex}"


# Secrets every project reads, whatever its storage: LiveKit's and the models' keys.
COMMON_SECRETS = ("LIVEKIT_API_KEY", "LIVEKIT_API_SECRET", "OPENAI_API_KEY", "DEEPGRAM_API_KEY")
{%- if backend == "gcs" %}


class TokenServer:
    """Google's OAuth token endpoint, locally: any signed assertion gets an access token."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.issued = 0
        token_body = json.dumps({"access_token": token, "expires_in": 3600, "token_type": "Bearer"})
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length", 0)))
                outer.issued += 1
                body = token_body.encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/token"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def token_server():
    server = TokenServer(canary("access_token"))
    yield server
    server.close()
{%- endif %}


@pytest.fixture
def secret_env(storage_env, tmp_path{% if backend == "gcs" %}, token_server{% endif %}) -> tuple[dict[str, str], list[str]]:
    """Storage settings carrying real-looking credentials, and the secret values in them."""
    env = dict(storage_env)
    secrets = {name: canary(name) for name in COMMON_SECRETS}
{%- if backend == "s3" %}
    # moto accepts any keys: use distinctive ones, with a session token as with STS
    secrets |= {name: canary(name) for name in ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")}
    env |= secrets
{%- elif backend == "azure" %}
    # Azurite checks signatures, so the key is its own; the connection string carries it
    endpoint = env.pop("AZURE_STORAGE_ENDPOINT_URL")
    account = env.pop("AZURE_STORAGE_ACCOUNT_NAME")
    env.pop("AZURE_STORAGE_ACCOUNT_KEY")
    key = azure_server.ACCOUNT_KEY
    env["AZURE_STORAGE_CONNECTION_STRING"] = (
        f"DefaultEndpointsProtocol=http;AccountName={account};AccountKey={key};"
        f"BlobEndpoint={endpoint};"
    )
    env |= secrets
    secrets["AZURE_STORAGE_ACCOUNT_KEY"] = key
{%- elif backend == "gcs" %}
    # a service-account key whose tokens come from the local token server
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    key_id = canary("private_key_id")
    account = {
        "type": "service_account",
        "project_id": "security-test",
        "private_key_id": key_id,
        "private_key": pem,
        "client_email": "recorder@security-test.iam.gserviceaccount.com",
        "client_id": "1",
        "token_uri": token_server.url,
    }
    credentials = tmp_path / "service-account.json"
    credentials.write_text(json.dumps(account), encoding="utf-8")
    env |= secrets | {"GOOGLE_APPLICATION_CREDENTIALS": str(credentials)}
    body_lines = [line for line in pem.splitlines() if line and not line.startswith("-----")]
    secrets |= {"private key line": max(body_lines, key=len), "private_key_id": key_id}
    secrets["access token"] = token_server.token
{%- else %}
    env |= secrets  # local storage has no credentials of its own
{%- endif %}
    return env, [value for value in secrets.values() if value]
{%- if backend == "local" %}


def unreachable_storage(tmp_path: Path) -> dict[str, str]:
    """Settings whose storage fails: a folder below a regular file."""
    (tmp_path / "a-file").write_text("not a folder")
    return {"LOCAL_STORAGE_DIR": str(tmp_path / "a-file" / "store")}
{%- else %}


def unreachable_storage(tmp_path: Path) -> dict[str, str]:
    """Settings whose storage fails: a bucket that does not exist."""
    missing = f"missing-{uuid.uuid4().hex[:12]}"
    return {"{{ bucket_variable }}": missing}
{%- endif %}


def debug_logging(caplog) -> None:
    """DEBUG logging as the worker sets it up with ``--log-level debug``.

    livekit's CLI keeps its list of chatty libraries (botocore, urllib3...) at WARNING, and
    Google's libraries log nothing unless their own logging is turned on: both would log
    credentials at DEBUG (botocore the AWS session token, google-auth the bearer token).
    """
    caplog.set_level(logging.DEBUG)
    for name in (*NOISY_LOGGERS, "google"):
        caplog.set_level(logging.WARNING, logger=name)
    caplog.set_level(logging.DEBUG, logger="livekit.agents")


{%- if egress %}


@pytest.fixture
def twirp(secret_env):
    """LiveKit's egress API, signing-key checks included, with the fake LiveKit keys."""
    env, _ = secret_env
    with twirp_server.TwirpEgressServer(
        api_key=env["LIVEKIT_API_KEY"], api_secret=env["LIVEKIT_API_SECRET"]
    ) as server:
        yield server
{%- endif %}


def run_commands(env: dict[str, str], tmp_path: Path) -> list[subprocess.CompletedProcess[str]]:
    """The commands an operator runs: check, flush, a failing check{% if egress %}, a dry-run recording{% endif %}."""
    return [
        storage_server.run_cli("check", env=env, cwd=tmp_path),
        storage_server.run_cli("flush", env=env, cwd=tmp_path),
        storage_server.run_cli("check", env=env | unreachable_storage(tmp_path), cwd=tmp_path),
{%- if egress %}
        storage_server.run_cli(
            "record", "start", "--room", "demo", "--dry-run", env=env, cwd=tmp_path
        ),
{%- endif %}
    ]


def logged(caplog) -> str:
    """Every captured record: its message, arguments and extra fields."""
    return "\n".join(f"{r.getMessage()} {vars(r)!r}" for r in caplog.records)


async def test_secrets_stay_out_of_logs_files_and_command_output(
    secret_env, tmp_path, caplog, monkeypatch{% if egress %}, twirp{% endif %}{% if backend == "gcs" %}, token_server{% endif %}
):
    env, secrets = secret_env
    spool_dir = tmp_path / "spool"
    for name, value in env.items():  # the worker reads its settings from the environment
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SPOOL_DIR", str(spool_dir))
{%- if egress %}
    monkeypatch.setenv("LIVEKIT_URL", twirp.url)
{%- endif %}
    debug_logging(caplog)

    # a whole session, saved
    settings = Settings.from_env()
    conversation = fakes.ScriptedConversation(USER_TURNS, AGENT_REPLIES)
    session = conversation.session
    async with http_context.open():
        with fake_job_context(job_id="AJ_secrets") as ctx:
            ctx.proc.userdata["settings"] = settings
            archive = await scripted.start_session(ctx, session, settings)
            await conversation.run()
            await session.aclose()
            results = await archive.close()
    assert all(r.ok for r in results), [r.error for r in results]
{%- if egress %}
    assert twirp.calls("StopEgress") and not twirp.rejected, "egress ran with the secret key"
{%- endif %}
{%- if backend == "gcs" %}
    assert token_server.issued, "storage was reached with the service-account key"
{%- endif %}

    Spool(spool_dir).write("left-over/transcript.json", b"{}")  # for flush to upload
    cli_env = storage_server.cli_env(env, spool_dir)
    runs = await asyncio.to_thread(run_commands, cli_env, tmp_path)
    assert [run.returncode for run in runs] == [0, 0, 1{% if egress %}, 0{% endif %}], runs
    output = "\n".join(run.stdout + run.stderr for run in runs)

    store = open_store(settings.storage)
    stored = {key: store.read_bytes(key) for key in store.list_keys()}
    assert archive.transcript_key in stored and "left-over/transcript.json" in stored
    spooled = [p.read_bytes() for p in spool_dir.rglob("*") if p.is_file()]
    places = {
        "logs": logged(caplog).encode(),
        "command output": output.encode(),
        "transcript header": json.dumps(archive.info.to_dict()).encode(),
        "settings repr": repr(settings).encode(),
        **{f"stored {key}": data for key, data in stored.items()},
        **{f"spooled file {n}": data for n, data in enumerate(spooled)},
    }
    assert len(caplog.records) > 10, "DEBUG logging was captured"
    leaked = [
        (where, secret[:20] + "...")
        for where, data in places.items()
        for secret in secrets
        if secret.encode() in data
    ]
    assert leaked == []


# Names from outside: room names and job ids

HOSTILE_ROOM = "lobby\nERROR forged line\r\x1b[31mred\x00 ../../../etc ✓ 日本 " + "x" * 300
# newlines, control characters, escapes, dot segments, separators, unicode, very long
hostile_text = st.lists(
    st.characters(codec="utf-8") | st.sampled_from(["\n", "\r", "\x1b", "/", "..", "\\", "%2e"]),
    max_size=120,
).map("".join) | st.text(min_size=200, max_size=1000)


@hypothesis_settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(room=hostile_text, job_id=hostile_text, prefix=st.sampled_from(["", "tenant/a", "../up"]))
def test_session_files_stay_inside_the_prefix_and_the_spool(settings, room, job_id, prefix):
    settings = dataclasses.replace(settings, storage_prefix=prefix)
    info = SessionInfo(room=room, job_id=job_id, started_at=1_795_000_000.0)
    store = open_store(settings.storage)
    session = SimpleNamespace()  # never started: only the keys are looked at
    archive = SessionArchive(session, settings, store, info)  # writes nothing yet
    keys = [
        archive.transcript_key,
        archive.key("recordings", "recording.ogg"),
        archive.capture.journal.path.relative_to(settings.spool_dir).as_posix(),
    ]
    top = f"{safe_prefix(prefix)}/" if safe_prefix(prefix) else ""
    for key in keys:
        assert key.startswith(top), key
        assert key[len(top) :].split("/")[0] in ("transcripts", "recordings"), key
        assert re.fullmatch(r"[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*", key), key
        assert not {".", ".."} & set(key.split("/"))
        assert Spool(settings.spool_dir).path(key).is_relative_to(settings.spool_dir)


def test_a_room_name_that_looks_hashed_gets_a_folder_of_its_own():
    """A changed name gets a hash; a name that looks like one is hashed too (issue 15)."""
    assert safe_segment("a b") == "a_b-c8687a08"
    assert safe_segment("a_b-c8687a08") not in ("a_b-c8687a08", safe_segment("a b"))
    hashed = safe_segment("日本")  # no safe character: the hash alone
    assert hashed != "日本" and safe_segment(hashed) != hashed
    assert safe_segment("lobby-2026") == "lobby-2026"  # a name that needs nothing keeps it


@given(room=hostile_text)
def test_no_room_name_can_take_another_rooms_folder(room):
    segment = safe_segment(room)
    if segment != room:  # the segment of a changed name: that name, as a room, goes elsewhere
        assert safe_segment(segment) != segment


async def test_a_hostile_room_name_cannot_forge_log_lines(settings, caplog):
    caplog.set_level(logging.DEBUG, logger="{{ cookiecutter.package_name }}")
    conversation = fakes.ScriptedConversation(USER_TURNS, AGENT_REPLIES)
    session = conversation.session
    async with http_context.open():
        with fake_job_context(job_id="AJ_hostile\nforged") as ctx:
            ctx.job.room.name = HOSTILE_ROOM
            ctx.proc.userdata["settings"] = settings
            archive = await scripted.start_session(ctx, session, settings)
            await conversation.run()
            await session.aclose()
            results = await archive.close()

    # the transcript keeps the name, with what a terminal would act on made harmless
    assert archive.info.room == clean_text(HOSTILE_ROOM)
    assert "\x1b" not in archive.info.room and "\x00" not in archive.info.room
    assert all(r.ok for r in results)
    ours = [r for r in caplog.records if r.name.startswith("{{ cookiecutter.package_name }}")]
    assert ours, "the save is logged"
    for record in ours:
        message = record.getMessage()
        assert not re.search(r"[\x00-\x1f\x7f]", message), message


@pytest.mark.parametrize("formatter", [JsonFormatter(), ColoredFormatter("%(message)s %(extra)s")])
def test_the_room_in_the_log_context_stays_on_one_line(formatter):
    """run_job puts the room name in every log record of the job (ctx.log_context_fields);
    livekit's formatters (JSON in production, colours in dev) encode it as JSON."""
    record = logging.LogRecord("agent", logging.INFO, __file__, 1, "session started", (), None)
    record.room = HOSTILE_ROOM
    line = formatter.format(record)
    assert "\n" not in line and "\r" not in line and "\x1b[31mred" not in line
