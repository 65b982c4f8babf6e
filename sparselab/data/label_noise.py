"""Label noise for sparse double descent, applied once to the FULL training set (before subsampling), from one
`default_rng(derive_seed("label_noise", seed))` stream; counts are exact (round(f*N) or round(f*n_c) per class), and
examples are chosen by their ORIGINAL label, so maps with cycles (3->5, 5->3) act once."""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch

from sparselab.data.cifar import FINE_TO_COARSE
from sparselab.core.errors import UsageError
from sparselab.core.seeds import derive_seed

Noisy = tuple[np.ndarray, np.ndarray]  # (new labels, sorted indices of the chosen examples)

ASYMMETRIC_MAPS: dict[str, dict[int, int]] = {
    "cifar10": {9: 1, 2: 0, 4: 7, 3: 5, 5: 3},  # truck->automobile, bird->airplane, deer->horse, cat<->dog
    "mnist": {2: 7, 3: 8, 5: 6, 6: 5},  # the SDD code's (CDR's) convention, which leaves 7 untouched
}
LEGACY_MNIST_NOISE_MAP: dict[int, int] = {2: 7, 3: 8, 5: 6, 6: 5, 7: 1}  # MNIST's map before it followed SDD


def cifar100_superclass_map() -> dict[int, int]:
    """Each fine class -> the next fine class (by index, cyclic) of its real superclass (the default before)."""
    members: dict[int, list[int]] = {}
    for fine, coarse in enumerate(FINE_TO_COARSE):
        members.setdefault(coarse, []).append(fine)
    mapping = {}
    for fines in members.values():
        for i, fine in enumerate(fines):
            mapping[fine] = fines[(i + 1) % len(fines)]
    return mapping


