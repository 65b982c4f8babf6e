"""Published defaults of the pruning bundles (issue 12): hash baselines, the init distribution by score,
erk_plus's dense output layer, balanced without redistribution, GraSP's sample, OpenLTH's count rule,
and the fields whose flags do not exist under each bundle's values."""
from __future__ import annotations

import dataclasses
import math
from typing import ClassVar

import pytest
from helpers import absent_flags
import torch
from torch import nn

from sparselab.core.desc import canonical_json
from sparselab.core.errors import UsageError
from sparselab.core.hparams import Hparams, hparam
from sparselab.sparsity.context import ScoreContext
from sparselab.sparsity.distributions import DENSITY_RULES, RuleOptions
from sparselab.sparsity.dst_hparams import DSTHparams
from sparselab.sparsity.hparams import PruningHparams
from sparselab.sparsity.init import init_context, prune_at_init
from sparselab.sparsity.init_hparams import InitPruningHparams, init_scope
from sparselab.sparsity.mask import Mask
from sparselab.sparsity.prune import prune, prune_to_density


# ----- the mechanism -----------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Toy(Hparams):
    _group: ClassVar[str] = "Toy"
    mode: str | None = hparam(None, "resolved", hash_baseline="old")
    size: int = hparam(5, "new default", hash_baseline=3)

    def validate(self) -> None:
        if self.mode is None:
            object.__setattr__(self, "mode", "old" if self.size == 3 else "new")


def test_hash_baseline_is_what_canonical_leaves_out():
    assert Toy(size=3).canonical() == {}                       # the old meaning keeps its (empty) form
    assert Toy().canonical() == {"mode": "new", "size": 5}     # the new default enters the hash
    assert Toy(mode="new").canonical() == Toy().canonical()    # resolved default == explicit value
    assert "* mode = new" in Toy().display() and "  mode = old" in Toy(size=3).display()


# ----- item 1: the init distribution follows the score ---------------------------------------
@pytest.mark.parametrize("strategy, expected", [("random", "erk"), ("snip", "global"), ("grasp", "global"),
                                                ("synflow", "global"), ("magnitude", "global"),
                                                ("gradient", "global")])
def test_init_distribution_default_follows_the_score(strategy, expected):
    h = InitPruningHparams(init_density=0.1, init_pruning_strategy=strategy)
    assert h.init_pruning_distribution == expected
    assert h.to_dict()["init_pruning_distribution"] == expected       # what hparams.json records


def test_init_hash_baselines():
    def canon(**kw):
        return canonical_json({"init_pruning": InitPruningHparams(**kw)})

    snip = dict(init_density=0.1, init_pruning_strategy="snip")
    assert canon(**snip) == canon(**snip, init_pruning_distribution="global")
    # the old snip-with-ERK directories: their canonical form, now spelled with an explicit erk
    assert canon(**snip, init_pruning_distribution="erk") == '{"init_pruning":{"init_density":0.1,' \
                                                             '"init_pruning_strategy":"snip"}}'
    assert canon(init_density=0.1) == '{"init_pruning":{"init_density":0.1}}'  # random + erk unchanged
    assert canon() == "{}"


class MLP(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.l1, self.l2, self.fc = nn.Linear(12, 40), nn.Linear(40, 30), nn.Linear(30, 4)
        self.input_shape, self.num_classes = (12,), 4

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.relu(self.l2(torch.relu(self.l1(x)))))


def batches():
    g = torch.Generator().manual_seed(3)
    return [(torch.randn(16, 12, generator=g), torch.arange(16) % 4)]


