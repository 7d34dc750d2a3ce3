{%- set video = cookiecutter.recording == "egress_video" -%}
"""What LiveKit Egress records and where it writes it: the room-composite request.

{% if video -%}
The room's video in the ``grid`` layout with its mixed audio, H.264 720p at 30 fps, to MP4.
{%- else -%}
The room's audio only, to Ogg/Opus in two channels: ``DUAL_CHANNEL_AGENT`` puts the
agent on the left channel and every other participant on the right, so each side can be
reviewed or transcribed on its own. (Some egress versions ignore the option and mix
both channels: livekit/agents#4462.)
{%- endif %}

The upload block is built from the same storage settings as the transcripts, and the
file follows the same layout (``storage/layout.py``)::

    <prefix>/recordings/<YYYY>/<MM>/<DD>/<room>/<job-id>.<session>/recording.{{ "mp4" if video else "ogg" }}

The egress service writes and uploads the file itself: the agent never handles the media,
so everything here has to be reachable and valid from the egress server.
"""

from __future__ import annotations

from livekit.protocol import egress as proto

from ..storage import StorageConfig, layout

{% if video -%}
FILE_TYPE = proto.EncodedFileType.MP4
EXTENSION = "mp4"
FORMAT = "mp4/h264, grid layout, 720p 30 fps"
CHANNELS = "mixed: every participant in both channels"
REQUEST_OPTIONS = {"layout": "grid", "preset": proto.EncodingOptionsPreset.H264_720P_30}
{%- else -%}
FILE_TYPE = proto.EncodedFileType.OGG
EXTENSION = "ogg"
CHANNELS = "stereo: agent left, other participants right"
FORMAT = f"ogg/opus, {CHANNELS}"
REQUEST_OPTIONS = {"audio_only": True, "audio_mixing": proto.AudioMixing.DUAL_CHANNEL_AGENT}
{%- endif %}
FILENAME = f"recording.{EXTENSION}"
# `record start` has no job: this job-id segment plus egress's {utc} names its folder.
MANUAL_SEGMENT = "manual"
UTC_VARIABLE = "{utc}"
{%- if cookiecutter.storage_backend == "s3" %}


def upload(config: StorageConfig) -> dict[str, proto.S3Upload]:
    """The S3 upload block: bucket, region, endpoint and path style as configured.

    Keys are sent only when the settings hold them (``AWS_ACCESS_KEY_ID``...). With an
    instance role or profile instead, none are sent and the egress server uploads with
    its own AWS credentials, which then need write access to the bucket. Temporary keys
    (a session token) must still be valid when the recording ends.
    """
    return {
        "s3": proto.S3Upload(
            bucket=config.bucket,
            region=config.region or "",
            endpoint=config.endpoint_url or "",
            force_path_style=bool(config.force_path_style),
            access_key=config.access_key_id or "",
            secret=config.secret_access_key or "",
            session_token=config.session_token or "",
        )
    }


def destination(config: StorageConfig, filepath: str) -> str:
    endpoint = f" via {config.endpoint_url}" if config.endpoint_url else ""
    return f"{config.describe()}/{filepath}{endpoint}"
{%- elif cookiecutter.storage_backend == "gcs" %}


def upload(config: StorageConfig) -> dict[str, proto.GCPUpload]:
    """The GCS upload block; it carries the service-account JSON itself.

    Without a credentials file (application default credentials) none is sent and the
    egress server uploads with its own. Egress always talks to Google's own endpoint, so
    ``GCS_ENDPOINT_URL`` (an emulator) does not apply to recordings. Reads a file: call it
    off the event loop.
    """
    return {"gcp": proto.GCPUpload(bucket=config.bucket, credentials=config.credentials_json())}


def destination(config: StorageConfig, filepath: str) -> str:
    return f"{config.describe()}/{filepath}"
{%- elif cookiecutter.storage_backend == "azure" %}


def upload(config: StorageConfig) -> dict[str, proto.AzureBlobUpload]:
    """The Azure upload block: account name and key (taken from the connection string
    when only that is set) and the container.

    Egress can only use an account key: a SAS connection string or Entra ID raise
    ValueError here. It always uploads to ``https://<account>.blob.core.windows.net``,
    so a custom endpoint (Azurite, sovereign clouds) does not apply to recordings.
    """
    if not (config.account_name and config.account_key):
        raise ValueError(
            "LiveKit Egress needs the storage account name and key (AZURE_STORAGE_ACCOUNT_NAME "
            "and AZURE_STORAGE_ACCOUNT_KEY, or a connection string with AccountName and "
            "AccountKey); a SAS cannot be passed to egress"
        )
    return {
        "azure": proto.AzureBlobUpload(
            account_name=config.account_name,
            account_key=config.account_key,
            container_name=config.container,
        )
    }


def destination(config: StorageConfig, filepath: str) -> str:
    return f"{config.describe()}/{filepath}"
{%- else %}


def upload(config: StorageConfig) -> dict[str, object]:
    """No upload block: the file is written on the egress server's own disk.

    Egress saves it at ``filepath`` relative to its working directory (mount a volume
    there), or uploads it to the storage set in the egress service's own config.yaml if
    that has one. Nothing is copied to ``LOCAL_STORAGE_DIR`` on the agent's machine.
    """
    return {}


def destination(config: StorageConfig, filepath: str) -> str:
    return f"the egress server's own disk: {filepath} (not LOCAL_STORAGE_DIR {config.root})"
{%- endif %}


def file_output(config: StorageConfig, filepath: str) -> proto.EncodedFileOutput:
    """The file and its upload block. The transcript header records what egress reports,
    so egress's own JSON manifest next to the file is turned off."""
    return proto.EncodedFileOutput(
        file_type=FILE_TYPE, filepath=filepath, disable_manifest=True, **upload(config)
    )


def room_composite_request(
    room_name: str, output: proto.EncodedFileOutput
) -> proto.RoomCompositeEgressRequest:
    return proto.RoomCompositeEgressRequest(
        room_name=room_name, file_outputs=[output], **REQUEST_OPTIONS
    )


def manual_filepath(prefix: str, *, room: str, now: float) -> str:
    """A recording started from the command line, which has no job.

    The date folders and the room come from the layout (today, UTC; the room made safe);
    the job-id segment becomes ``manual-{utc}``, which egress fills in with the UTC time
    it starts (``20261124093000123``, to the millisecond) so every manual recording gets
    its own folder. Egress's ``{time}`` is not used: it is the egress server's local time
    to the second.
    """
    folder = layout.session_folder(
        prefix, "recordings", room=room, job_id=MANUAL_SEGMENT, started_at=now
    )
    return f"{folder}-{UTC_VARIABLE}/{FILENAME}"
