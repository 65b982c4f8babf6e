"""The dataset bundle: which data, how it is batched, augmented, subsampled and corrupted."""
from __future__ import annotations

import dataclasses
import json
from typing import Any, Callable, ClassVar

from sparselab.core.hparams import Hparams, hparam, require
from sparselab.core.when import Get, When, either, given, is_set, one_of

NOISE_TYPES = ("symmetric", "asymmetric", "pairflip")
MAX_BATCH_SIZE = 2**20
MAX_IMAGE_SIZE = 4096


def dataset_name_help() -> str:
    """--dataset_name's help: every name of the dataset registry (`data/registry.py`)."""
    from sparselab.data.registry import REGISTRY

    return (f"dataset registry name ({', '.join(REGISTRY)}); tables: breast_cancer (456 train / 113 test, 30 "
            "features) and wine (142 / 36, 13 features) bundled with scikit-learn, csv (--csv_file): 20 % of each "
            "class (seed 0) is the test set, features standardised with train statistics")


def _source(name: object) -> Any:
    """The dataset source of `name`, None for an unknown name (the flag exists; the name's error comes first)."""
    from sparselab.data import registry

    try:
        return registry.get_source(str(name))
    except Exception:
        return None


def _dataset_has(what: Callable[[Any], bool], text: str, fields: tuple[str, ...] = ("dataset_name",)) -> When:
    """A condition on the dataset source(s) named by `fields` (a flag of some datasets only)."""
    def holds(get: Get) -> bool:
        sources = [_source(get(f)) for f in fields if is_set(get(f))]
        return any(s is None or what(s) for s in sources)
    return When(holds, lambda get, p: f"a --{p}dataset_name that {text} (not {get('dataset_name')})")


AUGMENTS = _dataset_has(lambda s: s.augmentation != "none", "augments")
# --download: the training set's or evaluate's out-of-distribution set's source downloads
DOWNLOADS = _dataset_has(lambda s: bool(s.downloads), "downloads", ("dataset_name", "ood_dataset"))
# --dataset_root: the training set or evaluate's out-of-distribution set is read from files (digits,
# breast_cancer, wine and csv are not); a command without --dataset_name reads a finished job's, which may be
_HAS_FILES = _dataset_has(lambda s: bool(s.expected_files), "is read from files", ("dataset_name", "ood_dataset"))
READS_FILES = When(lambda get: get("dataset_name") is None or _HAS_FILES.holds(get),
                   lambda get, p: f"a --{p}dataset_name read from files (not {get('dataset_name')})")
NOISE = either(given("random_labels_fraction"), given("noisy_labels_type"))  # some label noise
CSV = one_of("dataset_name", ("csv",))