@pytest.mark.parametrize("strategy", ["snip", "synflow", "magnitude"])
def test_init_score_default_is_one_global_ranking(strategy):
    context = ScoreContext(batches=batches, synflow_iterations=3)
    h = InitPruningHparams(init_density=0.1, init_pruning_strategy=strategy, synflow_iterations=3)
    got = prune_at_init(MLP(), h, context)
    want = prune_to_density(MLP(), Mask.ones_like(MLP()), 0.1, strategy, "global", context, allow_empty=True)
    erk = prune_at_init(MLP(), h.replace(init_pruning_distribution="erk"), context)
    assert got.kept_per_tensor() == want.kept_per_tensor() and all(torch.equal(got[n], want[n]) for n in got)
    assert erk.kept_per_tensor() != got.kept_per_tensor()   # the explicit density-rule variant stays available


# ----- item 2: erk_plus keeps the output layer dense ------------------------------------------
def test_erk_plus_output_dense_by_default_and_the_old_floor_on_request():
    shapes = {"l1.weight": (40, 12), "l2.weight": (30, 40), "fc.weight": (4, 30)}
    h = PruningHparams(pruning_distribution="erk_plus")
    assert h.fc_density == 1.0 and h.canonical() == {"pruning_distribution": "erk_plus", "fc_density": 1.0}
    old = PruningHparams(pruning_distribution="erk_plus", fc_density=None)
    assert old.canonical() == {"pruning_distribution": "erk_plus"}      # the old directories' form
    assert PruningHparams().fc_density is None and PruningHparams().canonical() == {}
    from sparselab.sparsity.prune import rule_options

    dense = DENSITY_RULES["erk_plus"](shapes, 0.1, output_layer="fc.weight", options=rule_options(h))
    floor = DENSITY_RULES["erk_plus"](shapes, 0.03, output_layer="fc.weight", options=rule_options(old))
    erk = DENSITY_RULES["erk"](shapes, 0.03)
    assert dense["fc.weight"] == 1.0
    assert erk["fc.weight"] < 0.2 and floor["fc.weight"] == pytest.approx(0.2)


def test_init_erk_plus_keeps_the_output_layer_dense():
    h = InitPruningHparams(init_density=0.1, init_pruning_distribution="erk_plus")
    assert h.init_fc_density == 1.0
    mask = prune_at_init(MLP(), h, ScoreContext())
    assert bool(mask["fc.weight"].all()) and mask.num_kept == round(0.1 * mask.num_total)
    assert InitPruningHparams(init_pruning_distribution="erk_plus").init_fc_density is None  # no init pruning


# ----- item 3: balanced does not redistribute -------------------------------------------------
@pytest.mark.parametrize("name, shape, classes, realised", [("wide_resnet_28_10", (3, 32, 32), 10, 0.1625),
                                                            ("imagenet_resnet_50", (3, 224, 224), 1000, 0.1576)])
def test_balanced_realised_density_as_published(name, shape, classes, realised):
    from sparselab.models import registry

    with torch.device("meta"):
        model = registry.family_of(name).build(name, shape, classes)
    params = dict(model.named_parameters())
    shapes = {n: tuple(params[n].shape) for n in model.prunable_layer_names}
    total = sum(math.prod(s) for s in shapes.values())

    def density(redistribute: bool) -> float:
        options = RuleOptions(balanced_redistribute=redistribute)
        d = DENSITY_RULES["balanced"](shapes, 0.2, options=options)
        return sum(d[n] * math.prod(shapes[n]) for n in shapes) / total

    assert density(False) == pytest.approx(realised, abs=5e-5)
    assert density(True) == pytest.approx(0.2, rel=1e-9)


def test_balanced_allocation_keeps_the_published_count():
    model = MLP()
    ones = Mask.ones_like(model)
    sizes = {n: m.numel() for n, m in ones.items()}            # 480, 1200, 120
    x = 0.3 * sum(sizes.values()) / 3                          # 180 per tensor; fc (120) caps
    want = round(min(x, 480) + min(x, 1200) + min(x, 120))
    h = PruningHparams(pruning_distribution="balanced", pruning_fraction=0.7)
    got = prune(model, ones, h, ScoreContext())
    assert got.num_kept == want < round(0.3 * ones.num_total)
    assert got.kept_per_tensor() == {"l1.weight": 180, "l2.weight": 180, "fc.weight": 120}
    exact = prune(model, ones, h.replace(balanced_redistribute=True), ScoreContext())
    assert exact.num_kept == round(0.3 * ones.num_total)
    init = prune_at_init(MLP(), InitPruningHparams(init_density=0.3, init_pruning_distribution="balanced"),
                         ScoreContext())
    assert init.num_kept == want


