"""Experiment families: one folder each, behind the interface of ``mirlab.families.base``."""
