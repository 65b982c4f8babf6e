"""Where a level starts: the seeded initialisation, the rewind point, and the
one interpreter of a retraining policy (`lottery/policies.py`). Finished levels are read through the
trunk's store; nothing here writes."""
from __future__ import annotations

from typing import Any

from sparselab.foundations.seeds import derive_seed
from sparselab.lottery.policies import FRESH_INIT, PREVIOUS_FINAL, REWIND
from sparselab.training.hparams import TrainingHparams

StateDict = dict


def fresh_init(trunk: Any, level: int) -> StateDict:
    """Level 0: the run's seeded initialisation (built once); level L: a new one seeded by L."""
    if level > 0:
        return trunk.build_model(seed=derive_seed("scratch_init", trunk.init_seed(), level)).state_dict()
    if "init" not in trunk.start_cache:
        trunk.start_cache["init"] = trunk.build_model(seed=trunk.init_seed()).state_dict()
    return trunk.start_cache["init"]


def rewind_point(trunk: Any) -> StateDict:
    """Level 0's start weights, or the pretrained weights at step k under --rewinding_steps: read (verified)
    once per run, as every level of a lottery starts from it."""
    k = trunk.rewind_iteration()
    if "rewind" not in trunk.start_cache:
        trunk.start_cache["rewind"] = trunk.store.pretrain_weights() if k > 0 else trunk.store.start_weights(0)
    else:
        trunk.store.used_rewind_point(pretrained=k > 0)
    return trunk.start_cache["rewind"]


def raw_initial(trunk: Any) -> StateDict:
    """Level 0's start before any pruning at initialisation: the init, or the pretrained weights at k."""
    if trunk.rewind_iteration() > 0:
        return trunk.store.pretrain_weights()
    return fresh_init(trunk, 0)


def finetune_training(trunk: Any) -> TrainingHparams:
    f = trunk.finetune
    assert f is not None
    return trunk.training.replace(lr=f.finetune_lr, training_steps=f.finetune_training_steps,
                                  milestone_steps=f.finetune_milestone_steps, gamma=f.finetune_gamma,
                                  warmup_steps=f.finetune_warmup_steps, schedule="step")


def schedule(trunk: Any, level: int) -> tuple[TrainingHparams, int]:
    """(training bundle, start iteration) of `level` under the trunk's policy."""
    if level >= 1 and trunk.policy.uses_finetuning:
        return finetune_training(trunk), 0
    return trunk.training, trunk.rewind_iteration()


def retrain_start(trunk: Any, level: int, previous: int | None = None) -> StateDict:
    """The (unmasked) weights level `level` >= 1 starts from under the trunk's policy; `previous` is the
    level whose final weights `previous_final` takes (default level - 1; oneshot_prune: the dense 0)."""
    start = trunk.policy.start
    if start == REWIND:
        return rewind_point(trunk)
    if start == PREVIOUS_FINAL:
        return trunk.store.final_weights(level - 1 if previous is None else previous)
    assert start == FRESH_INIT, start
    return fresh_init(trunk, level)


def branch_start(trunk: Any, level: int, previous: int | None = None) -> StateDict:
    """Where a branch of `level` starts under the trunk's policy: level 0's saved start weights, else
    `retrain_start`."""
    return trunk.store.start_weights(0) if level == 0 else retrain_start(trunk, level, previous)
