"""Transcripts: the data model, live capture and the six output formats."""

# The format chosen when this project was generated.
TRANSCRIPT_FORMAT = "{{ cookiecutter.transcript_format }}"
