def render_webvtt(transcript):
    raise NotImplementedError


def render_srt(transcript):
    raise NotImplementedError
