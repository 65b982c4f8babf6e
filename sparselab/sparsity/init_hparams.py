"""Pruning at initialisation: the bundle. Every default is a no-op; "by score" defaults are resolved in
`validate` (`_resolve`), each with a `hash_baseline` = what old job directories meant."""
from __future__ import annotations

import dataclasses
from typing import ClassVar

from sparselab.core.hparams import Hparams, hparam, require
from sparselab.core.when import When, all_of, either, given, none_of, off, on, one_of, unset
from sparselab.sparsity.hparams import BALANCED_REDISTRIBUTE_HELP, DISTRIBUTIONS, SCORES, changed_meaning
from sparselab.sparsity.scores import help_text, unseeded_scores

INIT_SCALES = ("none", "global_density", "layer_density")
INIT_DISTRIBUTIONS = (*DISTRIBUTIONS, "str_induced_er")  # str_induced_er: layer ratios of an STR job
RATIO_CRITERIA = ("snip", "grasp", "synflow")
GRASP_SAMPLES_BEFORE = 10  # the hash baseline of --grasp_samples_per_class

INIT_DATA = {"none": "no data", "batches": "ONE training batch (the training batch size)",
             "per_class": "--grasp_samples_per_class training examples of every class"}


def init_strategy_help() -> str:
    return (f"score used to prune at initialisation: {help_text(SCORES, INIT_DATA, rounds='--synflow_iterations')}. "
            "Scoring batches come from the training set in their own seeded order (--init_pruning_seed); SNIP "
            "does not re-initialise the scored copy")


INIT_DISTRIBUTION_HELP = (
    "how many weights each tensor keeps at initialisation. Default by score: global (one ranking over all counted "
    "weights, the published SNIP/GraSP/SynFlow/magnitude method) for every score but random, erk for random. A density "
    "rule with a data-driven score = the rule sets each tensor's count, the score picks the positions inside it")


# Every flag but --init_density exists only with it; some only with the scores that read them.
ON, RATIO, DISTRIBUTION, STRATEGY = given("init_density"), "pruning_ratio_from", "init_pruning_distribution", \
    "init_pruning_strategy"


def uses(score: str) -> When:
    """The score is computed at initialisation: the strategy or the --pruning_ratio_from criterion."""
    return either(one_of(STRATEGY, (score,)), one_of(RATIO, (score,)))


SEEDED = either(none_of(STRATEGY, unseeded_scores), all_of(given(RATIO), none_of(RATIO, unseeded_scores)))


