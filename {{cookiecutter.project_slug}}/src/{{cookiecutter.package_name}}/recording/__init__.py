{%- set cls = {"agent_audio": "AgentAudioRecording", "egress_audio": "EgressRecording", "egress_video": "EgressRecording"}.get(cookiecutter.recording, "") -%}
{%- set module = "agent_audio" if cookiecutter.recording == "agent_audio" else "egress" -%}
"""Session recording: {{ cookiecutter.recording.replace("_", " ") }}."""

from .{{ module }} import {{ cls }} as Recording

__all__ = ["Recording"]
