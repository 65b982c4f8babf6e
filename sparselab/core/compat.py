"""OpenLTH / Sparse Double Descent (SDD) flags: an exact counterpart is rewritten before parsing (same job
directory), any other is refused naming the replacement. § numbers: ../shared/reference/openlth_and_sdd_behaviour.md;
the README's "Coming from OpenLTH / SDD" table lists the same rules."""
from __future__ import annotations

import dataclasses
import re
from typing import Callable, Sequence

from sparselab.core.errors import UsageError

# Prefixed copies of their bundles' flags (SDD's retrain branch): the rule of the bare flag, prefixed.
PREFIXES = ("retrain_d_", "retrain_t_")
SEEDS = "--init_seed, --data_order_seed, --augmentation_seed, --noise_seed, --subsample_seed, --pruning_seed"


@dataclasses.dataclass(frozen=True)
class Rule:
    source: str  # OpenLTH, SDD or OpenLTH/SDD
    takes_value: bool  # False: their flag is store_true
    alias: Callable[[str | None], list[str]] | None = None  # their value -> sparselab flags (un-prefixed)
    refusal: str = ""  # why not, and what to write instead ({p}: the prefix)


def _refused(source: str, takes_value: bool, **messages: str) -> dict[str, Rule]:
    return {name: Rule(source, takes_value, refusal=message) for name, message in messages.items()}


def _gpu(value: str | None) -> list[str]:
    if value is not None and re.fullmatch(r"[0-9]{1,4}", value.strip(), re.ASCII):
        return [f"--device=cuda:{int(value)}"]
    raise UsageError(f"--gpu={value} (SDD): several GPUs (DataParallel there) are data-parallel processes here: "
                     f"CUDA_VISIBLE_DEVICES={value} torchrun --standalone --nproc_per_node=<number of GPUs> "
                     "main.py <command> <flags> --platform=distributed; one GPU: --device=cuda:N")


def _bn_l1(value: str | None) -> list[str]:
    """SDD's store_true switch adds 1e-4 * sign(gamma) (§7); a number is sparselab's own flag."""
    if value is None or value.lower() in ("true", "1"):
        return ["--bn_sparsity_regularization=0.0001"]
    if value.lower() in ("false", "0"):
        return ["--bn_sparsity_regularization=0"]
    return [f"--bn_sparsity_regularization={value}"]


def _pruning_scope(value: str | None) -> list[str]:
    scopes = {"global": "global", "layer": "layerwise"}
    if value not in scopes:
        raise UsageError(f"--pruning_scope={value} (SDD): use --pruning_distribution=global or layerwise")
    return [f"--pruning_distribution={scopes[value]}"]


def _freeze(value: str | None) -> list[str]:
    if value == "zero":
        return []  # SDD's default, and the only behaviour here: pruned weights are exactly zero
    raise UsageError(f"--freeze_pruned_weights={value} (SDD) is not supported: pruned weights are exactly zero "
                     "here (SDD's default, zero); drop the flag")


def _default_hparams(value: str | None) -> list[str]:
    if value is not None and value.startswith("mnist_mlp_"):
        raise UsageError(f"--default_hparams={value} (SDD): SDD's MNIST preset (160ep, fine-tuning at lr 0.1) is not "
                         "a preset here: the network is mnist_lenet_300_100 (OpenLTH's preset, 40ep); SDD's figure "
                         "is the recipe --default_hparams=sdd_mnist_lenet_300_100")
    return [f"--default_hparams={value}"]


# Flags that are sparselab flags too: only some of their values are rewritten (tests/core/test_compat.py).
VALUE_ALIASES = ("pruning_strategy", "model_name", "default_hparams", "bn_sparsity_regularization")
_PRETRAIN = ("separate pretraining hyperparameters are not supported: --rewinding_steps=K pretrains K steps with the "
             "training flags")
_FROZEN = "freezing parameters is not supported"

