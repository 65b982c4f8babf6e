"""Recipes of the seed papers: each command resolves to the published values, --print_path needs no data.

PUBLISHED is written from the reference notes and papers, independently of `training/recipes/`:
OLTH = ../shared/reference/openlth_and_sdd_behaviour.md, RP = ../shared/reference/random_pruning_behaviour.md.
For each recipe: the command, and every hashed field that differs from its default, plus `levels`.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from sparselab import main as cli
from sparselab.experiments.branches.registry import BRANCHES
from sparselab.experiments.branches.runner import BranchJobHparams
from sparselab.core.cli import OneLineParser, pre_read
from sparselab.experiments.lottery.policies import POLICIES
from sparselab.experiments.lottery.command import add_trunk_args, trunk_from_args
from sparselab.experiments.lottery.trunk import Trunk
from sparselab.models import registry
from sparselab.train.presets import resolve_preset
from sparselab.train.recipes import RECIPES

ROOT = Path(__file__).resolve().parents[2]

# SDD presets (OLTH §1.7): magnitude/global/0.2 are the defaults; kaiming_normal/uniform/sgd likewise.
SDD_RESNET18 = {"model_name": "cifar_pytorch_resnet_18",  # OLTH §1.7 preset model, §16 "ResNet-18"
                "batch_size": 128, "lr": 0.1, "momentum": 0.9,  # OLTH §1.7 SDD preset row
                "milestone_steps": "80ep,120ep", "weight_decay": 1e-4, "training_steps": "160ep",
                "random_labels_fraction": 0.2,  # OLTH §7.2, §16: 20 % "symmetric" = random labels
                "pruning_count_rule": "openlth",  # OLTH §4.7: ceil(p * T) + 1 per level, ignored tensors in T
                "levels": 30}  # OLTH §4.7: README trunks --levels=30
SDD_FINETUNE = {"finetune_lr": 0.001, "finetune_training_steps": "160ep"}  # OLTH §1.7 fine-tune LR / steps
RP_CIFAR = {"batch_size": 128, "model_name": "cifar_resnet_20",  # RP §6.2 table "ResNets CIFAR-10/100", §6.1
            "batchnorm_init": "fixed",  # PyTorch default BN init (RP §3.2 names only the conv init)
            "momentum": 0.9, "nesterov": True, "weight_decay": 5e-4,  # RP §6.2 (Nesterov: code-level details)
            "milestone_steps": "80ep,120ep", "training_steps": "160ep",  # RP §6.2: x0.1 at [80, 120], 160 epochs
            "init_density": 0.05,  # RP §6.2: --density default 0.05 (CIFAR)
            "init_pruning_strategy": "random", "init_pruning_distribution": "erk"}  # RP §1.4, §3: random ERK
FT_WRN = {"dataset_name": "cifar10", "model_name": "wide_resnet_28_10", "batchnorm_init": "fixed",  # RP §6.2 (b)
          "momentum": 0.9, "weight_decay": 5e-4, "batch_size": 128}  # lr 0.1 = default
FT_DST = {"init_density": 0.2, "init_pruning_strategy": "random", "init_pruning_distribution": "erk",
          "dst": "rigl",  # RP §4.4: ERK, d = 0.2, gradient growth, magnitude death
          "dst_update_frequency": 1000, "dst_drop_fraction": 0.5,  # RP §4.2: every 1000 its, constant 0.5
          "dst_drop_schedule": "constant"}
FT_250 = {"training_steps": "250ep", "milestone_steps": "125ep,187ep"}  # RP §4.4: 250 epochs, x0.1 at 50 %/75 %
ER_DST = {"dataset_name": "cifar10", "batch_size": 100, "batchnorm_init": "fixed",  # RP §5.4: batch 100 default
          "momentum": 0.9, "nesterov": True, "weight_decay": 5e-4,  # RP §5.4 Nesterov 0.9, README wd 5e-4
          "milestone_steps": "80ep,120ep", "training_steps": "160ep",  # RP §5.4 50 %/75 %, §4.3 160 epochs
          "init_pruning_strategy": "random"}  # RP §1.6: random masks with ER layer densities
STR = {"dataset_name": "cifar10", "batch_size": 256, "model_name": "cifar_pytorch_resnet_18",  # RP §5.1 step 4
       "batchnorm_init": "fixed", "momentum": 0.9, "weight_decay": 1e-4, "schedule": "cosine",
       "init_density": 0.3, "init_pruning_strategy": "random",
       "init_pruning_distribution": "balanced",  # RP §5.1: balanced ER at 0.3
       "init_balanced_redistribute": False}  # RP §1.6: capped tensors' excess is dropped, not redistributed

PUBLISHED: dict[str, tuple[str, dict[str, Any]]] = {
    # OLTH §1.7 SDD preset mnist_mlp_300_100 (160ep, ignore fc.weight, fine-tune 0.1/160ep); §16: levels 0-24
    "sdd_mnist_lenet_300_100": ("lottery", {
        "dataset_name": "mnist", "batch_size": 128, "model_name": "mnist_lenet_300_100", "training_steps": "160ep",
        "pruning_layers_to_ignore": "fc.weight", "random_labels_fraction": 0.2, "levels": 24,
        "pruning_count_rule": "openlth"}),  # OLTH §4.7: LeNet level 24 keeps 250 hidden weights
    # OLTH §2.1 README example 1.1: cifar10 (§1.7 GOTCHA), --rewinding_steps=1000it
    "sdd_cifar10_resnet18_lottery": ("lottery", {**SDD_RESNET18, "dataset_name": "cifar10",
                                                 "rewinding_steps": "1000it"}),
    "sdd_cifar10_resnet18_rewindlr": ("rewindLR", {**SDD_RESNET18, "dataset_name": "cifar10"}),  # OLTH §4.3
    "sdd_cifar10_resnet18_finetune": ("finetune", {**SDD_RESNET18, **SDD_FINETUNE, "dataset_name": "cifar10"}),
    "sdd_cifar10_resnet18_scratch": ("scratch", {**SDD_RESNET18, "dataset_name": "cifar10"}),  # OLTH §4.5
    "sdd_cifar100_resnet18_lottery": ("lottery", {**SDD_RESNET18, "dataset_name": "cifar100",
                                                  "rewinding_steps": "1000it"}),
    "sdd_cifar100_resnet18_rewindlr": ("rewindLR", {**SDD_RESNET18, "dataset_name": "cifar100"}),
    "sdd_cifar100_resnet18_finetune": ("finetune", {**SDD_RESNET18, **SDD_FINETUNE, "dataset_name": "cifar100"}),
    "sdd_cifar100_resnet18_scratch": ("scratch", {**SDD_RESNET18, "dataset_name": "cifar100"}),
    # OLTH §5.2 README re-dense recipe: CIFAR-100, 40 % random labels, 30 levels, rewinding 1000it
    "sdd_cifar100_resnet18_redense": ("lottery", {**SDD_RESNET18, "dataset_name": "cifar100",
                                                  "random_labels_fraction": 0.4, "rewinding_steps": "1000it"}),
    # OLTH §1.7 README Tiny-ImageNet command + tinyimagenet_resnet preset (momentum, wd, warm-up 5ep);
    # §8.2: SDD trains Tiny-ImageNet at 32x32; --level=0-16
    "sdd_tiny_imagenet_resnet101_oneshot": ("lottery", {
        "dataset_name": "tiny_imagenet", "image_size": 32, "batch_size": 512, "model_name": "tinyimagenet_resnet_101",
        "lr": 0.2, "momentum": 0.9, "weight_decay": 1e-4, "warmup_steps": "5ep", "milestone_steps": "100ep,150ep",
        "training_steps": "200ep", "rewinding_steps": "1000it", "random_labels_fraction": 0.2, "levels": 16,
        "pruning_count_rule": "openlth"}),  # OLTH §4.7
    "rp_cifar10_resnet_erk": ("train", {**RP_CIFAR, "dataset_name": "cifar10"}),
    "rp_cifar100_resnet_erk": ("train", {**RP_CIFAR, "dataset_name": "cifar100"}),
    # RP §6.2 table "Wide ResNets, sparse, ImageNet": 100 epochs, 192x4, lr 0.4, x0.1 at [30, 60, 90], wd 1e-4;
    # warm-up 5, label smoothing 0.1; §1.5 ERK+ with --fc_density 1.0 at density 0.2; §6.1 BN 1/0
    "rp_imagenet_wide_resnet50_2_erk_plus": ("train", {
        "dataset_name": "imagenet", "batch_size": 768, "model_name": "wide_resnet50_2", "batchnorm_init": "fixed",
        "lr": 0.4, "momentum": 0.9, "weight_decay": 1e-4, "warmup_steps": "5ep", "milestone_steps": "30ep,60ep,90ep",
        "training_steps": "100ep", "label_smoothing": 0.1, "init_density": 0.2, "init_pruning_strategy": "random",
        "init_pruning_distribution": "erk_plus", "init_fc_density": 1.0}),
    # RP §4.4 EDST README: E = 450, E_x = 150, M = 3 (E_i = 100), q = 0.8 (= the default)
    "ft_cifar10_wrn28_10_edst": ("train", {**FT_WRN, **FT_DST, "training_steps": "450ep", "ensemble": "edst",
                                           "exploration_steps": "150ep", "refine_steps": "100ep"}),
    # RP §4.4 DST ensemble; §4.2: DST never stopped early (updates to the last epoch)
    "ft_cifar10_wrn28_10_dst": ("train", {**FT_WRN, **FT_DST, **FT_250, "dst_end": "250ep", "ensemble": "dst"}),
    # RP §4.4 PF: dense runs, global magnitude to 1 - PF-rate 0.8 = 0.2, fine-tune lr 0.001 (both defaults)
    "ft_cifar10_wrn28_10_pf": ("train", {**FT_WRN, **FT_250, "ensemble": "pf"}),
    # RP §5.4 ER_DST static (--is-prune False), §1.6 balanced / pyramidal; density 0.3 as RP §5.1
    # RP §5.5: ER_DST/main.py defaults --flow-preservation and --ortho-repair to 'True'
    "s2s_cifar10_resnet18_er_balanced": ("train", {**ER_DST, "model_name": "cifar_pytorch_resnet_18",
                                                   "init_density": 0.3, "init_pruning_distribution": "balanced",
                                                   "init_balanced_redistribute": False,  # RP §1.6
                                                   "repair_flow": True, "ortho_repair": True}),
    "s2s_cifar10_resnet18_er_pyramidal": ("train", {**ER_DST, "model_name": "cifar_pytorch_resnet_18",
                                                    "init_density": 0.3, "init_pruning_distribution": "pyramidal",
                                                    "repair_flow": True, "ortho_repair": True}),
    # RP §5.2 STR README: lr 0.1 cosine, warm-up 5, 100 epochs, wd 1e-3, batch 256, label smoothing 0.1, balanced 0.3
    "s2s_cifar10_resnet18_str": ("str", {**STR, "weight_decay": 1e-3, "warmup_steps": "5ep", "training_steps": "100ep",
                                         "label_smoothing": 0.1}),
    # RP §5.3 ER_SLT: lr 0.1 x0.1 every 30 epochs, wd 5e-4, 100 epochs per level, batch 128, no augmentation,
    # er-init-density 0.5 uniform, sparsity_start 0.6, 5 levels; ER_SLT/cifar_main.py: one SGD for all levels
    # (momentum carried), lr = 0.1 * 0.1^(epoch // 30) set after each step with epochs counted from 1
    "s2s_cifar10_resnet18_er_slt": ("supermask", {
        "dataset_name": "cifar10", "batch_size": 128, "do_not_augment": True, "model_name": "cifar_pytorch_resnet_18",
        "batchnorm_init": "fixed", "momentum": 0.9, "weight_decay": 5e-4, "training_steps": "100ep",
        # 29/59/89 epochs of 391 iterations + 1: the lr set after a step of the 30th epoch acts from its second step
        "milestone_steps": "11340it,23070it,34800it", "init_density": 0.5, "init_pruning_strategy": "random",
        "init_pruning_distribution": "uniform", "carry_optimizer": True, "bias_init": "zeros"}),  # kn-zero-bias
    # RP §5.1: x0.8 per level (fraction 0.2 = default), global magnitude, rewind to init, 150 epochs per level,
    # L = floor(log(0.01/0.3)/log 0.8) = 15
    "s2s_cifar10_resnet18_imp_from_er": ("lottery", {**STR, "training_steps": "150ep", "levels": 15,
                                                     "pruning_schedule": "absolute"}),  # RP §5.1: d_k = 0.3 * 0.8^k
    # RP §4.3 GraNet defaults d_init 0.5, d_final 0.05, final_prune_epoch 110; README VGG16, update 1000
    "s2s_cifar10_vgg16_granet_from_er": ("train", {
        **ER_DST, "model_name": "cifar_vgg_16", "init_density": 0.01, "init_pruning_distribution": "balanced",
        "init_balanced_redistribute": False,  # RP §1.6
        "repair_flow": True,  # RP §4.3 README: d_init 0.01 -> d_final 0.001 with flow preservation
        "dst": "granet", "dst_final_density": 0.001, "dst_prune_end": "110ep", "dst_update_frequency": 1000,
        "dst_drop_fraction": 0.5, "dst_end": "160ep"}),
}


def resolve(argv: list[str]) -> Any:
    """The runner main.py builds for a train/trunk command line."""
    command, rest = argv[0], argv[1:]
    table = cli.runners()
    preset = resolve_preset(pre_read(rest, "default_hparams"))
    parser = OneLineParser(prog=command)
    table[command].add_args(parser, preset)
    return table[command].from_args(parser.parse_args(rest), preset)


def fields(bundles: dict[str, Any]) -> tuple[dict[str, Any], set[str]]:
    """(every field's effective value, the fields that enter the hash) over `bundles`."""
    values, changed = {}, set()
    for b in bundles.values():
        if b is None:
            continue
        values.update(b.to_dict())
        changed |= set(b.canonical())
    return values, changed


def test_published_table_covers_every_recipe():
    assert sorted(PUBLISHED) == sorted(RECIPES)


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_recipe_resolves_to_the_published_values(name):
    command, expected = PUBLISHED[name]
    expected = {"bias_init": "pytorch", **expected}  # every seed code base keeps PyTorch's default biases
    assert RECIPES[name].command == command
    runner = resolve([command, f"--default_hparams={name}"])
    values, changed = fields(runner.bundles())
    if "levels" in expected:
        values["levels"] = runner.levels_args.levels
    for key, value in expected.items():
        assert values[key] == value, f"{name}: {key} = {values[key]!r}, published {value!r}"
    assert changed <= set(expected), f"{name}: unpublished non-default fields {sorted(changed - set(expected))}"


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_print_path_needs_no_dataset(name, tmp_path, capsys):
    command = PUBLISHED[name][0]
    assert cli.main([command, f"--default_hparams={name}", f"--root={tmp_path}", "--print_path"]) == 0
    out = capsys.readouterr().out.strip()
    assert out.startswith(str(tmp_path / f"{command}_")), out
    assert not any(tmp_path.iterdir())  # nothing written


def branch_bundles(trunk: str, branch: str, rest: list[str]) -> tuple[Trunk, dict[str, Any]]:
    """The trunk and branch bundles `<trunk>_branch <branch> <rest>` resolves to (as branches.runner)."""
    policy, cls = POLICIES[trunk], BRANCHES[branch]
    preset = resolve_preset(pre_read(rest, "default_hparams"))
    parser = OneLineParser(prog="branch")
    add_trunk_args(policy, parser, preset)
    BranchJobHparams.add_args(parser)
    cls.add_args(parser, preset)
    args = parser.parse_args(rest)
    trunk = trunk_from_args(policy, args, preset)
    return trunk, cls.bundles_from_args(args, trunk)


def test_redense_branch_is_the_sdd_readme_recipe():
    # OLTH §5.2: --retrain_d_* = cifar100/128/0.4 and --retrain_t_* = sgd 0.1, momentum 0.9, wd 1e-4,
    # milestones 80ep,120ep, gamma 0.1, 320ep, re-dense at 160ep
    trunk, b = branch_bundles("lottery", "retrain", ["--default_hparams=sdd_cifar100_resnet18_redense",
                                                     "--retrain_t_training_steps=320ep",
                                                     "--retrain_t_regain_pruned_weights_steps=160ep"])
    d, t = b["dataset"], b["training"]
    assert (d.dataset_name, d.batch_size, d.random_labels_fraction) == ("cifar100", 128, 0.4)
    assert (t.optimizer_name, t.lr, t.momentum, t.weight_decay) == ("sgd", 0.1, 0.9, 1e-4)
    assert (t.milestone_steps, t.gamma, t.training_steps, t.regain_pruned_weights_steps) == \
        ("80ep,120ep", 0.1, "320ep", "160ep")
    assert trunk.rewind.rewinding_steps == "1000it"  # the retrained level starts at the rewind point


def readme_commands() -> list[str]:
    """The sparselab commands of the README's recipe table (third column)."""
    text = (ROOT / "README.md").read_text()
    section = text.split("## Recipes for the seed papers", 1)[1].split("\n## ", 1)[0]
    rows = [line.split(" | ") for line in section.splitlines() if line.startswith("| ") and "---" not in line]
    return [c for row in rows[1:] for c in re.findall(r"`(python main\.py [^`]+)`", row[-1])]


def test_readme_lists_every_recipe_and_its_commands_resolve(tmp_path, capsys):
    commands = readme_commands()
    section = (ROOT / "README.md").read_text().split("## Recipes for the seed papers", 1)[1]
    for name in RECIPES:
        assert name in section or re.sub(r"_(lottery|rewindlr|finetune|scratch)$", "_{", name) in section, name
    assert len(commands) >= 20
    for command in commands:
        argv = command.split()[2:]
        assert cli.main([*argv, f"--root={tmp_path}", "--print_path"]) == 0, command
    capsys.readouterr()


def test_help_lists_the_recipes(capsys):
    with pytest.raises(SystemExit):
        cli.main(["lottery", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for name in RECIPES:
        assert name in text


def test_recipe_names_are_not_model_names():
    for name in RECIPES:
        assert not registry.is_valid(name)
        assert not any(family.matches(name) for family in registry.FAMILIES)


def test_flags_after_a_recipe_win():
    runner = resolve(["lottery", "--default_hparams=sdd_cifar10_resnet18_lottery", "--lr=0.05"])
    assert runner.trunk.training.lr == 0.05 and runner.trunk.training.momentum == 0.9


def test_unknown_preset_is_one_line_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["lottery", "--default_hparams=sdd_mnist_lenet", "--print_path"])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert err.startswith("error: --default_hparams: no preset 'sdd_mnist_lenet'") and err.count("\n") == 1
