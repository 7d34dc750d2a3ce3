"""What the agent says first while recording: many jurisdictions require telling callers."""

{%- set notice = cookiecutter.recording_notice | trim | py_string %}
{% if cookiecutter.recording_notice | trim %}
RECORDING_NOTICE = {{ notice }}{% if notice | length > 81 %}  # noqa: E501{% endif %}
{%- else %}
RECORDING_NOTICE = None  # no notice was chosen when this project was generated
{%- endif %}
