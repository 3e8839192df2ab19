"""Evaluation and report layer, family-neutral: summaries with bootstrap CIs, paired tests, the
results table and the results figures.
"""