@dataclasses.dataclass(frozen=True)
class DatasetHparams(Hparams):
    section: ClassVar[str] = "dataset"
    _group: ClassVar[str] = "Dataset"
    dataset_name: str = hparam("digits", dataset_name_help)
    batch_size: int = hparam(128, "training mini-batch size (split across ranks when distributed)")
    do_not_augment: bool = hparam(False, "turn off training-set augmentation", only_with=AUGMENTS)
    subsample_fraction: float | None = hparam(None, "keep this fraction of the training set")
    subsample_seed: int | None = hparam(None, "seed of the subsample (default: derived from the replicate)",
                                        only_with=given("subsample_fraction"))
    random_labels_fraction: float | None = hparam(
        None, "give this fraction of training examples a uniformly random label (may equal the true one)")
    noisy_labels_type: str | None = hparam(None, "label-noise model", choices=NOISE_TYPES)
    noisy_labels_fraction: float | None = hparam(None, "fraction of examples (per class) whose label is flipped",
                                                 only_with=given("noisy_labels_type"))
    noise_map: str | None = hparam(None, "class map for asymmetric noise: JSON, e.g. '{\"0\": 1}', or a name: "
                                         "cifar100_superclass (next fine class of the real superclass), "
                                         "cifar100_blocks (the CIFAR-100 default, SDD's blocks of 5 indices)",
                                   only_with=one_of("noisy_labels_type", ("asymmetric",)))
    noise_seed: int | None = hparam(None, "seed of the label noise (default: derived from the replicate)",
                                    only_with=NOISE)
    image_size: int | None = hparam(None, "resize images to this size once at load time (e.g. 32)")
    csv_file: str | None = hparam(None, "with --dataset_name=csv: the CSV file (header row; hashed by its sha256)",
                                  only_with=CSV)
    csv_label_column: str | None = hparam(None, "with --dataset_name=csv: the column holding the class labels",
                                          only_with=CSV)

    def validate(self) -> None:
        from sparselab.data import registry

        registry.get_source(self.dataset_name)  # unknown name -> UsageError listing known ones
        require(1 <= self.batch_size <= MAX_BATCH_SIZE,
                f"--batch_size must be in 1..{MAX_BATCH_SIZE}, got {self.batch_size}")
        if self.subsample_fraction is not None:
            require(0 < self.subsample_fraction <= 1,
                    f"--subsample_fraction must be in (0, 1], got {self.subsample_fraction}")
        if self.random_labels_fraction is not None:
            require(0 <= self.random_labels_fraction <= 1,
                    f"--random_labels_fraction must be in [0, 1], got {self.random_labels_fraction}")
            require(self.noisy_labels_type is None and self.noisy_labels_fraction is None,
                    "give either --random_labels_fraction or --noisy_labels_type/--noisy_labels_fraction, not both")
        if self.noisy_labels_fraction is not None:
            require(0 <= self.noisy_labels_fraction <= 1,
                    f"--noisy_labels_fraction must be in [0, 1], got {self.noisy_labels_fraction}")
        require((self.noisy_labels_type is None) == (self.noisy_labels_fraction is None),
                "--noisy_labels_type and --noisy_labels_fraction must be given together")
        if self.noise_map is not None:
            self.parsed_noise_map()
        if self.dataset_name == "csv":
            require(self.csv_file is not None and self.csv_label_column is not None,
                    "--dataset_name=csv needs --csv_file=<file.csv> and --csv_label_column=<name>")
        if self.image_size is not None:
            require(4 <= self.image_size <= MAX_IMAGE_SIZE,
                    f"--image_size must be in 4..{MAX_IMAGE_SIZE}, got {self.image_size}")

    def nominal_iterations_per_epoch(self) -> int | None:
        """ceil(examples / batch_size) on the standard training set after subsampling (None: size not fixed)."""
        from sparselab.data import registry

        n = registry.get_source(self.dataset_name).train_size
        if n is None:
            return None
        if self.subsample_fraction is not None and self.subsample_fraction < 1:
            n = max(1, round(n * self.subsample_fraction))
        return -(-n // self.batch_size)

    def canonical(self) -> dict[str, Any]:
        """`asymmetric` without --noise_map once meant another map for MNIST (with 7->1) and CIFAR-100 (the
        real superclasses) and now means the seed code's: it hashes with that map spelled out, so no old
        directory is reused, while an explicit --noise_map of the old map hashes as the old default did."""
        out = super().canonical()
        if self.csv_file is not None:  # the file's content, not its path, decides the job
            from sparselab.data.csv_table import content_digest

            out["csv_file"] = content_digest(self.csv_file)
        if self.noisy_labels_type != "asymmetric":
            return out
        from sparselab.data.label_noise import LEGACY_DEFAULT_MAPS, NAMED_MAPS, asymmetric_map

        if self.noise_map in NAMED_MAPS:  # a named map hashes as its JSON spelling (one directory per map)
            out["noise_map"] = json.dumps({str(k): v for k, v in sorted(NAMED_MAPS[self.noise_map]().items())})
        if self.dataset_name not in LEGACY_DEFAULT_MAPS:
            return out
        if self.noise_map is None:
            out["noise_map"] = json.dumps({str(k): v for k, v in sorted(asymmetric_map(self.dataset_name).items())})
        elif self.parsed_noise_map() == LEGACY_DEFAULT_MAPS[self.dataset_name]():
            out.pop("noise_map", None)
        return out

    @property
    def has_label_noise(self) -> bool:
        return bool(self.random_labels_fraction) or bool(self.noisy_labels_fraction)

    def parsed_noise_map(self) -> dict[int, int] | None:
        if self.noise_map is None:
            return None
        from sparselab.data.label_noise import NAMED_MAPS

        if self.noise_map in NAMED_MAPS:
            return NAMED_MAPS[self.noise_map]()
        try:
            return {int(k): int(v) for k, v in json.loads(self.noise_map).items()}
        except (ValueError, AttributeError, TypeError):
            require(False, f"--noise_map: expected a JSON object of class -> class or one of "
                           f"{', '.join(NAMED_MAPS)}, got {self.noise_map!r}")
        return None
