"""The levels of a trunk as plain data (`plan`, from the trunk's policy) and where each starts. Nothing here writes.
A `Level` says which mask it trains (level 0: the --init_* flags'; level L: level L-1's final weights pruned),
which weights it starts from and on which schedule."""
from __future__ import annotations

from dataclasses import dataclass

from sparselab.core.seeds import derive_seed
from sparselab.experiments.lottery.policies import FINETUNE, FRESH_INIT, PREVIOUS_FINAL, REWIND, STANDARD
from sparselab.experiments.lottery.trunk import StateDict, Trunk
from sparselab.train.hparams import TrainingHparams

FROM_FLAGS, PRUNE_PREVIOUS = "from_flags", "prune_previous"  # mask sources
INIT, PRETRAINED = "init", "pretrained"  # level 0's start sources (the others are the policy's)


@dataclass(frozen=True)
class Level:
    index: int
    start_density: float  # the density level 0 starts at: the absolute pruning schedule counts from it
    mask: str  # FROM_FLAGS or PRUNE_PREVIOUS
    start: str  # INIT, PRETRAINED, or the policy's REWIND / PREVIOUS_FINAL / FRESH_INIT
    schedule: str  # STANDARD or FINETUNE
    start_iteration: int


def level_of(trunk: Trunk, index: int) -> Level:
    init = trunk.init_pruning
    density = float(init.init_density) if init.enabled and init.init_density is not None else 1.0
    k = trunk.rewind_iteration()
    if index == 0:
        return Level(0, density, FROM_FLAGS, PRETRAINED if k > 0 else INIT, STANDARD, k)
    finetune = trunk.policy.uses_finetuning
    return Level(index, density, PRUNE_PREVIOUS, trunk.policy.start, trunk.policy.schedule, 0 if finetune else k)


def plan(trunk: Trunk, last: int) -> tuple[Level, ...]:
    return tuple(level_of(trunk, index) for index in range(last + 1))


def fresh_init(trunk: Trunk, level: int) -> StateDict:
    """Level 0: the run's seeded initialisation (built once); level L: a new one seeded by L."""
    if level > 0:
        return trunk.build_model(seed=derive_seed("scratch_init", trunk.init_seed(), level)).state_dict()
    if trunk.kept.init is None:
        trunk.kept.init = trunk.build_model(seed=trunk.init_seed()).state_dict()
    return trunk.kept.init


def rewind_point(trunk: Trunk) -> StateDict:
    """Level 0's start weights, or the pretrained weights at step k under --rewinding_steps: read (verified) once
    per run, as every level of a lottery starts from it."""
    pretrained = trunk.rewind_iteration() > 0
    if trunk.kept.rewind is None:
        trunk.kept.rewind = trunk.store.pretrain_weights() if pretrained else trunk.store.start_weights(0)
    else:
        trunk.store.used_rewind_point(pretrained=pretrained)
    return trunk.kept.rewind


def start_weights(trunk: Trunk, level: Level, previous: int | None = None) -> StateDict:
    """The unmasked start weights; `previous`: the level whose final weights a PREVIOUS_FINAL start takes (default
    the one before; oneshot_prune: the dense level 0)."""
    if level.start == INIT:
        return fresh_init(trunk, 0)
    if level.start == PRETRAINED:
        return trunk.store.pretrain_weights()
    if level.start == REWIND:
        return rewind_point(trunk)
    if level.start == PREVIOUS_FINAL:
        return trunk.store.final_weights(level.index - 1 if previous is None else previous)
    assert level.start == FRESH_INIT, level
    return fresh_init(trunk, level.index)


def training_of(trunk: Trunk, level: Level) -> TrainingHparams:
    """The training bundle of `level`: the trunk's, or the --finetune_* schedule."""
    if level.schedule != FINETUNE:
        return trunk.training
    f = trunk.finetune
    assert f is not None
    return trunk.training.replace(lr=f.finetune_lr, training_steps=f.finetune_training_steps,
                                  milestone_steps=f.finetune_milestone_steps, gamma=f.finetune_gamma,
                                  warmup_steps=f.finetune_warmup_steps, schedule="step")


def schedule(trunk: Trunk, index: int) -> tuple[TrainingHparams, int]:
    """(training bundle, start iteration)."""
    level = level_of(trunk, index)
    return training_of(trunk, level), level.start_iteration


def branch_start(trunk: Trunk, index: int, previous: int | None = None) -> StateDict:
    """Where a branch of level `index` starts: level 0's saved start weights, else the level's start."""
    return trunk.store.start_weights(0) if index == 0 else start_weights(trunk, level_of(trunk, index), previous)
