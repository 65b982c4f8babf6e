"""Which recorded hyperparameters matter to a run: a field of a bundle its command uses, hashed (`hashed=False`:
`tensorboard`), whose flag applies under the record's values (`only_with`, e.g. not `erk_power` under global)."""
from __future__ import annotations

import dataclasses
from typing import Any, Mapping

from sparselab.core.command import section_bundle
from sparselab.core.when import unchosen
from sparselab.analysis.reports.hparams_diff import KEY_FIELDS, bundle_defaults, flat_fields, same_value


def _unhashed(cls: type) -> set[str]:
    return {f.name for f in dataclasses.fields(cls) if not f.metadata.get("hashed", True)}


def relevant_fields(record: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of one record that matter to its run, flat (field names are unique across bundles)."""
    out: dict[str, Any] = {}
    flat = flat_fields(record)
    for section, values in record.items():
        if not isinstance(values, Mapping):
            continue
        cls = section_bundle(section)
        if cls is None:
            out.update(values)
            continue
        fields = {f.name: f.default for f in dataclasses.fields(cls)}  # its own values first, then others'
        drop = _unhashed(cls) | unchosen(cls, lambda name: values.get(name, flat.get(name, fields.get(name))))
        out.update((k, v) for k, v in values.items() if k not in drop)
    return out


def _completed(records: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Each record with the sections that other records of the SAME command have, at their defaults:
    a run recorded before a bundle existed ran with its no-op default. Another command's bundles stay
    absent: they do not apply."""
    by_command: dict[Any, set[str]] = {}
    for r in records:
        sections = {k for k, v in r.items() if isinstance(v, Mapping)}
        by_command.setdefault((r.get("command"), r.get("source")), set()).update(sections)
    out = []
    for r in records:
        full = dict(r)
        for section in by_command[(r.get("command"), r.get("source"))]:
            if section not in r:
                full[section] = bundle_defaults(section) or {}
        out.append(full)
    return out


def differing_fields(records: list[Mapping[str, Any]], limit: int = 4) -> list[dict[str, Any]]:
    """For each record, the fields that matter to it and take more than one value among the runs they
    matter to (key fields first, at most `limit` names in all)."""
    flats = [relevant_fields(r) for r in _completed(records)]
    names: list[str] = []
    for flat in flats:
        names += [k for k in flat if k not in names]
    differing = []
    for name in names:
        values = [f[name] for f in flats if name in f]
        if len(values) > 1 and any(not same_value(values[0], v) for v in values[1:]):
            differing.append(name)
    ordered = [k for k in KEY_FIELDS if k in differing] + [k for k in differing if k not in KEY_FIELDS]
    return [{k: f[k] for k in ordered[:limit] if k in f} for f in flats]


def relevant_differences(record: Mapping[str, Any], differences: Mapping[str, Any]) -> dict[str, Any]:
    """`differences` (from a preset, reports.hparams_diff) restricted to the fields that matter."""
    keep = relevant_fields(record)
    return {k: v for k, v in differences.items() if k in keep}
