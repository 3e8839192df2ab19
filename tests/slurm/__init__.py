"""Support for tests/test_cluster_slurm.py: a single-node SLURM on localhost."""
