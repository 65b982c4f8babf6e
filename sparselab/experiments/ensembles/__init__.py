"""Ensembles of sparse networks: EDST free tickets, DST and prune-and-fine-tune ensembles, and their evaluation."""
