"""Weights & Biases: one run per job, grouped by experiment, resumed under the same id.

A job's run id is derived from its directory (sha256 of the resolved absolute path), and
`resume="allow"` makes a job resumed after an interruption append to the run it started instead of
opening a second one. The run's group is the experiment folder (`lottery_<hash>`, `--wandb_group` to override), its
name the job's path inside the experiment, and its config the job's hparams record plus where the
job lies (experiment, replicate, level, branch), so runs of one experiment can be filtered by level.
W&B runs in the mode its own environment says (`WANDB_MODE=offline` writes under `<job>/wandb`
without any network; `wandb sync` uploads later).
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Mapping

from sparselab.core import identity


def run_id(out_dir: Path) -> str:
    """The W&B run id of the job in `out_dir`: the same on every resumption of that job."""
    return hashlib.sha256(str(Path(out_dir).resolve()).encode()).hexdigest()[:16]


def init_arguments(out_dir: Path, record: Mapping[str, Any], flags: Any) -> dict[str, Any]:
    """The keyword arguments of wandb.init for this job (`flags`: the --wandb_* fields)."""
    where = identity.of_directory(out_dir)
    experiment = where["experiment"] or Path(out_dir).name
    job = where["job"] if where["experiment"] else Path(out_dir).name
    config = {**record, "experiment": experiment, "replicate": where["replicate"],
              "level": where["level"], "branch": where["branch"], "job": job}
    return {"project": flags.wandb_project, "entity": flags.wandb_entity,
            "group": flags.wandb_group or experiment, "name": f"{experiment}/{job}", "id": run_id(out_dir),
            "resume": "allow", "dir": str(out_dir), "config": config, "reinit": "finish_previous"}


class WandB:
    def __init__(self, out_dir: Path, record: Mapping[str, Any], flags: Any) -> None:
        import wandb

        self.run = wandb.init(**init_arguments(out_dir, record, flags))

    def log(self, scalars: Mapping[str, float], iteration: int) -> None:
        from sparselab.train.loggers import tag

        self.run.log({tag(k): v for k, v in scalars.items()}, step=iteration)

    def close(self) -> None:
        self.run.finish()
