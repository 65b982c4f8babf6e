"""Which hyperparameters of a recorded run are worth showing: those that differ from a baseline (defaults
overlaid by a preset). The preset a run used is not recorded, so each candidate is tried; the best explains most."""
from __future__ import annotations

from typing import Any, Mapping

from sparselab.core.command import section_bundle
from sparselab.train.presets import DEFAULT_PRESET

# Shown first, in this order, when they differ; the rest follow in record order.
KEY_FIELDS: tuple[str, ...] = (
    "dataset_name", "model_name", "pruning_strategy", "pruning_distribution", "pruning_fraction", "init_density",
    "random_labels_fraction", "noisy_labels_type", "noisy_labels_fraction", "subsample_fraction")


def bundle_defaults(section: str) -> dict[str, Any] | None:
    """The dataclass defaults of an hparams.json section, or None for an unknown section."""
    cls = section_bundle(section)
    return None if cls is None else dict(cls.defaults())


def flat_fields(record: Mapping[str, Any]) -> dict[str, Any]:
    """All bundle fields of a trunk or train record as one flat dict (fields are unique across bundles)."""
    return {k: v for values in record.values() if isinstance(values, Mapping) for k, v in values.items()}


def differences(record: Mapping[str, Any], preset: Mapping[str, Any]) -> dict[str, Any]:
    """Fields of the record whose value differs from default-overlaid-by-preset, key fields first."""
    found: dict[str, Any] = {}
    for section, values in record.items():
        if not isinstance(values, Mapping):
            continue
        defaults = bundle_defaults(section) or {}
        for name, value in values.items():
            baseline = preset.get(name, defaults.get(name))
            if not same_value(value, baseline):
                found[name] = value
    ordered = {k: found[k] for k in KEY_FIELDS if k in found}
    ordered.update((k, v) for k, v in found.items() if k not in ordered)
    return ordered


def same_value(a: Any, b: Any) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return float(a) == float(b)
    return a == b


def candidate_presets(record: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    from sparselab.train.presets import resolve_preset

    out = {DEFAULT_PRESET: resolve_preset(None)}
    model_name = flat_fields(record).get("model_name")
    if isinstance(model_name, str):
        try:
            out[model_name] = resolve_preset(model_name)
        except Exception:  # unknown or preset-less model: digits stays the only candidate
            pass
    return out


def preset_differences(record: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """(the preset that fits the record best, the fields that differ from it)."""
    best: tuple[str, dict[str, Any]] | None = None
    for name, preset in candidate_presets(record).items():
        diff = differences(record, preset)
        if best is None or len(diff) < len(best[1]):
            best = (name, diff)
    assert best is not None
    return best


def format_fields(fields: Mapping[str, Any]) -> str:
    return " ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in fields.items())