@dataclasses.dataclass(frozen=True)
class InitPruningHparams(Hparams):
    section: ClassVar[str] = "init_pruning"
    _group: ClassVar[str] = "Pruning at initialisation"
    init_density: float | None = hparam(None, "fraction of the counted prunable weights kept at initialisation, "
                                              "in (0, 1]: exactly round(d * N) are kept (balanced: fewer, see "
                                              "--init_balanced_redistribute); tensors in --dense_layers are not "
                                              "counted (default: no pruning at initialisation)")
    init_pruning_strategy: str = hparam("random", init_strategy_help, choices=SCORES, only_with=ON)
    init_pruning_distribution: str | None = hparam(None, INIT_DISTRIBUTION_HELP, choices=INIT_DISTRIBUTIONS,
                                                   hash_baseline="erk", only_with=(ON, unset(RATIO)))
    init_scale: str = hparam("none", "rescale the kept weights by 1/sqrt(density): none, the overall density, "
                                     "or each tensor's own density", choices=INIT_SCALES,
                       only_with=(ON, off("looks_linear")))
    dense_layers: str = hparam("", "comma list of tensor names kept dense at initialisation (not counted)",
                               only_with=ON)
    init_fc_density: float | None = hparam(None, "fixed density of the output layer at initialisation (default: "
                                                 "1 = dense for erk_plus, as Liu et al. 2022; else as the "
                                                 "distribution decides)", hash_baseline=None, only_with=ON)
    init_balanced_redistribute: bool | None = hparam(None, BALANCED_REDISTRIBUTE_HELP, hash_baseline=True,
                                                     only_with=(ON, one_of(DISTRIBUTION, ("balanced",)), unset(RATIO)))
    pruning_ratio_from: str | None = hparam(None, "take only the per-tensor counts of this criterion's global mask "
                                                  "and place the kept weights by --init_pruning_strategy "
                                                  "(random by default)", only_with=ON)
    grasp_samples_per_class: int = hparam(25, "class-balanced training examples per class used by GraSP "
                                              "(25 as in Random_Pruning; 10 before)",
                                          hash_baseline=GRASP_SAMPLES_BEFORE, only_with=(ON, uses("grasp")))
    synflow_iterations: int = hparam(100, "rounds of SynFlow's exponential pruning schedule",
                                     only_with=(ON, uses("synflow")))
    prune_shortcuts: bool | None = hparam(None, "prune the residual 1x1 shortcut convolutions at initialisation "
                                                "(default: false for synflow, as Synaptic-Flow's --prune-residual "
                                                "off: dense and not counted; true otherwise)", hash_baseline=True,
                                          only_with=ON)
    init_pruning_seed: int | None = hparam(None, "seed of random scores and scoring batches at initialisation "
                                                 "(default: derived from the replicate)", only_with=(ON, SEEDED))
    repair_flow: bool = hparam(False, "re-enable the strongest weight of every unit left without input or output",
                               only_with=ON)
    str_ratios_from: str | None = hparam(None, "str_induced_er: the job directory of a finished `str` run whose "
                                               "final layer densities give the layer ratios (hashed as typed)",
                                         only_with=(ON, one_of(DISTRIBUTION, ("str_induced_er",)), unset(RATIO)))
    looks_linear: bool = hparam(False, "looks-linear start weights [[W0, -W0], [-W0, W0]] (first layer [W0; -W0]), "
                                       "W0 orthogonal, divided by sqrt(layer density) (ER_DST)", only_with=ON)
    ortho_repair: bool = hparam(False, "orthogonal repair: gradient steps on ||(M*W)(M*W)^T - I||_F per masked "
                                       "tensor, then re-mask (ER_DST --ortho-repair)", only_with=ON)
    ortho_repair_steps: int = hparam(1000, "gradient steps of --ortho_repair (1000 as in ER_DST)",
                                     only_with=(ON, on("ortho_repair")))
    ortho_repair_lr: float = hparam(1e-2, "step size of --ortho_repair (0.01 as in ER_DST)",
                                    only_with=(ON, on("ortho_repair")))

    def validate(self) -> None:
        if self.init_density is not None:
            require(0 < self.init_density <= 1, f"--init_density must be in (0, 1], got {self.init_density}")
        if self.init_fc_density is not None:
            require(0 < self.init_fc_density <= 1, f"--init_fc_density must be in (0, 1], got {self.init_fc_density}")
        if self.pruning_ratio_from is not None:
            require(self.pruning_ratio_from in RATIO_CRITERIA,
                    f"--pruning_ratio_from: unknown value {self.pruning_ratio_from!r}; "
                    f"choose from {', '.join(RATIO_CRITERIA)}")
        for flag, top in (("grasp_samples_per_class", 10**5), ("synflow_iterations", 10**5),
                          ("ortho_repair_steps", 10**6)):
            require(1 <= getattr(self, flag) <= top, f"--{flag} must be in 1..{top}, got {getattr(self, flag)}")
        require(0 < self.ortho_repair_lr <= 10, f"--ortho_repair_lr must be in (0, 10], got {self.ortho_repair_lr}")
        require(self.init_pruning_distribution != "str_induced_er" or self.str_ratios_from is not None
                or not self.enabled, "--init_pruning_distribution=str_induced_er needs --str_ratios_from=<str job>")
        if self.str_ratios_from is not None and self.init_pruning_distribution == "str_induced_er":
            from sparselab.sparsity.str_ import check_str_job

            check_str_job(self.str_ratios_from)  # before any file is written
        self._resolve()

    def _resolve(self) -> None:
        """Set the effective value of every 'by score / by distribution' default (see the module docstring)."""
        if self.init_pruning_distribution is None:
            by_score = "erk" if self.init_pruning_strategy == "random" else "global"
            object.__setattr__(self, "init_pruning_distribution", by_score)
        distribution = self.init_pruning_distribution if self.pruning_ratio_from is None else "global"
        if self.init_fc_density is None and distribution == "erk_plus" and self.enabled:
            object.__setattr__(self, "init_fc_density", 1.0)
        if self.init_balanced_redistribute is None:
            object.__setattr__(self, "init_balanced_redistribute", distribution != "balanced")
        if self.prune_shortcuts is None:
            object.__setattr__(self, "prune_shortcuts", "synflow" not in self.scores_used or not self.enabled)
        if "grasp" not in self.scores_used and self.grasp_samples_per_class == 25:
            object.__setattr__(self, "grasp_samples_per_class", GRASP_SAMPLES_BEFORE)

    def canonical(self) -> dict:
        return changed_meaning(super().canonical(), self.init_pruning_distribution, "grasp" in self.scores_used)

    @property
    def scores_used(self) -> tuple[str, ...]:
        """The score(s) computed at initialisation: the strategy and, with --pruning_ratio_from, the criterion."""
        extra = () if self.pruning_ratio_from in (None, self.init_pruning_strategy) else (self.pruning_ratio_from,)
        return (self.init_pruning_strategy, *extra)

    @property
    def enabled(self) -> bool:
        return self.init_density is not None

    @property
    def dense_layer_names(self) -> list[str]:
        return [n.strip() for n in self.dense_layers.split(",") if n.strip()]


@dataclasses.dataclass(frozen=True)
class InitScopeHparams(Hparams):
    """Not a flag bundle: added by the iterative runners. Pruning at initialisation prunes the levels' ignored
    tensors too; runs from before hash without this bundle, so an old directory is never reused."""
    section: ClassVar[str] = "init_scope"
    _group: ClassVar[str] = "Pruning at initialisation: scope"
    init_prunes_ignored_layers: bool = hparam(False, "pruning at initialisation also prunes the tensors that "
                                                     "the levels ignore")


def init_scope(layers_to_ignore: list[str], init: InitPruningHparams) -> InitScopeHparams:
    return InitScopeHparams(init_prunes_ignored_layers=init.enabled and bool(layers_to_ignore))
