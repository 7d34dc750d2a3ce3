def render(transcript):
    raise NotImplementedError
