"""sparselab: an OpenLTH-style job-hierarchy framework for neural-network pruning research."""
