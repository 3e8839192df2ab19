"""Pitch representations shared by the pitch families (melody, multi-pitch): pitch bins and
salience targets, salience decoding, salience losses and the salience models.
"""