def test_balanced_hash_baselines():
    assert PruningHparams(pruning_distribution="balanced").canonical()["balanced_redistribute"] is False
    assert PruningHparams(pruning_distribution="balanced", balanced_redistribute=True).canonical() == \
        {"pruning_distribution": "balanced"}
    assert "balanced_redistribute" not in PruningHparams(pruning_distribution="erk").canonical()


# ----- item 10: GraSP's sample ----------------------------------------------------------------
def test_grasp_default_sample_is_25_per_class():
    h = InitPruningHparams(init_density=0.1, init_pruning_strategy="grasp")
    assert h.grasp_samples_per_class == 25 and init_context(h, ScoreContext()).grasp_samples_per_class == 25
    old = h.replace(grasp_samples_per_class=10, init_pruning_distribution="erk")
    # the sample size's old spelling, under the marker of GraSP's two halves (whole-batch GraSP is gone)
    assert old.canonical() == {"init_density": 0.1, "init_pruning_strategy": "grasp", "grasp_halves": 2}
    assert "grasp_samples_per_class" not in InitPruningHparams(init_density=0.1).canonical()


# ----- item 11: OpenLTH's count -----------------------------------------------------------------
def lenet_hidden_after(levels: int, rule: str) -> int:
    from sparselab.models import registry

    model = registry.build("lenet_300_100", (1, 28, 28), 10)
    h = PruningHparams(pruning_layers_to_ignore="fc.weight", pruning_count_rule=rule)
    mask = Mask.ones_like(model, ignore=h.layers_to_ignore)
    for level in range(1, levels + 1):
        mask = prune(model, mask, h, ScoreContext(level=level))
    return mask.num_kept


def test_openlth_count_rule_on_lenet():
    # by hand: R <- R - (ceil(0.2 (R + 1000)) + 1) from 265,200 hidden weights; R <- R - round(0.2 R) here.
    # (1,246 would be OpenLTH's ceil + 1 without the 1,000 ignored fc weights in the total.)
    r_olth, r_here = 265_200, 265_200
    for _ in range(24):
        r_olth -= math.ceil(0.2 * (r_olth + 1000)) + 1
        r_here -= round(0.2 * r_here)
    assert (r_olth, r_here) == (250, 1253)
    assert lenet_hidden_after(24, "openlth") == 250 and lenet_hidden_after(24, "prunable") == 1253
    with pytest.raises(UsageError) as info:
        lenet_hidden_after(25, "openlth")
    assert "pruning level 25" in str(info.value) and "\n" not in str(info.value)


def test_count_rule_default_is_not_hashed():
    assert PruningHparams(pruning_count_rule="prunable").canonical() == {}
    assert PruningHparams(pruning_count_rule="openlth").canonical() == {"pruning_count_rule": "openlth"}


# ----- item 7: the scope of pruning at initialisation enters the iterative hash --------------
def test_init_scope_marks_only_runs_whose_meaning_changed():
    sparse = InitPruningHparams(init_density=0.3)
    assert init_scope(["fc.weight"], sparse).canonical() == {"init_prunes_ignored_layers": True}
    assert init_scope([], sparse).canonical() == {}
    assert init_scope(["fc.weight"], InitPruningHparams()).canonical() == {}


