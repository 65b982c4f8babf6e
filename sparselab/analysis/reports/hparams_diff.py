"""Which hyperparameters of a recorded run are worth showing: those that differ from a baseline.

The baseline is the bundle's dataclass defaults overlaid by a preset (`--default_hparams`). The
preset a run used is not recorded (it does not change the hash), so we compare against each
candidate preset (digits, and the preset of the run's model if there is one) and keep the one that
explains the most values.
"""
from __future__ import annotations

from typing import Any, Mapping

from sparselab.core.command import section_bundle
from sparselab.train.presets import DEFAULT_PRESET

# Shown first, in this order, when they differ; the rest follow in record order.
KEY_FIELDS: tuple[str, ...] = (
    "dataset_name", "model_name", "pruning_strategy", "pruning_distribution", "pruning_fraction",
    "init_density", "random_labels_fraction", "noisy_labels_type", "noisy_labels_fraction",
    "subsample_fraction",
)


def bundle_defaults(section: str) -> dict[str, Any] | None:
    """The dataclass defaults of an hparams.json section, or None for an unknown section."""
    cls = section_bundle(section)
    return None if cls is None else dict(cls.defaults())


def flat_fields(record: Mapping[str, Any]) -> dict[str, Any]:
    """All bundle fields of a trunk or train record as one flat dict (fields are unique across bundles)."""
    out: dict[str, Any] = {}
    for section, values in record.items():
        if isinstance(values, Mapping):
            out.update(values)
    return out


def with_default_sections(record: Mapping[str, Any], sections: set[str]) -> dict[str, Any]:
    """The record with each listed bundle completed by its defaults: a run recorded before a bundle
    (or field) existed ran with its no-op default, so it compares equal to one that lists it."""
    out = dict(record)
    for section in sections:
        defaults = bundle_defaults(section)
        if defaults is not None:
            out[section] = {**defaults, **(record.get(section) or {})}
    return out


def differences(record: Mapping[str, Any], preset: Mapping[str, Any]) -> dict[str, Any]:
    """Fields of the record whose value differs from default-overlaid-by-preset, key fields first."""
    found: dict[str, Any] = {}
    for section, values in record.items():
        if not isinstance(values, Mapping):
            continue
        defaults = bundle_defaults(section) or {}
        for name, value in values.items():
            baseline = preset.get(name, defaults.get(name))
            if not _same(value, baseline):
                found[name] = value
    ordered = {k: found[k] for k in KEY_FIELDS if k in found}
    ordered.update((k, v) for k, v in found.items() if k not in ordered)
    return ordered


def _same(a: Any, b: Any) -> bool:
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


def format_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def format_fields(fields: Mapping[str, Any]) -> str:
    return " ".join(f"{k}={format_value(v)}" for k, v in fields.items())


def distinguishing_fields(records: list[Mapping[str, Any]], limit: int = 4) -> list[dict[str, Any]]:
    """For each record, the fields whose values are not the same in all records (key fields first)."""
    sections = {name for r in records for name, v in r.items() if isinstance(v, Mapping)}
    flats = [flat_fields(with_default_sections(r, sections)) for r in records]
    names: list[str] = []
    for flat in flats:
        names += [k for k in flat if k not in names]
    differing = [k for k in names if len({repr(f.get(k)) for f in flats}) > 1]
    differing = [k for k in KEY_FIELDS if k in differing] + [k for k in differing if k not in KEY_FIELDS]
    return [{k: f.get(k) for k in differing[:limit]} for f in flats]
