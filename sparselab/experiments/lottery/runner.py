"""One iterative pruning runner, four commands (`lottery`, `rewindLR`, `finetune`, `scratch`): each level of
`starts.plan` is a sparse job (`train/sparse_job.py`) whose mask is level L-1's final weights pruned (kept in memory
from its training, else read verified through the trunk's store)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch

from sparselab.experiments.lottery import starts
from sparselab.experiments.lottery.command import make_trunk_command
from sparselab.experiments.lottery.hparams import LevelsHparams
from sparselab.experiments.lottery.policies import POLICIES
from sparselab.experiments.lottery.progress import level_prefix, reuse_line, rest_of_run
from sparselab.experiments.lottery.starts import Level
from sparselab.experiments.lottery.trunk import StateDict, Trunk
from sparselab.platforms.base import PlatformHparams
from sparselab.sparsity import dst as dynamic
from sparselab.sparsity.dst_hparams import DSTHparams
from sparselab.sparsity.mask import Mask
from sparselab.sparsity.prune import prune
from sparselab.train import job
from sparselab.train.slimming import bn_l1_hooks
from sparselab.train.sparse_job import SparseJob, flag_mask, run_sparse_job
from sparselab.train.sparsity import score_context
from sparselab.train.standard import remove_checkpoint


@dataclass
class IterativeRunner:
    """Dense level 0 (or pruned at initialisation), then levels 1..N, each pruned from the one before."""

    trunk: Trunk
    levels_args: LevelsHparams = field(default_factory=lambda: LevelsHparams(levels=0))
    _to_run: list[int] | None = field(default=None, init=False, repr=False)  # levels `run` trains (None: unknown)

    @property
    def platform(self) -> PlatformHparams:
        return self.trunk.platform

    def bundles(self) -> dict[str, Any]:
        return self.trunk.hashed

    def experiment_folder(self, root: Any) -> Any:
        return self.trunk.experiment_directory(root).parent

    def run(self) -> None:
        t = self.trunk
        exp = t.open()
        if t.job_args.print_path:
            print(t.experiment_directory(exp.root))
            return
        t.prepare()
        exp.banner(t.policy.name, t.hashed, t.root_directory)
        levels = starts.plan(t, self.levels_args.levels)
        self._to_run = [level.index for level in levels if not t.store.done(level.index)]
        pretrain_done = t.rewind_iteration() > 0 and job.is_done(t.store.pretrain_directory())
        line = reuse_line([lv.index for lv in levels if lv.index not in self._to_run], pretrain_done, t.root_directory)
        if line and exp.primary and exp.verbose:
            print(line, flush=True)
        self.ensure_pretrained()
        for level in levels:
            self.run_level(level)
        if exp.primary:
            from sparselab.experiments.lottery.table import level_table

            print(level_table(t.store, range(self.levels_args.levels + 1)), flush=True)

    def ensure_level(self, index: int) -> dict[str, Any]:
        """Run level `index` (and every missing earlier level) unless done; return its done.json."""
        self.trunk.prepare()
        self.ensure_pretrained()
        done: dict[str, Any] = {}
        for level in starts.plan(self.trunk, index):
            if level.index == index or not self.trunk.store.done(level.index):
                done = self.run_level(level)
        return done

    def ensure_pretrained(self) -> None:
        """The dense pretraining to step k under --rewinding_steps."""
        t = self.trunk
        k = t.rewind_iteration()
        directory = t.store.pretrain_directory()
        if k == 0:
            return
        with job.claim(directory, t.record(), label="level pretrain", verbose=t.exp.verbose and not
                       job.is_done(directory), after_done=lambda: remove_checkpoint(directory)) as claim:
            if claim.todo:
                claim.finish(run_sparse_job(SparseJob(directory, t.env, t.template(), starts.fresh_init(t, 0),
                                                      t.training, end_iteration=k, log_prefix="[pretrain] ")))

    def run_level(self, level: Level) -> dict[str, Any]:
        t = self.trunk
        directory = t.level_directory(level.index)
        verbose = t.exp.verbose and (self._to_run is None or level.index in self._to_run)
        with job.claim(directory, t.record(), label=f"level {level.index}", verbose=verbose,
                       after_done=lambda: remove_checkpoint(directory)) as claim:
            if claim.todo:
                claim.finish(run_sparse_job(self.level_job(level)))
        return claim.result

    def level_job(self, level: Level) -> SparseJob:
        """DST moves every sparse level's mask."""
        t = self.trunk
        directory = t.level_directory(level.index)
        mask = self.level_mask(level)
        init = t.init_pruning if level.mask == starts.FROM_FLAGS and t.init_pruning.enabled else None
        dst = t.dst or DSTHparams()
        return SparseJob(directory, t.env, t.template(), starts.start_weights(t, level), starts.training_of(t, level),
                         mask=mask, init=init, start_iteration=level.start_iteration, dst=dst,
                         dynamic=dynamic.is_dynamic(dst, mask), pattern=t.pattern, salt=(level.index,),
                         hooks=bn_l1_hooks(t.pruning), log_prefix=level_prefix(level.index, self.levels_args.levels),
                         rest_of_run=rest_of_run(level.index, self._to_run or []),
                         summary_head={"level": level.index}, dst_metrics=("dst_moved_total",),
                         on_trained=lambda model, final: self.keep_final(level.index, model, final))

    def level_mask(self, level: Level) -> Mask:
        """The saved mask, else computed and saved; rank 0's is broadcast so that all ranks train with the
        identical mask whatever path each took."""
        t = self.trunk
        directory = t.level_directory(level.index)
        platform = t.env.platform
        if Mask.exists(directory):
            return platform.broadcast_object(Mask.load(directory))
        if level.mask == starts.FROM_FLAGS:  # dense, or `train`'s mask of the same --init_* flags; it prunes
            # --pruning_layers_to_ignore too (the published methods prune every layer), the levels keep it there
            model = t.model_with(starts.start_weights(t, level))
            mask = flag_mask(t.env, t, model, dense_ignore=t.pruning.layers_to_ignore)
        else:
            state, previous_mask = self.previous_final(level.index)
            context = score_context(t.env, t.training, level.index, t.pruning.pruning_seed, "pruning")
            mask = prune(t.model_with(state).to(t.env.device), previous_mask, t.pruning, context,
                         pattern=t.pattern.pattern, start_density=level.start_density)
        mask = platform.broadcast_object(mask)
        if platform.is_primary:
            mask.save(directory, model=t.template())
        return mask

    def keep_final(self, index: int, model: torch.nn.Module, final: Mask) -> None:
        """The trained level's weights and mask (those of its files), kept for pruning the next level."""
        self.trunk.kept.final = (index, {k: v.detach() for k, v in model.state_dict().items()}, final)

    def previous_final(self, index: int) -> tuple[StateDict, Mask]:
        """Level `index - 1`'s final weights and mask: kept in this process, else read (verified) from its files."""
        kept, self.trunk.kept.final = self.trunk.kept.final, None
        store = self.trunk.store
        if kept is not None and kept[0] == index - 1:
            store.used_final(index - 1)
            return kept[1], kept[2]
        return store.final_weights(index - 1), store.mask(index - 1)  # type: ignore[return-value]


TRUNK_RUNNERS: dict[str, type] = {name: make_trunk_command(IterativeRunner, p) for name, p in POLICIES.items()}
