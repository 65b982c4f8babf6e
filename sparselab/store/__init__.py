"""The one store of finished jobs: `job.py` opens and reads one job verified (done.json's checksums and
the identity bound to its path), `network.py` rebuilds its network, `tree.py` lists the jobs of a
results tree, `levels.py` is a trunk's or `train` run's levels over them. Nothing here writes."""
