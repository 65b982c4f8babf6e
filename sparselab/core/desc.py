"""Job names: a runner prefix and a hash of the canonical form of the job's bundles."""
from __future__ import annotations

import hashlib
import json
from typing import Mapping

from sparselab.core.hparams import Hparams

HASH_LENGTH = 16


def canonical_json(bundles: Mapping[str, Hparams | None]) -> str:
    """Sorted-key JSON of each bundle's non-default fields; empty and absent bundles are left out.

    Leaving out empty bundles means a new bundle whose fields all keep their defaults does not change
    existing hashes, just as a new field with a no-op default does not.
    """
    body = {}
    for name, bundle in bundles.items():
        if bundle is None:
            continue
        canon = bundle.canonical()
        if canon:
            body[name] = canon
    return json.dumps(body, sort_keys=True, separators=(",", ":"))


def job_hash(bundles: Mapping[str, Hparams | None]) -> str:
    return hashlib.sha256(canonical_json(bundles).encode("utf-8")).hexdigest()[:HASH_LENGTH]


def job_name(prefix: str, bundles: Mapping[str, Hparams | None]) -> str:
    return f"{prefix}_{job_hash(bundles)}"


def full_description(bundles: Mapping[str, Hparams | None]) -> dict:
    """Every field of every bundle, defaults included: what `hparams.json` records."""
    return {name: bundle.to_dict() for name, bundle in bundles.items() if bundle is not None}
