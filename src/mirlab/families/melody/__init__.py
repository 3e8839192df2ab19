"""Melody extraction and monophonic pitch tracking."""
