"""The commands that run jobs: train, lottery trunks, branches, ensembles, tickets."""
