"""mirlab: a reproducible experiment pipeline for music-transcription research."""

__version__ = "0.1.0"