def test_iterative_runner_hashes_the_init_scope(tmp_path):
    """An init-pruned lottery with an ignore list now prunes the ignored tensors at init: a new
    directory (the old one, 7f4d189bc0c61118, meant 'kept dense'); without an ignore list nothing
    changed, so that directory keeps its old name."""
    import contextlib
    import io

    from sparselab import main

    def path(*flags: str) -> str:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert main.main(["lottery", "--init_density=0.3", "--init_pruning_distribution=er", "--print_path",
                              "--bias_init=zeros", f"--root={tmp_path}", *flags]) == 0
        return out.getvalue()

    assert "lottery_7f4d189bc0c61118" not in path()
    assert "lottery_dea77688ec1a576d" in path("--pruning_layers_to_ignore=")


# ----- item 8: flags that do not exist under the bundle's values ---------------------------------
def test_pruning_absent_flags():
    distribution_own = {"erk_power", "fc_density", "balanced_redistribute"}  # only under their distributions
    assert absent_flags(PruningHparams()) == {"pruning_batches", "pruning_seed", "bn_sparsity_regularization",
                                              *distribution_own}
    snip_erk = absent_flags(PruningHparams(pruning_strategy="snip", pruning_distribution="erk"))
    assert snip_erk == {"bn_sparsity_regularization", "fc_density", "balanced_redistribute"}
    assert absent_flags(PruningHparams(pruning_strategy="random", pruning_distribution="erk_plus")) == \
        {"pruning_batches", "bn_sparsity_regularization", "balanced_redistribute"}
    assert "pruning_batches" in absent_flags(PruningHparams(pruning_strategy="grasp"))
    assert "erk_power" not in absent_flags(PruningHparams(pruning_distribution="er"))
    assert "bn_sparsity_regularization" not in absent_flags(PruningHparams(pruning_strategy="network_slimming"))


def test_init_absent_flags():
    dense = absent_flags(InitPruningHparams())
    assert dense == {f.name for f in dataclasses.fields(InitPruningHparams)} - {"init_density"}
    unused = {"str_ratios_from", "ortho_repair_steps", "ortho_repair_lr"}  # without str_induced_er / --ortho_repair
    random = absent_flags(InitPruningHparams(init_density=0.1))
    assert random == {"init_balanced_redistribute", "grasp_samples_per_class", "synflow_iterations", *unused}
    synflow = absent_flags(InitPruningHparams(init_density=0.1, init_pruning_strategy="synflow"))
    assert synflow == {"init_balanced_redistribute", "grasp_samples_per_class", "init_pruning_seed", *unused}
    ratio = absent_flags(InitPruningHparams(init_density=0.1, pruning_ratio_from="grasp"))
    assert "init_pruning_distribution" in ratio and "grasp_samples_per_class" not in ratio
    balanced = absent_flags(InitPruningHparams(init_density=0.1, init_pruning_distribution="balanced"))
    assert "init_balanced_redistribute" not in balanced


def test_dst_absent_flags():
    assert absent_flags(DSTHparams()) == {f.name for f in dataclasses.fields(DSTHparams)} - {"dst"}
    rigl = absent_flags(DSTHparams(dst="rigl"))
    assert rigl == {"dst_init_density", "dst_final_density", "dst_prune_start", "dst_prune_end", "dst_seed"}
    assert absent_flags(DSTHparams(dst="granet", dst_final_density=0.1)) == {"dst_seed"}
    assert absent_flags(DSTHparams(dst="set")) == {"dst_init_density", "dst_final_density", "dst_prune_start",
                                                    "dst_prune_end"}


def test_changed_uniform_plus_and_grasp_get_new_directories():
    from sparselab.sparsity.hparams import PruningHparams

    assert PruningHparams(pruning_distribution="uniform_plus").canonical()["uniform_plus_rule"] == "random_pruning"
    assert PruningHparams(pruning_strategy="grasp").canonical()["grasp_halves"] == 2
    assert InitPruningHparams(init_density=0.1, init_pruning_strategy="grasp").canonical()["grasp_halves"] == 2
    assert "grasp_halves" not in PruningHparams().canonical() and PruningHparams().canonical() == {}
