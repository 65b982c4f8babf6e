"""`<trunk>_branch <name>`: a branch on each listed level of a trunk rebuilt from its flags (same hash, same directory),
e.g. `lottery_branch randomly_reinitialize <trunk flags> --levels=1-27`; a missing trunk level is an error unless
--create_parents. `train_branch` sees a `train` run as a one-level trunk; its `oneshot_prune` level L means density
(1-p)^L of the --pruning_* flags, which therefore enter the branch hash."""
from __future__ import annotations

import argparse
import dataclasses
from typing import Any, ClassVar

from sparselab.core import layout
from sparselab.experiments.branches.base import BranchContext
from sparselab.experiments.branches.registry import BRANCHES
from sparselab.core.cli import OneLineParser, bundle, did_you_mean, pre_read, program
from sparselab.core.command import Command
from sparselab.core.errors import UsageError
from sparselab.core.hparams import Hparams, hparam
from sparselab.core.levels import parse_levels
from sparselab.experiments.lottery.command import add_trunk_args, trunk_from_args
from sparselab.experiments.ensembles.train import TrainCommand
from sparselab.experiments.lottery.policies import POLICIES, REWIND, RetrainingPolicy
from sparselab.experiments.lottery.runner import IterativeRunner
from sparselab.experiments.lottery.trunk import Trunk
from sparselab.sparsity.hparams import PruningHparams
from sparselab.sparsity.pattern_hparams import PatternHparams, check_trunk_pattern
from sparselab.train import job
from sparselab.train.runner import TrainRunner
from sparselab.train.standard import remove_checkpoint

TRAIN_POLICY = RetrainingPolicy("train", "a dense training run", REWIND)  # its rewind point: the run's start


@dataclasses.dataclass(frozen=True)
class BranchJobHparams(Hparams):
    _group: ClassVar[str] = "Branch levels"
    levels: str = hparam("0", "trunk levels to run the branch on: 0,3,6 or 1-27 or 0-2,5", hashed=False)
    create_parents: bool = hparam(False, "train missing trunk levels first", hashed=False)
    dry_run: bool = hparam(False, "list each level's branch directory and whether it is done, then exit", hashed=False)

    def validate(self) -> None:
        parse_levels(self.levels)


def branch_menu(trunk: str, available: dict[str, Any]) -> str:
    width = max(len(n) for n in available)
    lines = [f"usage: python main.py {trunk}_branch <branch> <{trunk} flags> --levels=LIST [branch flags]", "",
             "branches:"]
    lines += [f"  {name.ljust(width)}  {b.description}" for name, b in available.items()]
    return "\n".join(lines)


def add_dense_args(parser: argparse.ArgumentParser, preset: dict[str, Any], branch: str) -> None:
    """A single training run's flags; only oneshot_prune prunes it, so only it takes the --pruning_* flags, and its
    --sparsity_pattern constrains its one-shot mask."""
    oneshot = branch == "oneshot_prune"
    TrainRunner.add_args(parser, preset, pattern=not oneshot)
    if oneshot:
        PruningHparams.add_args(parser, defaults=preset, title="Pruning (used by oneshot_prune)")
        PatternHparams.add_args(parser, defaults=preset)


def dense_from_args(args: argparse.Namespace, preset: dict[str, Any], branch: str) -> tuple[Trunk, TrainRunner]:
    """The run as a trunk, and its own command (for --create_parents)."""
    oneshot = branch == "oneshot_prune"
    train, ensemble = TrainCommand.train_runner(args, preset, read_pattern=not oneshot)
    if ensemble.enabled:
        raise UsageError("train_branch works on single training runs, not on --ensemble runs")
    pruning = bundle(PruningHparams, args, preset)
    pattern = bundle(PatternHparams, args, preset) if oneshot else train.pattern
    trunk = Trunk(TRAIN_POLICY, train.job_args, train.platform, train.dataset, train.model, train.training,
                  pruning, train.init_pruning, pattern, train.steps, train.bundles(), train_run=True,
                  branch_bundles={"pruning": pruning, **({"pattern": pattern} if oneshot else {})})
    check_trunk_pattern(pattern, train.init_pruning, pruning, branch_owned=oneshot)
    return trunk, train


def _parse_branch(policy: RetrainingPolicy | None, name: str, branch: Any,
                  rest: list[str]) -> tuple[Trunk, Any, "BranchJobHparams", dict[str, Hparams]]:
    """The trunk, its runner (what --create_parents runs: `ensure_level`), the branch-level flags and
    the branch's bundles (steps in canonical spelling)."""
    from sparselab.train.presets import resolve_preset

    trunk_name = policy.name if policy else "train"
    preset = resolve_preset(pre_read(rest, "default_hparams"))
    parser = OneLineParser(prog=f"main.py {trunk_name}_branch {name}", description=branch.description)
    if policy:
        add_trunk_args(policy, parser, preset)
    else:
        add_dense_args(parser, preset, name)
    BranchJobHparams.add_args(parser)
    branch.add_args(parser, preset)
    args = parser.parse_args(rest)
    if policy:
        trunk = trunk_from_args(policy, args, preset)
        creator: Any = IterativeRunner(trunk)
    else:
        trunk, train = dense_from_args(args, preset, name)
        creator = DenseRun(trunk, train)
    job_args: BranchJobHparams = bundle(BranchJobHparams, args, {})  # type: ignore[assignment]
    hparams = {**branch.bundles_from_args(args, trunk), **trunk.branch_bundles}
    own_data = hparams.get("dataset")  # a branch with its own dataset counts its steps in its epochs
    ipe = own_data.nominal_iterations_per_epoch() if own_data is not None else trunk.steps.nominal_ipe
    return trunk, creator, job_args, {k: v.with_canonical_steps(ipe) for k, v in hparams.items()}