def cifar100_block_map() -> dict[int, int]:
    """SDD's (ELR's) CIFAR-100 map: in each block 5b..5b+4 of class indices, i -> the next index, cyclically (not
    the real superclasses: the fine indices are alphabetical)."""
    return {i: 5 * (i // 5) + (i + 1) % 5 for i in range(100)}


NAMED_MAPS: dict[str, Callable[[], dict[int, int]]] = {
    "cifar100_superclass": cifar100_superclass_map, "cifar100_blocks": cifar100_block_map}  # --noise_map names
# The standard map each dataset's `asymmetric` meant before it followed the seed code (hash baselines).
LEGACY_DEFAULT_MAPS: dict[str, Callable[[], dict[int, int]]] = {
    "mnist": lambda: dict(LEGACY_MNIST_NOISE_MAP), "cifar100": cifar100_superclass_map}


def asymmetric_map(dataset_name: str) -> dict[int, int]:
    if dataset_name == "cifar100":
        return cifar100_block_map()
    if dataset_name in ASYMMETRIC_MAPS:
        return dict(ASYMMETRIC_MAPS[dataset_name])
    known = sorted(list(ASYMMETRIC_MAPS) + ["cifar100"])
    raise UsageError(f"no standard asymmetric noise map for dataset {dataset_name!r} (maps exist for "
                     f"{', '.join(known)}); pass a class map explicitly")


def _choose(rng: np.random.Generator, candidates: np.ndarray, fraction: float) -> np.ndarray:
    k = round(fraction * candidates.size)
    return np.sort(rng.choice(candidates, size=k, replace=False)) if k else np.empty(0, dtype=np.int64)


def _random_labels(labels: np.ndarray, num_classes: int, f: float, rng: np.random.Generator, _map) -> Noisy:
    """A label drawn from ALL classes, so about 1/C of the chosen keep theirs (the CHANGED set excludes them)."""
    chosen = _choose(rng, np.arange(labels.size), f)
    new = labels.copy()
    new[chosen] = rng.integers(0, num_classes, size=chosen.size)
    return new, chosen


def _symmetric(labels: np.ndarray, num_classes: int, f: float, rng: np.random.Generator, _map) -> Noisy:
    """A different class, uniformly."""
    if num_classes < 2:
        raise UsageError("symmetric label noise needs at least 2 classes")
    chosen = _choose(rng, np.arange(labels.size), f)
    new = labels.copy()
    new[chosen] = (labels[chosen] + rng.integers(1, num_classes, size=chosen.size)) % num_classes
    return new, chosen


def _class_conditional(labels: np.ndarray, f: float, rng: np.random.Generator, mapping: dict[int, int]) -> Noisy:
    new = labels.copy()
    chosen_all = []
    for source in sorted(mapping):
        members = np.flatnonzero(labels == source)
        chosen = _choose(rng, members, f)
        new[chosen] = mapping[source]
        chosen_all.append(chosen)
    chosen = np.sort(np.concatenate(chosen_all)) if chosen_all else np.empty(0, dtype=np.int64)
    return new, chosen


def _pairflip(labels: np.ndarray, num_classes: int, f: float, rng: np.random.Generator, _map) -> Noisy:
    return _class_conditional(labels, f, rng, {c: (c + 1) % num_classes for c in range(num_classes)})


def _asymmetric(labels: np.ndarray, num_classes: int, f: float, rng: np.random.Generator, mapping) -> Noisy:
    if mapping is None:
        raise UsageError("asymmetric label noise needs a class map (see datasets.label_noise.asymmetric_map)")
    try:
        mapping = {int(s): int(t) for s, t in mapping.items()}  # a map read from JSON has string keys
    except (TypeError, ValueError):
        raise UsageError(f"asymmetric class map must map class indices to class indices, got {mapping!r}") from None
    for source, target in mapping.items():
        if not (0 <= source < num_classes and 0 <= target < num_classes) or source == target:
            raise UsageError(f"asymmetric class map entry {source}->{target} invalid: classes are "
                             f"0..{num_classes - 1} and must differ")
    return _class_conditional(labels, f, rng, mapping)


NOISE_TYPES: dict[str, Callable[..., Noisy]] = {"symmetric": _symmetric, "pairflip": _pairflip, "asymmetric": _asymmetric}


def _check_fraction(flag: str, value: float) -> None:
    if not (isinstance(value, (int, float)) and 0.0 <= value <= 1.0):
        raise UsageError(f"{flag} must be in [0, 1], got {value!r}")


def apply_label_noise(labels: torch.Tensor, num_classes: int, *, random_labels_fraction: float | None,
                      noisy_labels_type: str | None, noisy_labels_fraction: float | None, seed: int,
                      class_map: dict[int, int] | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """(new labels int64, sorted int64 indices of the examples whose label was redrawn or flipped)."""
    if random_labels_fraction is not None and (noisy_labels_type is not None or noisy_labels_fraction is not None):
        raise UsageError("random_labels_fraction and noisy_labels_type/noisy_labels_fraction are mutually exclusive; "
                         "give one")
    if noisy_labels_type is not None and noisy_labels_fraction is None:
        raise UsageError(f"noisy_labels_type={noisy_labels_type!r} needs noisy_labels_fraction")
    if noisy_labels_fraction is not None and noisy_labels_type is None:
        raise UsageError(f"noisy_labels_fraction needs noisy_labels_type (one of {', '.join(NOISE_TYPES)})")
    if noisy_labels_type is not None and noisy_labels_type not in NOISE_TYPES:
        raise UsageError(f"unknown noisy_labels_type {noisy_labels_type!r}; accepted: {', '.join(NOISE_TYPES)}")

    original = labels.detach().cpu().numpy().astype(np.int64)
    if original.size and (original.min() < 0 or original.max() >= num_classes):
        raise UsageError(f"labels must lie in 0..{num_classes - 1}")
    if random_labels_fraction is not None:
        _check_fraction("random_labels_fraction", random_labels_fraction)
        fn, fraction = _random_labels, random_labels_fraction
    elif noisy_labels_type is not None:
        _check_fraction("noisy_labels_fraction", noisy_labels_fraction)
        fn, fraction = NOISE_TYPES[noisy_labels_type], noisy_labels_fraction
    else:
        return labels.clone().to(torch.int64), torch.empty(0, dtype=torch.int64)

    rng = np.random.default_rng(derive_seed("label_noise", seed))
    new, chosen = fn(original, num_classes, float(fraction), rng, class_map)
    return torch.from_numpy(new.astype(np.int64)), torch.from_numpy(chosen.astype(np.int64))


def changed_indices(true_labels: torch.Tensor, noisy_labels: torch.Tensor) -> torch.Tensor:
    return torch.nonzero(true_labels.to(torch.int64) != noisy_labels.to(torch.int64)).flatten()


def noise_record(relabelled: torch.Tensor, true_labels: torch.Tensor, noisy_labels: torch.Tensor,
                 noise_seed: int | None) -> dict:
    """label_noise.pt: `corrupted_indices` = every relabelled example (its old meaning), `changed_indices` = those
    whose label changed (what clean/noisy metrics use, so memorisation has no 1/C floor)."""
    return {"corrupted_indices": relabelled, "changed_indices": changed_indices(true_labels, noisy_labels),
            "original_labels": true_labels[relabelled], "noisy_labels": noisy_labels[relabelled],
            "noise_seed": noise_seed}


def read_noise_record(record: dict) -> tuple[torch.Tensor, torch.Tensor]:
    """(relabelled, changed indices) of a loaded label_noise.pt (older files lack the changed set: derived)."""
    relabelled = record["corrupted_indices"].to(torch.int64)
    changed = record.get("changed_indices")
    if changed is None:
        changed = relabelled[record["original_labels"] != record["noisy_labels"]]
    return relabelled, changed.to(torch.int64)
