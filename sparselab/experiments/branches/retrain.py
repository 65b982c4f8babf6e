"""`retrain`: retrain a level with other data/training bundles (`--retrain_d_*`, `--retrain_t_*`; unset: the trunk's).
Re-dense training: `--retrain_t_regain_pruned_weights_steps=S` trains sparse until S, then every pruned weight comes
back at exactly zero with zero optimiser state and the dense network trains to the end."""
from __future__ import annotations

import argparse
import dataclasses
from typing import Any, ClassVar, Mapping

from sparselab.experiments.branches.base import Branch, BranchContext, train_branch_level, trunk_mask
from sparselab.data.hparams import DatasetHparams
from sparselab.core.hparams import Hparams, hparam
from sparselab.experiments.lottery import starts
from sparselab.experiments.lottery.trunk import Trunk
from sparselab.train.data import prepare_data
from sparselab.train.hparams import TrainingHparams
from sparselab.train.standard import Environment

DATASET_PREFIX, TRAINING_PREFIX = "retrain_d_", "retrain_t_"


@dataclasses.dataclass(frozen=True)
class RetrainHparams(Hparams):
    _group: ClassVar[str] = "Branch retrain"
    start_from: str = hparam("rewind", "weights to retrain: the level's start weights, its final weights, "
                                       "or the initialisation (all masked by the level's mask)",
                             choices=("rewind", "final", "init"))


def _say_trunk_default(parser: argparse.ArgumentParser, prefixes: tuple[str, ...]) -> None:
    """`--retrain_t_lr`'s help: '(default: the trunk's --lr: 0.05)', the trunk's value under this preset
    (a flag given to the trunk on the same command line changes it)."""
    for action in parser._actions:
        flag = next((o for o in action.option_strings if o.startswith("--")), "")
        prefix = next((p for p in prefixes if flag.startswith(f"--{p}")), None)
        if prefix is not None and action.help and "(default: " in action.help:
            trunk_flag = "--" + flag[len(prefix) + 2:]
            text = action.help.replace("(default: None)", f"(default: the trunk's {trunk_flag})")
            action.help = text.replace("(default: ", f"(default: the trunk's {trunk_flag}: ", 1) if text == \
                action.help else text


class Retrain(Branch):
    name: ClassVar[str] = "retrain"
    on_dense_trunk: ClassVar[bool] = True
    description: ClassVar[str] = "retrain a level with other dataset/training flags (incl. re-dense training)"
    bundle = RetrainHparams

    @classmethod
    def add_args(cls, parser: argparse.ArgumentParser, trunk_preset: dict[str, Any]) -> None:
        super().add_args(parser, trunk_preset)
        DatasetHparams.add_args(parser, prefix=DATASET_PREFIX, defaults=trunk_preset,
                                title="Branch retrain: dataset (default: the trunk's)")
        TrainingHparams.add_args(parser, prefix=TRAINING_PREFIX, defaults=trunk_preset,
                                 title="Branch retrain: training (default: the trunk's)")
        _say_trunk_default(parser, (DATASET_PREFIX, TRAINING_PREFIX))

    @classmethod
    def bundles_from_args(cls, args: argparse.Namespace, trunk: Trunk) -> dict[str, Hparams]:
        return {"branch": RetrainHparams.from_args(args),
                "dataset": DatasetHparams.from_args(args, prefix=DATASET_PREFIX, defaults=trunk.dataset.to_dict()),
                "training": TrainingHparams.from_args(args, prefix=TRAINING_PREFIX,
                                                      defaults=trunk.training.to_dict())}

    @classmethod
    def environment(cls, trunk: Trunk, dataset: DatasetHparams) -> Environment:
        if dataset == trunk.dataset:
            return trunk.env
        data = prepare_data(dataset, trunk.env.platform.dataset_root, trunk.job_args.replicate,
                            download=trunk.env.platform.hparams.download)
        if data.input_shape != trunk.env.data.input_shape or data.num_classes != trunk.env.data.num_classes:
            from sparselab.core.errors import UsageError

            raise UsageError(f"--retrain_d_dataset_name={dataset.dataset_name} has inputs {data.input_shape} and "
                             f"{data.num_classes} classes; the trunk's model needs {trunk.env.data.input_shape} "
                             f"and {trunk.env.data.num_classes}")
        return Environment(trunk.env.platform, data, trunk.job_args.replicate, trunk.env.verbose)

    @classmethod
    def validate(cls, trunk: Trunk, hparams: Mapping[str, Hparams]) -> None:
        cls.environment(trunk, hparams["dataset"])  # type: ignore[arg-type]

    @classmethod
    def run_level(cls, ctx: BranchContext) -> dict[str, Any]:
        h: RetrainHparams = ctx.hparams["branch"]  # type: ignore[assignment]
        training: TrainingHparams = ctx.hparams["training"]  # type: ignore[assignment]
        trunk = ctx.trunk
        env = cls.environment(trunk, ctx.hparams["dataset"])  # type: ignore[arg-type]
        mask = trunk_mask(trunk, ctx.level)
        if h.start_from == "rewind":
            state, start = trunk.store.start_weights(ctx.level), starts.schedule(trunk, ctx.level)[1]
        elif h.start_from == "final":
            state, start = trunk.store.final_weights(ctx.level), 0
        else:
            state, start = starts.fresh_init(trunk, 0), 0
        return train_branch_level(ctx, state, mask, training, start, env=env)