@dataclasses.dataclass
class DenseRun:
    """--create_parents of `train_branch`: the dense run's own command."""

    trunk: Trunk
    train: TrainRunner

    def ensure_level(self, level: int) -> None:
        if not self.trunk.store.done(0):
            self.train.run()


def branches_of(policy: RetrainingPolicy | None) -> dict[str, type]:
    """The branches of a trunk command; of a dense `train` run (`policy` None) those marked `on_dense_trunk`."""
    return dict(BRANCHES) if policy else {n: b for n, b in BRANCHES.items() if b.on_dense_trunk}


def run_branch_command(policy: RetrainingPolicy | None, argv: list[str]) -> int:
    """`policy` None: the trunk is a dense `train` run."""
    trunk_name = policy.name if policy else "train"
    available = branches_of(policy)
    if not argv or argv[0] in ("-h", "--help"):  # alone: the list of branches is the answer
        print(branch_menu(trunk_name, available))
        return 0
    if argv[0].startswith("-"):
        raise UsageError(f"{trunk_name}_branch: name the branch before its flags; choose from "
                         f"{', '.join(available)} (e.g. {program()} {trunk_name}_branch {next(iter(available))} "
                         f"{argv[0]})")
    name, rest = argv[0], argv[1:]
    if name not in available:
        raise UsageError(f"unknown branch {name!r} for {trunk_name}_branch; choose from {', '.join(available)}"
                         + did_you_mean(name, available))
    branch = available[name]
    trunk, creator, job_args, hparams = _parse_branch(policy, name, branch, rest)
    levels = parse_levels(job_args.levels)
    branch_name = job.Described(layout.branch_prefix(name), hparams).name


    def directory(level: int):
        return trunk.branch_parent(level) / branch_name

    if trunk.job_args.print_path or job_args.dry_run:  # paths and states need no data (e.g. ImageNet not here)
        trunk.open()
        for level in levels:
            trunk_state = job.job_state(trunk.level_directory(level))
            print(f"level {level}: {directory(level)}  [{job.job_state(directory(level))}; trunk level {trunk_state}]")
        return 0
    exp = trunk.prepare()
    branch.validate(trunk, hparams)
    if hasattr(branch, "validate_levels"):  # checks that need the levels (before any write)
        branch.validate_levels(trunk, hparams, levels)
    if not job_args.create_parents:
        require_levels(trunk.store, levels)
    exp.banner(f"{trunk_name}_branch {name}", {**trunk.hashed, **hparams}, trunk.root_directory)
    record = {"branch": name, "branch_hparams": {k: v.to_dict() for k, v in hparams.items()}, "trunk": trunk.record()}
    results = {}
    for level in levels:
        if job_args.create_parents:
            creator.ensure_level(level)
        ctx = BranchContext(trunk, hparams, level, directory(level))
        results[level] = job.run_once(ctx.directory, record, lambda ctx=ctx: branch.run_level(ctx),
                                      label=f"branch {name} level {level}", verbose=exp.verbose,
                                      after_done=lambda d=ctx.directory: remove_checkpoint(d))
    if exp.primary:
        print(branch_table(results))
    return 0


def require_levels(store: Any, levels: list[int]) -> None:
    """One `error:` line naming every missing trunk level and the one command that creates them all."""
    missing = [level for level in levels if not store.done(level)]
    if not missing:
        for level in levels:  # and every file of each verifies, also for a branch already done there
            store.require(level)
        return
    if store.train_run:  # one job: its own message
        store.require(missing[0])
    many = len(missing) > 1
    raise UsageError(f"level{'s' * many} {', '.join(map(str, missing))} of {store.root} {'are' if many else 'is'} "
                     f"missing; create {'them' if many else 'it'} with: {program()} {store.command} <same flags> "
                     f"--levels={max(missing)} (or add --create_parents)")


def branch_table(results: dict[int, dict[str, Any]]) -> str:
    return "\n".join(["level  density  final_test%  best_test%"] + [
        f"{level:5d}  {r.get('density', 1.0):7.4f}  {100 * r['final_test_accuracy']:11.2f}  "
        f"{100 * r['best_test_accuracy']:10.2f}" for level, r in sorted(results.items())])


def make_branch_command(policy: RetrainingPolicy | None) -> type:
    trunk_name = policy.name if policy else "train"
    available = branches_of(policy)

    class BranchCommand(Command):
        name: ClassVar[str] = f"{trunk_name}_branch"
        description: ClassVar[str] = f"ablations on a finished {trunk_name} run ({', '.join(available)})"

        @classmethod
        def main(cls, argv: list[str]) -> int:
            return run_branch_command(policy, argv)

    BranchCommand.__name__ = f"{trunk_name}BranchCommand"
    return BranchCommand


def branch_commands() -> dict[str, type]:
    return {"train_branch": make_branch_command(None),
            **{f"{name}_branch": make_branch_command(p) for name, p in POLICIES.items()}}
