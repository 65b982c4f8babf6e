"""A flag exists only where it applies: a command that does not use a field, or a value of a choice
under which the field means nothing, has no such flag, so argparse refuses it in one line (exit 2,
nothing written) and says what the flag needs; `--help` lists only the flags that apply."""
from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

from sparselab import main


def call(argv: list[str]) -> tuple[int, str, str]:
    """main.main in this process: (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main.main(argv)
        except SystemExit as e:
            status = int(e.code or 0)
    return status, out.getvalue(), err.getvalue()


def help_flags(argv: list[str]) -> set[str]:
    status, out, err = call([*argv, "--help"])
    assert status == 0, err
    return set(re.findall(r"^  (--[a-z_0-9]+)", out, flags=re.M))


REFUSED: list[tuple[list[str], str]] = [
    (["train", "--regain_pruned_weights_steps=1ep"], "is not a flag here: re-dense training is a branch"),
    (["lottery", "--levels=1", "--erk_power=2"],
     "unrecognized arguments: --erk_power=2: --erk_power exists only with --pruning_distribution=er|erk|erk_plus"),
    (["lottery", "--levels=1", "--no_balanced_redistribute"],  # a bool's --no_ spelling names what it needs too
     "--balanced_redistribute exists only with --pruning_distribution=balanced (not global)"),
    (["train", "--synflow_iterations=7"], "--synflow_iterations exists only with --init_density"),
    (["train", "--init_density=0.1", "--init_pruning_strategy=random", "--synflow_iterations=7"],
     "--synflow_iterations exists only with --init_pruning_strategy=synflow (not random) or --pruning_ratio_from"),
    (["lottery", "--levels=1", "--regain_pruned_weights_steps=1ep"], "lottery_branch retrain"),
    (["train", "--gamma=0.5", "--milestone_steps="], "--gamma exists only with a non-empty --milestone_steps"),
    (["train", "--optimizer_name=adam", "--momentum=0.9", "--nesterov"],
     "--nesterov exists only with --optimizer_name=sgd (not adam)"),
    (["train", "--momentum=0", "--nesterov"], "--nesterov exists only with --momentum > 0 (not 0)"),
    (["train", "--no_nesterov", "--momentum=0"], "--nesterov exists only with --momentum > 0"),
    (["train", "--subsample_seed=3"], "--subsample_seed exists only with --subsample_fraction"),
    (["train", "--noise_seed=3"], "--noise_seed exists only with --random_labels_fraction or --noisy_labels_type"),
    (["train", "--noisy_labels_type=symmetric", "--noisy_labels_fraction=0.1", "--noise_map={}"],
     "--noise_map exists only with --noisy_labels_type=asymmetric (not symmetric)"),
    (["train", "--csv_file=a.csv"], "--csv_file exists only with --dataset_name=csv (not digits)"),
    (["train", "--pf_lr=0.01"], "--pf_lr exists only with --ensemble=pf (not None)"),
    (["train", "--ensemble=edst", "--pf_lr=0.01"], "--pf_lr exists only with --ensemble=pf (not edst)"),
    (["train", "--ensemble_members=4"], "--ensemble_members exists only with --ensemble"),
    (["train", "--slurm_time=5"], "--slurm_time exists only with --platform=slurm (not local)"),
    (["train", "--wandb_project=x"], "--wandb_project exists only with --loggers=wandb"),
    (["train", "--do_not_augment"], "--do_not_augment exists only with a --dataset_name that augments (not digits)"),
    (["train", "--dataset_name=cifar10", "--do_not_augment", "--augmentation_seed=3"],
     "--augmentation_seed exists only with --no_do_not_augment"),
    (["train", "--download"], "--download exists only with a --dataset_name that downloads (not digits)"),
    (["train", "--batchnorm_init=fixed"], "--batchnorm_init exists only with a --model_name with BatchNorm layers"),
    (["train", "--train_eval_every=2"], "--train_eval_every exists only with --eval_train or --random_labels"),
    (["train", "--dst_update_frequency=5"], "--dst_update_frequency exists only with --dst"),
    (["train", "--init_density=0.5", "--dst=set", "--dst_final_density=0.1"],
     "--dst_final_density exists only with --dst=granet (not set)"),
    (["train", "--sparsity_pattern=2:4"], "--sparsity_pattern exists only with --init_density"),
    (["lottery", "--levels=1", "--pruning_batches=2"], "--pruning_batches exists only with --pruning_strategy="),
    (["lottery", "--levels=1", "--pruning_seed=2"], "--pruning_seed exists only with --pruning_strategy other than"),
    (["lottery", "--levels=1", "--pruning_schedule=absolute", "--pruning_count_rule=openlth"],
     "--pruning_count_rule exists only with --pruning_schedule=relative (not absolute)"),
    (["finetune", "--levels=1", "--finetune_gamma=0.5"], "--finetune_gamma exists only with a non-empty"),
    (["train_branch", "retrain", "--levels=0", "--pruning_fraction=0.5"], "unrecognized arguments: --pruning_fr"),
]


@pytest.mark.parametrize("argv,message", REFUSED, ids=[" ".join(a) for a, _ in REFUSED])
def test_flags_that_do_not_apply_do_not_exist(argv: list[str], message: str, tmp_path: Path) -> None:
    status, _, err = call([*argv, f"--root={tmp_path}"])
    assert status == 2
    assert err.count("\n") == 1 and err.startswith("error:") and message in err, err
    assert not tmp_path.exists() or not any(tmp_path.iterdir())


def test_preset_values_of_unused_fields_are_not_refused(tmp_path: Path) -> None:
    # The digits preset carries finetune_* fields, which `train` does not take: no error.
    status, _, err = call(["train", "--print_path", f"--root={tmp_path}"])
    assert status == 0, err


@pytest.mark.parametrize("argv", [
    ["train", "--gamma=0.5", "--milestone_steps=1ep"],
    ["train", "--momentum=0.9", "--nesterov"],
    ["train", "--init_density=0.1", "--init_pruning_strategy=synflow", "--synflow_iterations=7"],
    ["train", "--init_density=0.1", "--pruning_ratio_from=synflow", "--synflow_iterations=7"],
    ["train", "--init_density=0.1", "--sparsity_pattern=1:4"],
    ["train", "--dataset_name=mnist", "--download"],
    ["train", "--dataset_name=cifar10", "--do_not_augment"],
    ["train", "--dataset_name=cifar10", "--augmentation_seed=3"],
    ["train", "--model_name=cifar_resnet_8", "--batchnorm_init=fixed", "--dataset_name=cifar10"],
    ["train", "--random_labels_fraction=0.1", "--noise_seed=4", "--train_eval_every=2"],
    ["train", "--loggers=wandb", "--wandb_project=p"],
    ["lottery", "--pruning_strategy=snip", "--pruning_batches=2", "--pruning_seed=4"],
    ["train_branch", "oneshot_prune", "--levels=1", "--pruning_fraction=0.5", "--sparsity_pattern=2:4"],
])
def test_a_flag_that_applies_is_accepted(argv: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sparselab.train import loggers  # the flag exists whether or not wandb is installed on this machine

    monkeypatch.setattr(loggers, "require_package", lambda flag, package: None)
    status, out, err = call([*argv, "--print_path", f"--root={tmp_path}"])
    assert status == 0 and out.strip(), err


def test_help_lists_only_what_applies() -> None:
    lottery = help_flags(["lottery"])
    assert len(lottery) <= 53, sorted(lottery)  # 108 before the flags of unchosen methods went
    assert "--init_density" in lottery and "--dst" in lottery
    assert not {f for f in lottery if f.startswith(("--dst_", "--slurm_", "--init_pruning"))}
    assert "--regain_pruned_weights_steps" not in lottery and "--finetune_lr" not in lottery
    dst = help_flags(["lottery", "--dst=granet"])
    assert {"--dst_final_density", "--dst_update_frequency"} <= dst and "--dst_seed" not in dst
    assert "--ortho_repair_lr" in help_flags(["train", "--init_density=0.1", "--ortho_repair"])
    assert "--pruning_fraction" not in help_flags(["train_branch", "retrain"])
    assert "--retrain_t_regain_pruned_weights_steps" in help_flags(["lottery_branch", "retrain"])
