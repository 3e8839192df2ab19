"""Data layer: datasets and their native layouts, annotation files, the synthetic generator,
audio, features, annotation grids, splits, excerpts, the preprocessing stages and the cache
paths.
"""
