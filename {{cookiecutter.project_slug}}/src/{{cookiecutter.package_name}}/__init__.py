"""LiveKit voice agent with session recording and transcripts."""