# Job and platform §1.1, §1.3; training §1.5.3; presets §1.7, §9; data §1.5.1; model §1.5.2; pruning §1.5.4, §6.
RULES: dict[str, Rule] = {
    "display_output_location": Rule("OpenLTH/SDD", False, alias=lambda v: ["--print_path" + (f"={v}" if v else "")]),
    "d": Rule("SDD", False, alias=lambda v: ["--print_path"]),
    "level": Rule("OpenLTH/SDD", True, alias=lambda v: [f"--levels={v}"]),  # their README: an argparse abbreviation
    "gpu": Rule("SDD", True, alias=_gpu),
    "bn_sparsity_regularization": Rule("SDD", False, alias=_bn_l1),
    "default_hparams": Rule("SDD", True, alias=_default_hparams),
    # SDD's mnist_mlp_<widths> is mnist_lenet_<widths> here (and in OpenLTH)
    "model_name": Rule("SDD", True, alias=lambda v: [f"--model_name={re.sub('^mnist_mlp_', 'mnist_lenet_', v or '')}"]),
    # sparse_global: §6.4 global magnitude; §4.7 ceil(p * T) + 1 with ignored tensors in T
    "pruning_strategy": Rule("OpenLTH/SDD", True, alias=lambda v: [
        "--pruning_strategy=magnitude", "--pruning_distribution=global", "--pruning_count_rule=openlth"]
        if v == "sparse_global" else [f"--pruning_strategy={v}"]),
    "pruning_scope": Rule("SDD", True, alias=_pruning_scope),
    "freeze_pruned_weights": Rule("SDD", True, alias=_freeze),
    **_refused("SDD", True, fix_all_random_seeds=(
        "sets every seed to one number; here every seed is derived from --replicate (runs repeat exactly by default): "
        f"use --replicate=K for another draw, or fix single sources with {SEEDS}, and --deterministic for "
        "bit-identical GPU runs"),
        torch_seed="seeds the initialisation and makes cuDNN deterministic: use --init_seed=K (default: derived from "
        "--replicate) and --deterministic",
        distance_penalty="not supported (SDD's penalty had no gradient, §10.6)",
        random_mask_seed="use --pruning_seed (with --pruning_strategy=random)",
        layers_to_prune="use --pruning_layers_to_ignore=<tensor names> for the tensors kept dense"),
    **_refused("SDD", False, use_convergence_stopping_criterion="not supported (training runs --training_steps)",
               finetune_bn_sparsity_regularization="there is one BatchNorm L1 term for every training of the run: "
               "--bn_sparsity_regularization=X",
               prune_max_magnitude="not supported (SDD's flag kept only the largest weights, §6.4)"),
    **_refused("OpenLTH/SDD", True, num_workers=(
        "the datasets are held in device memory and need no DataLoader worker processes; drop the flag (--threads "
        "sets CPU threads, --workers=N runs N jobs at once)"),
        nesterov_momentum="use --{p}momentum=X --{p}nesterov",
        transformation_seed="use --{p}noise_seed and/or --{p}subsample_seed (default: derived from --replicate; "
        "theirs was 0 for every replicate)",
        unsupervised_labels="rotation labels are not supported",
        blur_factor="not supported (it always crashed in OpenLTH and SDD, §8)", others_frozen_exceptions=_FROZEN),
    **_refused("OpenLTH/SDD", False, evaluate_only_at_end=(
        "the test set is evaluated every epoch (this does not change results); drop the flag"),
        apex_fp16="NVIDIA Apex is not used: --{p}precision=fp16 is torch.autocast with a dynamic loss scale "
        "(GradScaler), Apex O1's successor in PyTorch, but not the same kernels",
        batchnorm_frozen=_FROZEN, output_frozen=_FROZEN, others_frozen=_FROZEN, pretrain=_PRETRAIN),
    **_refused("OpenLTH", True, layers_to_ignore="randomly_prune's tensors kept dense are not supported; see "
               "lottery_branch randomly_prune --help"),
}
PRETRAIN = Rule("OpenLTH/SDD", True, refusal=_PRETRAIN)
PREFIXABLE = ("apex_fp16", "nesterov_momentum", "use_convergence_stopping_criterion", "bn_sparsity_regularization",
              "distance_penalty", "transformation_seed", "unsupervised_labels", "blur_factor")
_NUMBER = re.compile(r"[0-9.eE+-]+")
_TOKEN = re.compile(r"^--?([A-Za-z_][A-Za-z0-9_]*)(?:=(.*))?$", re.DOTALL)


def rule_for(name: str) -> tuple[Rule, str] | None:
    """The rule for a flag of theirs and the prefix it carries ('' for a bare flag)."""
    if name in RULES:
        return RULES[name], ""
    for prefix in PREFIXES:
        bare = name.removeprefix(prefix)
        if bare != name and bare in PREFIXABLE:
            return RULES[bare], prefix
    if name.startswith("pretrain_"):
        return PRETRAIN, ""
    return None


def typed_values(argv: Sequence[str]) -> dict[str, str | None]:
    """Flag name -> value as typed (`--x=v` or `--x v`); None for a flag without a value."""
    out: dict[str, str | None] = {}
    for i, token in enumerate(argv):
        match = _TOKEN.match(token) if token.startswith("--") else None
        if match:
            following = argv[i + 1] if i + 1 < len(argv) and not argv[i + 1].startswith("--") else None
            out[match.group(1)] = match.group(2) if match.group(2) is not None else following
    return out


def translate(argv: Sequence[str]) -> list[str]:
    """Rewrite their flags into sparselab's; UsageError (one line) for a refused flag or a contradiction."""
    out: list[str] = []
    produced: dict[str, tuple[str, str]] = {}  # sparselab flag -> (value, their spelling)
    i = 0
    while i < len(argv):
        token = argv[i]
        i += 1
        if token == "--":
            out.extend(argv[i - 1:])
            break
        match = _TOKEN.match(token)
        found = rule_for(match.group(1)) if match and (token.startswith("--") or match.group(1) == "d") else None
        if found is None:
            out.append(token)
            continue
        rule, prefix = found
        name, value = match.group(1), match.group(2)
        if not rule.takes_value and value is None and i < len(argv) and _NUMBER.fullmatch(argv[i]):
            value, i = argv[i], i + 1  # a switch of theirs that is also a number-valued flag here
        if rule.takes_value and value is None:
            if i >= len(argv) or argv[i].startswith("--"):
                raise UsageError(f"--{name} ({rule.source}) needs a value")
            value, i = argv[i], i + 1
        if rule.alias is None:
            raise UsageError(f"--{name} ({rule.source}): {rule.refusal.format(p=prefix)}")
        flags = [f"--{prefix}{f[2:]}" if prefix else f for f in rule.alias(value)]
        spelled = f"-{name}" if name == "d" else f"--{name}" + (f"={value}" if value is not None else "")
        for flag in flags:
            key, _, val = flag[2:].partition("=")
            produced[key] = (val, spelled)
        out.extend(flags)
    _check_contradictions(argv, out, produced)
    return out


def _check_contradictions(argv: Sequence[str], out: list[str], produced: dict[str, tuple[str, str]]) -> None:
    """An alias and a typed sparselab flag may not disagree (argparse would silently keep the last)."""
    typed = typed_values([t for t in argv if not (_TOKEN.match(t) and rule_for(_TOKEN.match(t).group(1)))])
    for key, (value, spelled) in produced.items():
        if key in typed and "=" in (spelled + value) and typed[key] != value and value:
            raise UsageError(f"{spelled} means --{key}={value}, but --{key}={typed[key]} is also given; keep one")
