"""OpenLTH / SDD flags: every alias reaches the directory of its sparselab spelling; every refusal is one
`error:` line (exit 2) naming the replacement; the README table and the rules agree."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from sparselab import main as sparselab_main
from sparselab.core import compat

README = Path(__file__).resolve().parents[2] / "README.md"
TRUNK = ["lottery", "--levels=1", "--training_steps=2it"]
BRANCH = ["lottery_branch", "oneshot_prune", "--training_steps=2it"]

# (their command line, the sparselab spelling with the same meaning)
ALIASES = [
    (TRUNK + ["--display_output_location"], TRUNK + ["--print_path"]),
    (TRUNK + ["-d"], TRUNK + ["--print_path"]),
    (TRUNK + ["--pruning_strategy=sparse_global", "--print_path"], TRUNK + ["--pruning_count_rule=openlth",
                                                                           "--print_path"]),
    (TRUNK + ["--pruning_strategy", "sparse_global", "-d"], TRUNK + ["--pruning_count_rule=openlth", "--print_path"]),
    (TRUNK + ["--pruning_scope=layer", "-d"], TRUNK + ["--pruning_distribution=layerwise", "--print_path"]),
    (TRUNK + ["--pruning_scope=global", "-d"], TRUNK + ["--print_path"]),
    (TRUNK + ["--freeze_pruned_weights=zero", "-d"], TRUNK + ["--print_path"]),
    (["train", "--model_name=mnist_mlp_300_100", "-d"], ["train", "--model_name=mnist_lenet_300_100", "--print_path"]),
    (BRANCH + ["--level=0-2", "-d"], BRANCH + ["--levels=0-2", "--print_path"]),
    (TRUNK + ["--model_name=cifar_resnet_20", "--pruning_strategy=network_slimming", "--bn_sparsity_regularization",
              "-d"], TRUNK + ["--model_name=cifar_resnet_20", "--pruning_strategy=network_slimming", "--print_path"]),
    (TRUNK + ["--model_name=cifar_resnet_20", "--pruning_strategy=network_slimming", "--bn_sparsity_regularization",
              "0.001", "-d"], TRUNK + ["--model_name=cifar_resnet_20", "--pruning_strategy=network_slimming",
                                       "--bn_sparsity_regularization=0.001", "--print_path"]),
    (["lottery", "--level", "2", "--training_steps=2it", "--print_path"], TRUNK[:1] + ["--levels=2", *TRUNK[2:],
                                                                                      "--print_path"]),
]

# (their flags on a lottery command line, a fragment of the one error line: the replacement)
REFUSALS = [
    (["--fix_all_random_seeds=1"], "use --replicate=K for another draw, or fix single sources with --init_seed"),
    (["--torch_seed=3"], "--init_seed=K"),
    (["--num_workers=4"], "drop the flag"),
    (["--evaluate_only_at_end"], "drop the flag"),
    (["--apex_fp16"], "--precision=fp16"),
    (["--retrain_t_apex_fp16"], "--retrain_t_precision=fp16"),
    (["--gpu=0,1,2,3"], "torchrun --standalone --nproc_per_node"),
    (["--nesterov_momentum=0.9"], "--momentum=X --nesterov"),
    (["--use_convergence_stopping_criterion"], "not supported"),
    (["--finetune_bn_sparsity_regularization"], "--bn_sparsity_regularization=X"),
    (["--distance_penalty=0.1"], "not supported"),
    (["--transformation_seed=0"], "--noise_seed"),
    (["--retrain_d_transformation_seed=0"], "--retrain_d_noise_seed"),
    (["--unsupervised_labels=rotation"], "not supported"),
    (["--blur_factor=2"], "not supported"),
    (["--batchnorm_frozen"], "not supported"),
    (["--output_frozen"], "not supported"),
    (["--others_frozen"], "not supported"),
    (["--others_frozen_exceptions=fc.weight"], "not supported"),
    (["--pruning_scope=channel"], "--pruning_distribution=global or layerwise"),
    (["--freeze_pruned_weights=init"], "drop the flag"),
    (["--random_mask_seed=1"], "--pruning_seed"),
    (["--layers_to_prune=first_2"], "--pruning_layers_to_ignore"),
    (["--prune_max_magnitude"], "not supported"),
    (["--layers_to_ignore=fc.weight"], "randomly_prune --help"),
    (["--pretrain"], "--rewinding_steps=K"),
    (["--pretrain_lr=0.1"], "--rewinding_steps=K"),
    (["--default_hparams=mnist_mlp_300_100"], "--default_hparams=sdd_mnist_lenet_300_100"),
    (["--level=2", "--levels=3"], "--level=2 means --levels=2, but --levels=3 is also given"),
    (["--pruning_strategy=sparse_global", "--pruning_distribution=erk"], "keep one"),
    (["--gpu"], "--gpu (SDD) needs a value"),
]


def _run(capsys, argv: list[str]) -> tuple[int, str, str]:
    try:
        status = sparselab_main.main(argv)
    except SystemExit as e:
        status = e.code
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.mark.parametrize("theirs, ours", ALIASES, ids=[" ".join(a[0][len(TRUNK):] or a[0]) for a in ALIASES])
def test_an_alias_reaches_the_directory_of_its_sparselab_spelling(theirs, ours, tmp_path, capsys):
    root = [f"--root={tmp_path}"]
    got, want = _run(capsys, theirs + root), _run(capsys, ours + root)
    assert got[0] == 0 and got == want, (got, want)
    assert not any(tmp_path.glob("*_*"))


def test_sparse_global_is_not_plain_magnitude(tmp_path, capsys):
    """The alias carries OpenLTH's count (§4.7): a different job from sparselab's default count."""
    root = [f"--root={tmp_path}", "--print_path"]
    assert _run(capsys, TRUNK + root + ["--pruning_strategy=sparse_global"]) != _run(capsys, TRUNK + root)
    assert compat.translate(["--pruning_strategy=sparse_global"]) == [
        "--pruning_strategy=magnitude", "--pruning_distribution=global", "--pruning_count_rule=openlth"]


def test_gpu_n_is_device_cuda_n():
    assert compat.translate(["--gpu=0", "--lr=0.1"]) == ["--device=cuda:0", "--lr=0.1"]
    assert compat.translate(["--gpu", "2"]) == ["--device=cuda:2"]


@pytest.mark.parametrize("flags, fragment", REFUSALS, ids=[" ".join(r[0]) for r in REFUSALS])
def test_a_refused_flag_is_one_line_naming_the_replacement(flags, fragment, tmp_path, capsys):
    status, out, err = _run(capsys, TRUNK + flags + [f"--root={tmp_path}"])
    lines = err.strip().splitlines()
    assert status == 2 and out == "" and len(lines) == 1, err
    assert lines[0].startswith(f"error: {flags[0].split('=')[0]}") and fragment in lines[0], lines[0]
    assert not any(tmp_path.iterdir())


def test_the_issue_command_exits_2_naming_the_replacements(capsys):
    status, _, err = _run(capsys, ["lottery", "--gpu=0", "--fix_all_random_seeds=1", "--levels=1"])
    assert status == 2 and err.startswith("error: --fix_all_random_seeds (SDD)") and "--replicate" in err


def _rule_names(argv: list[str]) -> set[str]:
    return {re.match(r"--?([A-Za-z_0-9]+)", a).group(1) for a in argv if a.startswith("-")}


def test_every_rule_is_tested_and_in_the_readme_table():
    tested = set().union(*(_rule_names(t) for t, _ in ALIASES), *(_rule_names(f) for f, _ in REFUSALS))
    assert set(compat.RULES) - tested == set()
    section = README.read_text().split("## Coming from OpenLTH / SDD")[1].split("\n## ")[0]
    missing = [name for name in compat.RULES if f"`-{'' if name == 'd' else '-'}{name}" not in section]
    assert missing == []


def _help_flags(capsys, argv: list[str]) -> set[str]:
    status, out, _ = _run(capsys, argv + ["--help"])
    assert status == 0
    return set(re.findall(r"--([a-z_0-9]+)", out))


def test_no_rule_hides_a_sparselab_flag(capsys):
    ours = set()
    for argv in (["train"], ["lottery"], ["finetune"], ["lottery_branch", "retrain"],
                 ["lottery_branch", "randomly_prune"], ["lottery_branch", "randomly_reinitialize"],
                 ["lottery", "--pruning_strategy=network_slimming"]):  # a flag of that strategy only
        ours |= _help_flags(capsys, argv)
    assert ours & set(compat.RULES) == set(compat.VALUE_ALIASES)
    assert not any(flag.startswith("pretrain_") for flag in ours)
