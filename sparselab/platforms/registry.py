"""Platform registry: --platform NAME -> class."""
from __future__ import annotations

from sparselab.core.errors import UsageError
from sparselab.platforms.base import Platform, PlatformHparams
from sparselab.platforms.distributed import DistributedPlatform
from sparselab.platforms.slurm import SlurmPlatform

PLATFORMS: dict[str, type[Platform]] = {
    "local": Platform,
    "distributed": DistributedPlatform,
    "slurm": SlurmPlatform,
}


def create(hparams: PlatformHparams) -> Platform:
    try:
        cls = PLATFORMS[hparams.platform]
    except KeyError:
        raise UsageError(f"--platform: unknown {hparams.platform!r}; choose from {', '.join(PLATFORMS)}") from None
    return cls(hparams)
