"""Seeds derived from the replicate number: reproducible by default, different across replicates."""
from __future__ import annotations

import hashlib


def derive_seed(*parts: object) -> int:
    """A 63-bit seed from any parts, e.g. derive_seed("data_order", replicate) or (seed, epoch).

    Hashing keeps the streams of different sources (init, data order, noise, masks) unrelated even
    when they start from the same replicate number.
    """
    text = "/".join(str(p) for p in parts)
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "little") >> 1


def seed_or_default(explicit: int | None, source: str, replicate: int) -> int:
    """The user's seed if given, else one derived from the source name and the replicate."""
    return explicit if explicit is not None else derive_seed(source, replicate)
